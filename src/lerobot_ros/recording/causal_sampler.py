"""Causal sampling of message streams onto the dataset's fixed fps grid.

The rule, the same for the live recorder and the bag converter:

- Each stream keeps its messages sorted by their time (receive time, or header stamp when the
  feature says ``time_source: header``); messages may be pushed out of order. Equal times keep
  arrival order, so the later arrival wins.
- At tick ``t`` a stream's sample is its latest message with time <= t (never a future message).
  Its age is ``t - time``. It is *fresh* when age <= ``max_age_s``, *stale* when older, *missing*
  when the stream has nothing at or before t.
- A frame is emitted only when every stream is fresh; otherwise the tick is dropped and counted in
  the ``QualityReport`` (a stale image is never written as if it were taken at t). The frame carries
  the tick time, and values are never interpolated: a stream slower than the grid makes fresh ticks
  reuse a message, which the report counts.
- A command stream (cmd_vel) is never stale or missing: without a command younger than its
  ``max_age_s`` the base stands, so the sample is zero velocity (counted as ``zeroed``).
- A feature filled by two topics (a joint feature with a ``base`` part, LeRobot's LeKiwi) is two
  streams, ``<key>`` and ``<key>/base``, each fresh or stale by itself; the frame joins their
  samples into the one vector of ``<key>``.
- Ticks are sampled in increasing order. After a tick, messages older than each stream's sample are
  dropped (the sample itself is kept), so memory holds one message per stream plus those newer than
  the last tick. A message pushed with a time at or before the last sampled tick is counted as a late
  arrival: it cannot change frames already sampled.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .config import FeatureConfig, RecordingConfig
from .quality import FRESH, MISSING, STALE, ZEROED, QualityReport


def grid(start_s: float, stop_s: float, fps: int) -> Iterator[float]:
    """Ticks ``start_s + i / fps`` for i = 0, 1, ... while below ``stop_s`` (half-open).

    Each tick is computed from its index, not by adding periods, so there is no drift over long runs.
    """
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    i = 0
    while (tick := start_s + i / fps) < stop_s:
        yield tick
        i += 1


@dataclass(frozen=True)
class StreamSample:
    key: str
    status: str  # fresh, stale, missing or zeroed (a silent command stream)
    time_s: float | None  # the message's time (None when missing)
    age_s: float | None  # tick - time_s
    reused: bool  # the same message as this stream's sample at the previous tick


@dataclass(frozen=True)
class SampledFrame:
    """A frame to write: ``values`` is ready for ``DatasetWriter.add_frame``."""

    tick_s: float
    values: dict[str, np.ndarray]
    samples: dict[str, StreamSample]


class _Stream:
    """One feature's messages, sorted by time; ``seqs`` identify messages across ticks."""

    def __init__(self, feature: FeatureConfig):
        self.feature = feature
        self.times: list[float] = []
        self.seqs: list[int] = []
        self.values: list[np.ndarray] = []
        self.last_used_seq: int | None = None

    def insert(self, time_s: float, seq: int, value: np.ndarray) -> None:
        at = bisect.bisect_right(self.times, time_s)
        self.times.insert(at, time_s)
        self.seqs.insert(at, seq)
        self.values.insert(at, value)

    def latest_at_or_before(self, tick_s: float) -> int | None:
        at = bisect.bisect_right(self.times, tick_s) - 1
        return at if at >= 0 else None

    def drop_before(self, index: int) -> None:
        del self.times[:index], self.seqs[:index], self.values[:index]


