"""PI052: pi0.5 (PaliGemma + Gemma action expert, flow matching) with a language head.

``PI052Policy`` is imported lazily: the configuration and the tiny offline model do not need the
model code to be imported.
"""

from .configuration import PI052Config
from .tiny import tiny_config, write_tiny_paligemma

__all__ = ["PI052Config", "PI052Policy", "tiny_config", "write_tiny_paligemma"]


def __getattr__(name: str):
    if name == "PI052Policy":
        from .modeling import PI052Policy

        return PI052Policy
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
