"""Bindings: named look-ups of one annotation row at the frame being rendered.

A binding is written in the recipe as a call, for example ``active_at(t, style=subtask)`` or
``nth_prev(style=memory, offset=1)``. Four resolvers exist:

* ``active_at(t, style=...)``: the persistent row in force at ``t`` (the latest one whose timestamp
  is at or before ``t``).
* ``emitted_at(t, ...)``: a row that fired at this frame: for a persistent ``style=``, a persistent
  row whose timestamp lies within ``EMITTED_AT_TOLERANCE_S`` of ``t`` (persistent rows carry
  continuous timestamps); otherwise an event row of this frame (events sit on their exact frame).
* ``nth_prev(style=..., offset=n)`` / ``nth_next(style=..., offset=n)``: the persistent row ``n``
  places before / after the one in force at ``t`` in timestamp order. With ``at=<binding>`` (our
  addition) the step starts from the row in force at the timestamp of the row that other binding
  found: ``nth_prev(style=memory, offset=1, at=new_memory)`` is the memory before ``new_memory``
  even on frames up to 0.1 s before ``new_memory`` takes over, where ``emitted_at`` already fires.

Filters ``style=``, ``role=``, ``tool_name=`` (a tool call of that name) and ``camera=`` narrow the
rows. A look-up that matches more than one row raises ``AmbiguousBindingError``: a recipe never picks
one of several candidates silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ...dataset.language import PERSISTENT_STYLES, LanguageRow

EMITTED_AT_TOLERANCE_S = 0.1
# Timestamps are stored as float32 and callers often pass frame_index / fps (float64): a row that
# starts "at" t may sit a rounding error after it and must still be in force at t.
_TIME_EPS_S = 1e-4

RESOLVERS = ("active_at", "emitted_at", "nth_prev", "nth_next")
_FILTERS = ("style", "role", "tool_name", "camera")
_CALL = re.compile(r"^\s*([a-z_]+)\s*\((.*)\)\s*$", re.DOTALL)


class BindingError(ValueError):
    """A binding is written wrongly (raised at load time, with the recipe's file and name)."""


class AmbiguousBindingError(ValueError):
    """A binding matched several rows at one frame: the annotations or the filters need fixing."""


@dataclass(frozen=True)
class Binding:
    """One parsed binding: a resolver, its row filters and (for nth_prev/nth_next) the offset."""

    resolver: str
    style: str | None = None
    role: str | None = None
    tool_name: str | None = None
    camera: str | None = None
    offset: int = 0
    at: str | None = None  # nth_prev/nth_next: step from the row in force when that binding's row starts

    def matches(self, row: LanguageRow) -> bool:
        if self.style is not None and row.style != self.style:
            return False
        if self.role is not None and row.role != self.role:
            return False
        if self.camera is not None and row.camera != self.camera:
            return False
        if self.tool_name is not None:
            return any(call.get("function", {}).get("name") == self.tool_name for call in row.tool_calls)
        return True

    def describe(self) -> str:
        args = [f"{k}={getattr(self, k)}" for k in _FILTERS if getattr(self, k) is not None]
        if self.resolver in ("nth_prev", "nth_next"):
            args.append(f"offset={self.offset}")
            if self.at is not None:
                args.append(f"at={self.at}")
        else:
            args.insert(0, "t")
        return f"{self.resolver}({', '.join(args)})"


def parse_binding(text: str) -> Binding:
    """Parse ``resolver(t, key=value, ...)``; raise ``BindingError`` naming what is wrong."""
    match = _CALL.match(str(text))
    if match is None:
        raise BindingError(f"{text!r} is not a resolver call such as 'active_at(t, style=subtask)'")
    resolver, arg_text = match.groups()
    if resolver not in RESOLVERS:
        raise BindingError(f"unknown resolver {resolver!r} in {text!r}; use one of {list(RESOLVERS)}")
    values: dict[str, object] = {}
    for arg in (a.strip() for a in arg_text.split(",")):
        if not arg:
            continue
        if "=" not in arg:
            if arg != "t" or resolver not in ("active_at", "emitted_at"):
                raise BindingError(f"unexpected argument {arg!r} in {text!r} (only active_at/emitted_at take t)")
            continue
        key, value = (part.strip().strip("'\"") for part in arg.split("=", 1))
        if key == "offset":
            if resolver not in ("nth_prev", "nth_next"):
                raise BindingError(f"offset= only applies to nth_prev/nth_next, not {resolver} ({text!r})")
            if not value.isdigit() or int(value) < 1:
                raise BindingError(f"offset must be a whole number >= 1 in {text!r}, got {value!r}")
            values["offset"] = int(value)
        elif key == "at":
            if resolver not in ("nth_prev", "nth_next") or not value.isidentifier():
                raise BindingError(f"at=<binding name> only applies to nth_prev/nth_next ({text!r})")
            values["at"] = value
        elif key in _FILTERS:
            values[key] = None if value in ("null", "None") else value
        else:
            raise BindingError(
                f"unknown argument {key!r} in {text!r}; filters are {list(_FILTERS)}, plus offset= and at= "
                "for nth_prev/nth_next"
            )
    binding = Binding(resolver, **values)
    if resolver in ("nth_prev", "nth_next"):
        if binding.style is None:
            raise BindingError(f"{resolver} needs style= (the sequence to step through) in {text!r}")
        if binding.offset == 0:
            raise BindingError(f"{resolver} needs offset=N (N >= 1) in {text!r}")
    if resolver == "active_at" and binding.style is None:
        raise BindingError(f"active_at needs style= in {text!r}")
    return binding


DEFAULT_BINDINGS: dict[str, Binding] = {
    "subtask": parse_binding("active_at(t, style=subtask)"),
    "memory": parse_binding("active_at(t, style=memory)"),
    "plan": parse_binding("active_at(t, style=plan)"),
    "speech": parse_binding("emitted_at(t, role=assistant, tool_name=say)"),
    "interjection": parse_binding("emitted_at(t, style=interjection)"),
    "vqa": parse_binding("emitted_at(t, style=vqa, role=assistant)"),
    "vqa_query": parse_binding("emitted_at(t, style=vqa, role=user)"),
}


def resolve(
    binding: Binding, t: float, persistent: list[LanguageRow], events: list[LanguageRow], name: str = "?"
) -> LanguageRow | None:
    """The row ``binding`` selects at time ``t`` (seconds from the episode start), or None."""
    if binding.resolver == "emitted_at":
        if binding.style in PERSISTENT_STYLES:
            found = [
                r for r in persistent
                if binding.matches(r) and abs(r.timestamp - t) <= EMITTED_AT_TOLERANCE_S
            ]
        else:  # event styles and speech atoms (style None) live in this frame's events
            found = [r for r in events if binding.matches(r)]
        return _single(found, binding, t, name)
    ordered = sorted((r for r in persistent if binding.matches(r)), key=lambda r: r.timestamp)
    started = [i for i, r in enumerate(ordered) if r.timestamp <= t + _TIME_EPS_S]
    active = started[-1] if started else -1
    if binding.resolver == "active_at":
        index = active
    else:
        if active >= 0:  # the row in force must be unique for "n places before/after it" to mean anything
            _single(_same_time(ordered, ordered[active]), binding, t, name)
        index = active - binding.offset if binding.resolver == "nth_prev" else active + binding.offset
    if not 0 <= index < len(ordered):
        return None
    return _single(_same_time(ordered, ordered[index]), binding, t, name)


def _same_time(rows: list[LanguageRow], row: LanguageRow) -> list[LanguageRow]:
    return [r for r in rows if r.timestamp == row.timestamp]


def _single(rows: list[LanguageRow], binding: Binding, t: float, name: str) -> LanguageRow | None:
    if len(rows) > 1:
        raise AmbiguousBindingError(
            f"binding {name!r} = {binding.describe()} matches {len(rows)} rows at t={t:.3f} s: "
            f"{[(r.role, r.style, r.content, r.camera) for r in rows]}; add a filter (role=, camera=, "
            "tool_name=) or fix the duplicate annotations"
        )
    return rows[0] if rows else None
