"""Per-episode recording quality: what the sampler found at every grid tick, per stream.

LeRobot's recorder stamps data at the nominal fps even when its loop ran slower, and drops frames
with at most a log line. Here every tick of the episode's grid is accounted for: per stream fresh,
stale (late), missing, zeroed (a command stream silent: zero velocity recorded), and reused (the
same message as the previous tick, i.e. the stream is slower than the grid); frames emitted versus
ticks; and, when the caller passes processing times, the real loop rate. ``to_dict`` goes to a JSON file next to the dataset, ``summary`` to the log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FRESH, STALE, MISSING, ZEROED = "fresh", "stale", "missing", "zeroed"


@dataclass
class StreamQuality:
    key: str
    messages: int = 0  # pushed during the episode
    late_arrivals: int = 0  # pushed with a time at or before an already sampled tick (could not be used)
    fresh: int = 0  # ticks with a sample no older than max_age_s
    stale: int = 0  # ticks whose latest sample was older than max_age_s
    missing: int = 0  # ticks with no sample at or before them
    zeroed: int = 0  # ticks of a command stream (cmd_vel) without a command in force: recorded as zero
    reused: int = 0  # fresh ticks that used the same message as the previous tick
    ages_s: list[float] = field(default_factory=list)  # age at every tick that had a sample

    @property
    def max_age_s(self) -> float | None:
        return max(self.ages_s) if self.ages_s else None

    @property
    def p50_age_s(self) -> float | None:
        return float(np.median(self.ages_s)) if self.ages_s else None

    def to_dict(self) -> dict:
        return {
            "messages": self.messages, "late_arrivals": self.late_arrivals, "fresh": self.fresh,
            "stale": self.stale, "missing": self.missing, "zeroed": self.zeroed, "reused": self.reused,
            "max_age_s": self.max_age_s, "p50_age_s": self.p50_age_s,
        }


@dataclass
class QualityReport:
    """One episode's account of the grid. ``gap_ticks`` are ticks dropped between written frames:
    the dataset stamps frame k at k / fps, so an episode with gaps has frames stamped earlier than
    they were taken, and ``timestamps_exact`` is False (the recorder should split or discard it)."""

    fps: int
    streams: dict[str, StreamQuality]
    grid_ticks: int = 0
    frames_emitted: int = 0
    gap_ticks: int = 0
    first_tick_s: float | None = None
    last_tick_s: float | None = None
    processing_times_s: list[float] = field(default_factory=list)
    _pending_drops: int = 0  # ticks dropped since the last emitted frame

    @classmethod
    def for_keys(cls, fps: int, keys: tuple[str, ...]) -> QualityReport:
        return cls(fps=fps, streams={key: StreamQuality(key) for key in keys})

    def record_message(self, key: str, late: bool) -> None:
        stream = self.streams[key]
        stream.messages += 1
        stream.late_arrivals += int(late)

    def record_stream(self, key: str, status: str, age_s: float | None, reused: bool) -> None:
        stream = self.streams[key]
        setattr(stream, status, getattr(stream, status) + 1)
        stream.reused += int(reused and status == FRESH)
        if age_s is not None:
            stream.ages_s.append(age_s)

    def record_tick(self, tick_s: float, emitted: bool, processed_at_s: float | None) -> None:
        self.grid_ticks += 1
        if self.first_tick_s is None:
            self.first_tick_s = tick_s
        self.last_tick_s = tick_s
        if processed_at_s is not None:
            self.processing_times_s.append(processed_at_s)
        if not emitted:
            self._pending_drops += 1
            return
        if self.frames_emitted:
            self.gap_ticks += self._pending_drops
        self._pending_drops = 0
        self.frames_emitted += 1

    @property
    def frames_dropped(self) -> int:
        return self.grid_ticks - self.frames_emitted

    @property
    def timestamps_exact(self) -> bool:
        """True when the written frames are consecutive ticks, so frame_index / fps is their time."""
        return self.gap_ticks == 0

    @property
    def real_loop_rate_hz(self) -> float | None:
        """Ticks processed per second of the caller's clock (live recorder); None without times."""
        times = self.processing_times_s
        if len(times) < 2 or times[-1] <= times[0]:
            return None
        return (len(times) - 1) / (times[-1] - times[0])

    def to_dict(self) -> dict:
        return {
            "fps": self.fps, "grid_ticks": self.grid_ticks, "frames_emitted": self.frames_emitted,
            "frames_dropped": self.frames_dropped, "gap_ticks": self.gap_ticks,
            "timestamps_exact": self.timestamps_exact, "first_tick_s": self.first_tick_s,
            "last_tick_s": self.last_tick_s, "real_loop_rate_hz": self.real_loop_rate_hz,
            "streams": {key: s.to_dict() for key, s in self.streams.items()},
        }

    def write_json(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n", encoding="utf-8")

    def summary(self) -> str:
        """A few log lines: totals, the loop rate, then one line per stream."""
        rate = self.real_loop_rate_hz
        lines = [
            f"{self.frames_emitted}/{self.grid_ticks} ticks written at {self.fps} fps "
            f"({self.frames_dropped} dropped, {self.gap_ticks} inside the episode)"
            + (f", loop ran at {rate:.2f} Hz" if rate is not None else "")
            + ("" if self.timestamps_exact else "; WARNING: gaps, frame_index / fps is not the capture time")
        ]
        for key, s in self.streams.items():
            ages = "" if s.max_age_s is None else f", age p50 {s.p50_age_s * 1e3:.1f} ms max {s.max_age_s * 1e3:.1f} ms"
            lines.append(
                f"  {key}: {s.messages} msgs, {s.fresh} fresh ({s.reused} reused), {s.stale} stale, "
                f"{s.missing} missing, {s.late_arrivals} arrived too late{ages}"
                + (f", {s.zeroed} zero (no command in force)" if s.zeroed else "")
            )
        return "\n".join(lines)
