"""Where episodes are in a bag: the whole bag, the spans between task messages, or given ranges.

Three modes, one result: a list of ``EpisodeSpan`` (a bag, a half-open log-time window and a task).

- **one bag per episode**: the bag's first to last message, with the ``--task`` text;
- **task topic**: each ``std_msgs/String`` message on the topic starts an episode with its text as
  the task, ending at the next task message or the bag's end; an empty (or blank) message ends the
  episode in progress without starting one (a reset phase);
- **time ranges**: ``start_s:end_s:task`` in seconds from the bag's first message, given repeatedly
  on the command line or in a YAML/CSV file; a file row may name the bag (its folder or file name)
  it applies to, otherwise it applies to every bag.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from .bags import BagError, BagSource, OpenBag

STRING_TYPE = "std_msgs/msg/String"


@dataclass(frozen=True)
class EpisodeSpan:
    bag: BagSource
    start_ns: int
    stop_ns: int
    task: str
    bag_start_ns: int  # the bag's first message: spans are labelled from it

    def tick_count(self, fps: int) -> int:
        """Grid ticks i / fps in [0, stop - start), counted in integer nanoseconds (no float edge)."""
        return -(-(self.stop_ns - self.start_ns) * fps // 10**9)

    @property
    def label(self) -> str:
        start, stop = (self.start_ns - self.bag_start_ns) * 1e-9, (self.stop_ns - self.bag_start_ns) * 1e-9
        return f"bag {self.bag.path.name} [{start:.3f} s, {stop:.3f} s)"


@dataclass(frozen=True)
class TimeRange:
    start_s: float  # from the bag's first message
    end_s: float
    task: str
    bag: str | None = None  # a bag's folder or file name; None: every bag

    def __post_init__(self) -> None:
        if not self.task or not self.task.strip():
            raise ValueError(f"time range {self.start_s}:{self.end_s} has no task")
        if not 0 <= self.start_s < self.end_s:
            raise ValueError(f"time range {self.start_s}:{self.end_s}: need 0 <= start < end (seconds)")


def parse_range(text: str) -> TimeRange:
    """``"12.5:30:pick up the cube"`` (the task may contain colons)."""
    start, sep1, rest = text.partition(":")
    end, sep2, task = rest.partition(":")
    try:
        if not (sep1 and sep2):
            raise ValueError("expected start:end:task")
        return TimeRange(float(start), float(end), task)
    except ValueError as err:
        raise ValueError(f"bad range {text!r}: {err} (write START_S:END_S:TASK, e.g. 0:12.5:pick the cube)") from None


def load_ranges(path: str | Path) -> list[TimeRange]:
    """Ranges from a YAML list of ``{start_s, end_s, task[, bag]}`` or a CSV with that header."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines())) if path.suffix == ".csv" else yaml.safe_load(text)
    if not isinstance(rows, list) or not rows:
        raise ValueError(f"{path}: expected a non-empty list of ranges with start_s, end_s, task[, bag]")
    ranges = []
    for i, row in enumerate(rows):
        try:
            ranges.append(TimeRange(float(row["start_s"]), float(row["end_s"]), str(row["task"]),
                                    row.get("bag") or None))
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ValueError(f"{path}: range {i} ({row!r}) is invalid: {err}; need start_s, end_s, task") from None
    return ranges


def whole_bag(bag: OpenBag, task: str) -> list[EpisodeSpan]:
    return [EpisodeSpan(bag.source, bag.start_ns, bag.end_ns, task, bag.start_ns)]


def task_topic_spans(bag: OpenBag, topic: str) -> list[EpisodeSpan]:
    msgtype = bag.require_topic(topic, "the task topic")
    if msgtype != STRING_TYPE:
        raise BagError(f"bag {bag.path}: the task topic {topic} carries {msgtype}, not {STRING_TYPE}")
    spans, current = [], None  # current: (start_ns, task)
    for _, log_ns, msg in bag.messages([topic]):
        if current is not None and log_ns > current[0]:
            spans.append(EpisodeSpan(bag.source, current[0], log_ns, current[1], bag.start_ns))
        current = (log_ns, msg.data.strip()) if msg.data.strip() else None
    if current is not None and bag.end_ns > current[0]:
        spans.append(EpisodeSpan(bag.source, current[0], bag.end_ns, current[1], bag.start_ns))
    return spans


def range_spans(bag: OpenBag, ranges: Sequence[TimeRange]) -> list[EpisodeSpan]:
    names = {bag.path.name, bag.path.stem}
    spans = []
    for r in ranges:
        if r.bag is not None and r.bag not in names:
            continue
        stop = min(bag.end_ns, bag.start_ns + round(r.end_s * 1e9))
        start = bag.start_ns + round(r.start_s * 1e9)
        if start >= stop:
            raise BagError(f"bag {bag.path}: range {r.start_s}:{r.end_s} starts after the bag's end "
                           f"({(bag.end_ns - bag.start_ns) * 1e-9:.3f} s)")
        spans.append(EpisodeSpan(bag.source, start, stop, r.task, bag.start_ns))
    return sorted(spans, key=lambda s: s.start_ns)
