"""A node parameter declared as data: one typed declaration per parameter, with its description and
bounds, from which the node (nodes/parameters.py declare), the docs and the parameter-file checks
all read. Plain Python: no rclpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


@dataclass(frozen=True)
class Param:
    name: str
    default: Any  # its Python type is the parameter's type (bool, int, float, str, list[float], ...)
    description: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    # Read once at start-up, so `ros2 param set` must be refused rather than report a change the node
    # never makes (what ros2_controllers does). Set False only for a parameter the node re-reads.
    read_only: bool = True

    def validate(self, value: Any) -> Any:
        """Return ``value`` if it is acceptable, else raise ValueError naming the parameter and the fix."""
        if isinstance(self.default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if self.default is not None and not isinstance(value, type(self.default)):
            raise ValueError(f"parameter {self.name}: expected {type(self.default).__name__}, got {value!r}")
        if self.min is not None and value < self.min:
            raise ValueError(f"parameter {self.name}={value} is below its minimum {self.min}")
        if self.max is not None and value > self.max:
            raise ValueError(f"parameter {self.name}={value} is above its maximum {self.max}")
        if self.choices is not None and value not in self.choices:
            raise ValueError(f"parameter {self.name}={value!r}: choose one of {', '.join(self.choices)}")
        return value


def markdown_table(params: Sequence[Param]) -> str:
    """The parameters as a Markdown table, for the docs."""
    rows = ["| parameter | type | default | description |", "|---|---|---|---|"]
    for p in params:
        bounds = []
        if p.min is not None:
            bounds.append(f">= {p.min}")
        if p.max is not None:
            bounds.append(f"<= {p.max}")
        if p.choices:
            bounds.append("one of " + ", ".join(f"`{c}`" for c in p.choices))
        extra = f" ({'; '.join(bounds)})" if bounds else ""
        rows.append(f"| `{p.name}` | {type(p.default).__name__} | `{p.default!r}` | {p.description}{extra} |")
    return "\n".join(rows)


