"""A component's health as /diagnostics reports it, decided without ROS.

Each component states its problems worst first, as (present, level, message); :func:`first_problem`
picks the one to report. The nodes only copy the result into a diagnostic_msgs/DiagnosticStatus
(nodes/diagnostics.py); which condition gives which level is core logic with fast tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Level(IntEnum):
    """diagnostic_msgs/DiagnosticStatus levels."""

    OK = 0
    WARN = 1
    ERROR = 2
    STALE = 3


@dataclass(frozen=True)
class Health:
    level: Level
    message: str


def first_problem(*problems: tuple[bool, Level, str], ok: str = "ok") -> Health:
    """The first problem present (list them worst first), else OK with the message ``ok``."""
    for present, level, message in problems:
        if present:
            return Health(level, message)
    return Health(Level.OK, ok)
