"""SmolVLA2: SmolVLA (SmolVLM2 backbone + flow-matching action expert) with a language head.

``SmolVLA2Policy`` is imported lazily: the configuration and the tiny offline VLM do not need the
model code (and its transformers model classes) to be imported.
"""

from .configuration import SmolVLA2Config
from .tiny import tiny_config, write_tiny_vlm

__all__ = ["SmolVLA2Config", "SmolVLA2Policy", "tiny_config", "write_tiny_vlm"]


def __getattr__(name: str):
    if name == "SmolVLA2Policy":
        from .modeling import SmolVLA2Policy

        return SmolVLA2Policy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
