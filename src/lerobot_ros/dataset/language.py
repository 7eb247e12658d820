"""The v3.0 language columns: ``language_persistent`` and ``language_events``.

LeRobot (>= 0.6.0) reads two optional list-of-struct columns from the data parquet, each declared in
``info.json`` as ``{"dtype": "language", "shape": [1], "names": null}``:

* ``language_persistent``: the whole episode's persistent rows (subtask, plan, memory, motion,
  task_aug), each with the ``timestamp`` it becomes active, broadcast identically on every frame.
* ``language_events``: rows that fire at one frame (interjection, vqa, trace, and speech atoms with
  ``style=None``), stored only on that frame; no ``timestamp`` field.

Row fields are ``role, content, style, [timestamp], camera, tool_calls``; ``tool_calls`` is a list of
JSON values (OpenAI-style calls such as the ``say`` tool declared in ``info.json["tools"]``). The
Arrow types here match ``lerobot.datasets.language`` so LeRobot casts our parquet without loss.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

LANGUAGE_PERSISTENT = "language_persistent"
LANGUAGE_EVENTS = "language_events"
LANGUAGE_COLUMNS = (LANGUAGE_PERSISTENT, LANGUAGE_EVENTS)

PERSISTENT_STYLES = frozenset({"subtask", "plan", "memory", "motion", "task_aug"})
EVENT_STYLES = frozenset({"interjection", "vqa", "trace", None})
VIEW_DEPENDENT_STYLES = frozenset({"vqa", "trace"})

SAY_TOOL_SCHEMA: dict = {
    "type": "function",
    "function": {
        "name": "say",
        "description": "Speak a short utterance to the user via the TTS executor.",
        "parameters": {
            "type": "object",
            "properties": {"text": {"type": "string", "description": "The verbatim text to speak."}},
            "required": ["text"],
        },
    },
}

LANGUAGE_FEATURE = {"dtype": "language", "shape": [1], "names": None}


def _json_type() -> pa.DataType:
    # pyarrow >= 19 has the canonical JSON extension type; LeRobot falls back to string the same way.
    return pa.json_() if hasattr(pa, "json_") else pa.string()


def _row_fields(with_timestamp: bool, json_type: pa.DataType) -> list[pa.Field]:
    fields = [
        pa.field("role", pa.string(), nullable=False),
        pa.field("content", pa.string()),
        pa.field("style", pa.string()),
    ]
    if with_timestamp:
        fields.append(pa.field("timestamp", pa.float32(), nullable=False))
    fields += [pa.field("camera", pa.string()), pa.field("tool_calls", pa.list_(json_type))]
    return fields


def column_type(column: str) -> pa.ListType:
    """Arrow type of a language column (a list of row structs)."""
    return pa.list_(pa.struct(_row_fields(column == LANGUAGE_PERSISTENT, _json_type())))


def column_array(column: str, rows_per_frame: list[list[dict]]) -> pa.Array:
    """Build a language column from ``LanguageRow.to_arrow`` dicts, one list per frame."""
    # pyarrow cannot build JSON extension values from Python objects directly: build the
    # plain-string storage and cast it.
    storage = pa.list_(pa.struct(_row_fields(column == LANGUAGE_PERSISTENT, pa.string())))
    return pa.array(rows_per_frame, type=storage).cast(column_type(column))


@dataclass(frozen=True)
class LanguageRow:
    """One language annotation row.

    ``timestamp`` (seconds from the episode start) is required for persistent rows and must be None
    for event rows, whose time is the frame they are attached to.
    """

    role: str
    content: str | None = None
    style: str | None = None
    camera: str | None = None
    tool_calls: tuple[dict, ...] = field(default_factory=tuple)
    timestamp: float | None = None

    def __post_init__(self) -> None:
        # Stored as float32 (LeRobot's timestamp dtype): round here so a row read back compares equal.
        if self.timestamp is not None:
            object.__setattr__(self, "timestamp", float(np.float32(self.timestamp)))
        object.__setattr__(self, "tool_calls", tuple(self.tool_calls))

    @property
    def persistent(self) -> bool:
        return self.style in PERSISTENT_STYLES

    def validate(self, video_keys: Sequence[str]) -> None:
        """Raise ValueError naming the problem if this row breaks the v3.0 language rules."""
        if not self.role:
            raise ValueError(f"language row {self}: 'role' is required (user, assistant, ...)")
        if self.style not in PERSISTENT_STYLES | EVENT_STYLES:
            raise ValueError(
                f"language row style {self.style!r} is unknown; use one of "
                f"{sorted(PERSISTENT_STYLES)} (persistent) or {sorted(s for s in EVENT_STYLES if s)} "
                "or None (events)"
            )
        if self.persistent and self.timestamp is None:
            raise ValueError(f"persistent language row ({self.style}) needs the timestamp it becomes active")
        if not self.persistent and self.timestamp is not None:
            raise ValueError(
                f"event language row ({self.style}) must not carry a timestamp: it is stored on the "
                "frame where it fired; pass it with that frame"
            )
        if self.style in VIEW_DEPENDENT_STYLES:
            if self.camera not in video_keys:
                raise ValueError(
                    f"language row of style {self.style!r} needs camera set to one of the dataset's "
                    f"cameras {list(video_keys)}, got {self.camera!r}"
                )
        elif self.camera is not None:
            raise ValueError(f"language row of style {self.style!r} must have camera=None")

    def to_arrow(self) -> dict:
        row = {"role": self.role, "content": self.content, "style": self.style}
        if self.persistent:
            row["timestamp"] = self.timestamp
        row["camera"] = self.camera
        row["tool_calls"] = [json.dumps(call) for call in self.tool_calls]
        return row

    @classmethod
    def from_arrow(cls, row: dict) -> LanguageRow:
        calls = row.get("tool_calls") or []
        return cls(
            role=row["role"],
            content=row.get("content"),
            style=row.get("style"),
            camera=row.get("camera"),
            tool_calls=tuple(json.loads(c) if isinstance(c, str) else c for c in calls),
            timestamp=row.get("timestamp"),
        )


def say(text: str) -> LanguageRow:
    """A speech atom: the assistant calls the ``say`` tool (an event row)."""
    call = {"type": "function", "function": {"name": "say", "arguments": {"text": text}}}
    return LanguageRow(role="assistant", content=None, style=None, tool_calls=(call,))
