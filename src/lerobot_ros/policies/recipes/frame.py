"""The language a recipe sees at one frame: the task, the time and the episode's annotation rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from ...dataset.language import LanguageRow

if TYPE_CHECKING:  # the reader pulls in video decoding; recipes only read its rows
    from ...dataset.reader import EpisodeLanguage


@dataclass
class FrameLanguage:
    """One frame's language context.

    ``persistent`` holds the episode's persistent rows (every frame carries all of them) and
    ``events`` the rows fired at this frame, exactly as stored in the ``language_persistent`` /
    ``language_events`` columns (dicts with ``tool_calls`` as JSON strings or parsed) or as
    ``LanguageRow`` objects. ``task_augmentations`` adds rephrasings of the task to the ``task_aug``
    rows already in ``persistent``.
    """

    task: str
    timestamp: float
    persistent: Sequence[dict | LanguageRow] = field(default_factory=list)
    events: Sequence[dict | LanguageRow] = field(default_factory=list)
    task_augmentations: Sequence[str] = ()

    @classmethod
    def from_episode(
        cls, task: str, timestamp: float, language: EpisodeLanguage, frame_index: int
    ) -> FrameLanguage:
        """The frame ``frame_index`` of an episode read with ``DatasetReader.episode_language``."""
        return cls(task, timestamp, language.persistent, language.events.get(frame_index, []))

    @cached_property
    def rows(self) -> tuple[list[LanguageRow], list[LanguageRow]]:
        """(persistent, events) as ``LanguageRow`` objects, tool calls parsed (converted once: a
        blend with ``route: vqa`` renders several components of the same frame)."""
        return [_as_row(r) for r in self.persistent], [_as_row(r) for r in self.events]


def _as_row(row: dict | LanguageRow) -> LanguageRow:
    if isinstance(row, LanguageRow):
        return row
    if not isinstance(row, dict):
        raise TypeError(f"language row must be a dict or LanguageRow, got {type(row).__name__}: {row!r}")
    return LanguageRow.from_arrow(row)