class CausalSampler:
    """Holds the latest messages of every configured feature and samples them at grid ticks.

    ``push`` takes values already converted by the adapter, by stream key (a vector in the config's
    joint order, a base velocity, or an HxWx3 uint8 RGB image). ``finish_episode`` hands back the
    episode's report and starts a new one; buffered messages carry over, so the next episode can
    start at once.
    """

    def __init__(self, config: RecordingConfig):
        self.config = config
        self._streams = {s.key: _Stream(s) for s in config.streams}
        self._seq = 0
        self._last_tick_s: float | None = None
        self.report = QualityReport.for_keys(config.fps, config.stream_keys)

    def push(self, key: str, time_s: float, value: object) -> None:
        stream = self._stream(key)
        array = self._checked(stream.feature, value)
        late = self._last_tick_s is not None and time_s <= self._last_tick_s
        self.report.record_message(key, late)
        self._seq += 1
        stream.insert(float(time_s), self._seq, array)

    def sample(self, tick_s: float, processed_at_s: float | None = None) -> SampledFrame | None:
        """The frame at ``tick_s``, or None when a stream is stale or missing (counted in the report).

        ``processed_at_s`` (the caller's clock when it handled this tick) feeds the real loop rate.
        """
        if self._last_tick_s is not None and tick_s <= self._last_tick_s:
            raise ValueError(
                f"tick {tick_s!r} is not after the last sampled tick {self._last_tick_s!r}; sample the "
                "grid in increasing order (older messages are already dropped)")
        samples, values = {}, {}
        for key, stream in self._streams.items():
            index = stream.latest_at_or_before(tick_s)
            time_s = stream.times[index] if index is not None else None
            if stream.feature.zero_when_silent and (time_s is None or tick_s - time_s > stream.feature.max_age_s):
                age_s = None if time_s is None else tick_s - time_s
                samples[key] = StreamSample(key, ZEROED, time_s, age_s, False)
                self.report.record_stream(key, ZEROED, age_s, False)
                values[key] = np.zeros(stream.feature.stream_shape, dtype=np.float32)
                if index is not None:
                    stream.drop_before(index)
                continue
            if index is None:
                samples[key] = StreamSample(key, MISSING, None, None, False)
                self.report.record_stream(key, MISSING, None, False)
                continue
            age_s = tick_s - stream.times[index]
            status = FRESH if age_s <= stream.feature.max_age_s else STALE
            seq = stream.seqs[index]
            reused = seq == stream.last_used_seq
            samples[key] = StreamSample(key, status, stream.times[index], age_s, reused)
            self.report.record_stream(key, status, age_s, reused)
            values[key] = stream.values[index]
            stream.last_used_seq = seq
            stream.drop_before(index)
        self._last_tick_s = tick_s
        emitted = all(s.status in (FRESH, ZEROED) for s in samples.values())
        self.report.record_tick(tick_s, emitted, processed_at_s)
        return SampledFrame(tick_s, self._joined(values), samples) if emitted else None

    def _joined(self, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Stream values as feature values: a base part appended to its joints."""
        for feature in self.config.features:
            if feature.base is not None:
                values[feature.key] = np.concatenate((values[feature.key], values.pop(feature.base.key)))
        return values

    def finish_episode(self) -> QualityReport:
        """The finished episode's report; a fresh one starts for the next episode."""
        report = self.report
        self.report = QualityReport.for_keys(self.config.fps, self.config.stream_keys)
        return report

    def buffered(self, key: str) -> int:
        """Messages held for ``key`` (for the memory bound)."""
        return len(self._stream(key).times)

    def _stream(self, key: str) -> _Stream:
        try:
            return self._streams[key]
        except KeyError:
            raise KeyError(f"no feature {key!r} in the recording config; configured: "
                           f"{list(self._streams)}") from None

    @staticmethod
    def _checked(feature: FeatureConfig, value: object) -> np.ndarray:
        if feature.is_image:
            if not isinstance(value, np.ndarray) or value.dtype != np.uint8 or value.shape != feature.shape:
                got = (value.dtype, value.shape) if isinstance(value, np.ndarray) else type(value).__name__
                raise ValueError(f"{feature.key}: expected a uint8 image of shape {feature.shape}, got {got}; "
                                 "decode and resize in the adapter")
            return value
        array = np.asarray(value, dtype=np.float32)
        if array.shape != feature.stream_shape:
            raise ValueError(f"{feature.key}: expected a vector of shape {feature.stream_shape}, got {array.shape}; "
                             "the adapter must order values by the config's joints")
        return array
