"""A node parameter declared as data: one typed declaration per parameter, with its description and
bounds, from which the node (nodes/parameters.py declare), the docs and the parameter-file checks
all read. Plain Python: no rclpy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence


@dataclass(frozen=True)
class Param:
    name: str
    default: Any  # its Python type is the parameter's type (bool, int, float, str, list[float], ...)
    description: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None
    # Read once at start-up, so `ros2 param set` must be refused rather than report a change the node
    # never makes (what ros2_controllers does). False only where the node applies a change while running
    # (nodes/parameters.py apply_when_set).
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


def changed_values(params: Sequence[Param], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The validated values of a parameter change requested while the node runs (``ros2 param set``).

    Raises ValueError naming the parameter when it is unknown, read once at start-up (read_only: the
    node would not apply it) or not an acceptable value; nothing is changed then.
    """
    by_name = {p.name: p for p in params}
    values = {}
    for name, value in changes.items():
        param = by_name.get(name)
        if param is None:
            raise ValueError(f"parameter {name} is not one of this node's")
        if param.read_only:
            raise ValueError(f"parameter {name} is read once at start-up: restart the node with the new value")
        values[name] = param.validate(value)
    return values


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
        settable = "" if p.read_only else " Takes effect when set while running (`ros2 param set`)."
        rows.append(f"| `{p.name}` | {type(p.default).__name__} | `{p.default!r}` | {p.description}{extra}{settable} |")
    return "\n".join(rows)


