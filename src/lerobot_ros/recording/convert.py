"""rosbag2 bags -> LeRobotDataset v3.0, with the recorder's config and sync rules.

The work is split so that the dataset stays crash-safe and the result deterministic however many
processes run:

1. **plan** (parent): open every bag, check that each configured topic exists with a type that can
   fill its feature and that nothing is of an unknown type, and cut the bags into ``EpisodeSpan``s
   (``bag_episodes``). Bad input fails here, before anything is written.
2. **encode** (workers, ``encode_span``): for one span, read its messages in log-time order, push
   them into a ``CausalSampler`` (time = bag log time, i.e. receive time, or the header stamp where
   the feature says ``time_source: header``), sample the fps grid, and stream the frames into an
   ``EpisodeBuffer`` whose video segments go to ``<root>/.staging/convert-<n>``. Nothing a worker
   does touches the committed dataset.
3. **commit** (parent): take the spans' results strictly in plan order and commit each episode with
   ``DatasetWriter.save_encoded_episode`` (the writer's crash-safe write order), then write its
   quality report, ``<root>.quality/episode_<n>.json`` as the recorder does. A crash or an error
   loses at most the uncommitted episodes; the episodes committed before stay, and
   ``DatasetWriter.resume`` (``--append``) continues the folder.

Sync, as live (docs/datasets.md "Recording: causal sampling"): a frame is written at a tick only
when every stream's latest message at or before it is fresh (``max_age_s``). Ticks dropped between
written frames would make ``frame_index / fps`` lie about time, so by default the episode is split
there into consecutive episodes with the same task (``split_on_gaps=False`` keeps it whole and the
report says ``timestamps_exact: false``). Language ``String`` topics become ``language_persistent``
rows (subtask/plan/memory, timed from the episode's first frame; the one active at the start gets
time 0) and ``language_events`` rows on the first frame at or after the message.
"""

from __future__ import annotations

import math
import multiprocessing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ..dataset.atomic import write_json_atomically
from ..dataset.episode_buffer import EpisodeBuffer, FinishedEpisode
from ..dataset.features import FeatureSet
from ..dataset.language import LanguageRow
from ..dataset.layout import STAGING_DIR
from ..dataset.video import VideoEncoding
from ..dataset.writer import DatasetWriter
from .bag_episodes import (
    STRING_TYPE,
    EpisodeSpan,
    TimeRange,
    range_spans,
    task_topic_spans,
    whole_bag,
)
from .bags import DEFAULT_DISTRO, BagError, BagSource, OpenBag
from ..motors.normalization import MotorCalibration
from .config import FeatureConfig, RecordingConfig, load_recording_config, resolve_topic
from .contract import FeatureContract
from .live_language import LanguageTopic
from .message_values import (
    MessageValueError,
    check_message_type,
    header_time_s,
)
from .quality import QualityReport
from .causal_sampler import CausalSampler
from ..robots.tables import robot_type


class ConvertError(ValueError):
    """Conversion stopped; the message names the bag, the problem and what was kept."""


@dataclass(frozen=True)
class ConvertOptions:
    """How to convert. Exactly one episode source: ``task`` (one episode per bag), ``task_topic``
    or ``ranges``."""

    config: RecordingConfig
    calibration: Mapping[str, MotorCalibration] | None = None  # for units other than radians
    namespace: str = "/"  # relative topics of the config resolve against it (the recorder's namespace)
    task: str | None = None
    task_topic: str | None = None
    ranges: tuple[TimeRange, ...] = ()
    distro: str = DEFAULT_DISTRO
    msg_files: tuple[Path, ...] = ()
    recover_truncated: bool = False
    workers: int = 1
    video: VideoEncoding = field(default_factory=VideoEncoding)
    robot_type: str | None = None
    header_lag_s: float = 0.5  # header-time features: how far a log time may trail the stamp
    split_on_gaps: bool = True
    append: bool = False  # continue an existing dataset (DatasetWriter.resume)
    quality_dir: Path | None = None  # default: <root>.quality next to the dataset, as the recorder
    progress: bool = True

    def __post_init__(self) -> None:
        sources = [self.task is not None, self.task_topic is not None, bool(self.ranges)]
        if sum(sources) != 1:
            raise ValueError("give exactly one episode source: a task (one episode per bag), a task "
                             "topic, or time ranges")
        if self.workers < 1:
            raise ValueError(f"workers must be at least 1, got {self.workers}")


@dataclass
class EncodedEpisode:
    """One episode encoded by a worker, ready for ``save_encoded_episode``."""

    finished: FinishedEpisode
    persistent: list[LanguageRow]
    first_tick_s: float  # from the span's start


@dataclass
class SpanResult:
    span: EpisodeSpan
    episodes: list[EncodedEpisode]
    report: QualityReport
    events_dropped: int  # language events after the last written frame


@dataclass
class ConvertSummary:
    root: Path
    quality_dir: Path
    episodes: int
    frames: int
    reports: list[Path]


@dataclass(frozen=True)
class _Job:
    span: EpisodeSpan
    contract: FeatureContract
    namespace: str
    features: FeatureSet
    encoding: VideoEncoding
    staging: Path
    header_lag_s: float
    split_on_gaps: bool


def options_from_config(raw: Mapping, **kwargs) -> ConvertOptions:
    """``ConvertOptions`` for a parsed recording YAML (features, robot and language)."""
    return ConvertOptions(config=load_recording_config(raw), **kwargs)


def convert(bags: Sequence[str | Path], root: str | Path, options: ConvertOptions) -> ConvertSummary:
    """Convert ``bags`` (in the order given) into the dataset at ``root``."""
    root = Path(root)
    spans = plan(bags, options)
    if not spans:
        raise ConvertError("no episodes found in the bags (the task topic had no non-empty message?)")
    contract = FeatureContract(options.config, options.calibration)
    writer = _open_writer(root, options, contract)
    quality_dir = options.quality_dir or root.parent / f"{root.name}.quality"
    quality_dir.mkdir(parents=True, exist_ok=True)
    reports: list[Path] = []
    jobs = [_Job(span, contract, options.namespace, writer.info.features, writer.encoding,
                 root / STAGING_DIR / f"convert-{i:06d}", options.header_lag_s, options.split_on_gaps)
            for i, span in enumerate(spans)]
    total_ticks = sum(s.tick_count(options.config.fps) for s in spans)
    saved = frames = 0
    bar = tqdm(total=total_ticks, unit="tick", desc="convert", disable=not options.progress)
    results = _results(jobs, options.workers)
    try:
        for result in results:
            for part, episode in enumerate(result.episodes):
                committed = writer.save_encoded_episode(episode.finished, episode.persistent)
                saved, frames = saved + 1, frames + committed.length
                reports.append(quality_dir / f"episode_{committed.episode_index:06d}.json")
                write_json_atomically(reports[-1], _report(result, part, committed.episode_index, committed.length,
                                                           episode))
            if not result.episodes:
                span = result.span
                reports.append(quality_dir / f"skipped_{span.bag.path.name}_{span.start_ns}.json")
                write_json_atomically(reports[-1], _report(result, None, None, 0, None))
            bar.write(f"{result.span.label} ({result.span.task!r}): {len(result.episodes)} episode(s)\n"
                      f"{result.report.summary()}")
            bar.update(result.report.grid_ticks)
    except ValueError as err:  # ConvertError, BagError, MessageValueError and the writer's checks
        raise ConvertError(f"{err}\n{saved} episode(s) converted before this are saved in {root}; fix the "
                           "input and continue with --append on the remaining bags") from None
    finally:
        results.close()  # stops the workers before the staging folder they write into is removed
        bar.close()
        writer.close()
    return ConvertSummary(root, quality_dir, saved, frames, reports)


def plan(bags: Sequence[str | Path], options: ConvertOptions) -> list[EpisodeSpan]:
    """Check every bag against the config and cut it into episode spans (nothing is written)."""
    spans: list[EpisodeSpan] = []
    for path in bags:
        source = BagSource(Path(path), options.distro, tuple(options.msg_files), options.recover_truncated)
        with source.open() as bag:
            _check_topics(bag, options)
            if options.task is not None:
                spans += whole_bag(bag, options.task)
            elif options.task_topic is not None:
                spans += task_topic_spans(bag, options.task_topic)
            else:
                spans += range_spans(bag, options.ranges)
    return spans


def _check_topics(bag: OpenBag, options: ConvertOptions) -> None:
    for feature in options.config.streams:
        name = resolve_topic(feature.topic, options.namespace)
        msgtype = bag.require_topic(name, f"feature {feature.key}")
        check_message_type(feature, msgtype)
        bag.require_known_type(name)
    for topic in options.config.language or ():
        name = resolve_topic(topic.topic, options.namespace)
        if name in bag.topics and bag.topics[name] != STRING_TYPE:
            raise BagError(f"bag {bag.path}: language topic {name} ({topic.kind}) carries {bag.topics[name]}, "
                           f"not {STRING_TYPE}")


def _open_writer(root: Path, options: ConvertOptions, contract: FeatureContract) -> DatasetWriter:
    config = options.config
    if options.append:
        contract.check_matches(root / "meta")
        writer = DatasetWriter.resume(root)
        have = {f.key: {"dtype": f.dtype, "shape": list(f.shape), "names": f.names}
                for f in writer.info.features.user if not f.is_language}
        if have != config.dataset_features() or writer.info.features.has_language != (config.language is not None):
            writer.close()
            raise ConvertError(f"{root}: its features (or language columns) differ from the config's; --append "
                               "needs the same config")
        return writer
    robot = options.robot_type or (robot_type(config.robot.type).calibration_name if config.robot else None)
    writer = DatasetWriter.create(root, config.fps, config.dataset_features(), robot_type=robot,
                                  video=options.video, language=config.language is not None)
    contract.save(root / "meta")
    return writer


def _results(jobs: list[_Job], workers: int) -> Iterator[SpanResult]:
    """Span results in plan order: in this process, or from a pool of spawned workers."""
    if workers == 1 or len(jobs) == 1:
        yield from map(encode_span, jobs)
        return
    # spawn, not fork: the parent may hold encoder and reader threads that a fork would copy mid-state.
    with multiprocessing.get_context("spawn").Pool(min(workers, len(jobs))) as pool:
        yield from pool.imap(encode_span, jobs)


def encode_span(job: _Job) -> SpanResult:
    """Read, sample and encode one span (runs in a worker). Errors name the span."""
    try:
        with job.span.bag.open() as bag:
            return _SpanEncoder(job, bag).run()
    except (BagError, MessageValueError, ValueError) as err:
        raise ConvertError(f"{job.span.label}: {err}") from None


class _SpanEncoder:
    """The sampling loop of one span, with times in seconds from the span's start."""

    def __init__(self, job: _Job, bag: OpenBag):
        self.job, self.bag = job, bag
        config = job.contract.config
        self.sampler = CausalSampler(config)
        self.features: dict[str, list[FeatureConfig]] = {}
        for feature in config.streams:  # a feature's base part is a topic of its own
            self.features.setdefault(resolve_topic(feature.topic, job.namespace), []).append(feature)
        self.language = {resolve_topic(t.topic, job.namespace): t for t in config.language or ()
                         if resolve_topic(t.topic, job.namespace) in bag.topics}
        uses_header = any(f.time_source == "header" for f in config.streams)
        self.lag_s = job.header_lag_s if uses_header else 0.0
        self.pending_events: list[tuple[float, LanguageRow]] = []
        self.persistent: list[tuple[float, LanguageTopic, str]] = []
        self.parts: list[tuple[EpisodeBuffer, float, float]] = []  # buffer, first tick, last tick
        self.gaps_seen = 0

    def run(self) -> SpanResult:
        span, job = self.job.span, self.job
        lookback_ns = math.ceil(max(f.max_age_s for f in job.contract.config.streams) * 1e9)
        fps = job.contract.config.fps
        # grid()'s ticks, counted exactly and on whole nanoseconds like the log times they are compared
        # with: a message logged exactly at a tick (an exported dataset's) is at it, not 1e-17 s after.
        ticks = (round(i * 10**9 / fps) * 1e-9 for i in range(span.tick_count(fps)))
        tick = next(ticks, None)
        topics = [*self.features, *self.language]
        self._persistent_before_span()
        try:
            for topic, log_ns, msg in self.bag.messages(topics, span.start_ns - lookback_ns,
                                                         span.stop_ns + math.ceil(self.lag_s * 1e9)):
                log_s = (log_ns - span.start_ns) * 1e-9
                while tick is not None and tick + self.lag_s < log_s:
                    self._sample(tick)
                    tick = next(ticks, None)
                self._push(topic, log_ns, log_s, msg)
            while tick is not None:
                self._sample(tick)
                tick = next(ticks, None)
            episodes = [EncodedEpisode(buffer.finish(), self._persistent_rows(first, last), first)
                        for buffer, first, last in self.parts]
        except BaseException:
            for buffer, _, _ in self.parts:
                buffer.discard()
            raise
        return SpanResult(span, episodes, self.sampler.finish_episode(), len(self.pending_events))

    def _persistent_before_span(self) -> None:
        """Subtask, plan and memory messages from the bag's start: the latest of each kind before the
        span is still active at its first frame."""
        topics = [topic for topic, language in self.language.items() if language.persistent]
        span = self.job.span
        for topic, log_ns, msg in self.bag.messages(topics, None, span.start_ns) if topics else ():
            self.persistent.append(((log_ns - span.start_ns) * 1e-9, self.language[topic], msg.data))

    def _push(self, topic: str, log_ns: int, log_s: float, msg: object) -> None:
        if topic in self.language:
            if self.job.span.start_ns <= log_ns < self.job.span.stop_ns:
                language = self.language[topic]
                if language.persistent:
                    self.persistent.append((log_s, language, msg.data))
                else:
                    self.pending_events.append((log_s, language.row(msg.data)))
            return
        for feature in self.features[topic]:
            self.sampler.push(feature.key, self._time_s(feature, log_s, msg), self.job.contract.value(feature, msg))

    def _time_s(self, feature: FeatureConfig, log_s: float, msg: object) -> float:
        if feature.time_source != "header":
            return log_s
        stamp = header_time_s(msg)
        if stamp is None:
            raise MessageValueError(f"feature {feature.key!r}: time_source header, but {feature.topic} "
                                    "messages have no header; use time_source: receive")
        return stamp - self.job.span.start_ns * 1e-9

    def _sample(self, tick: float) -> None:
        frame = self.sampler.sample(tick)
        if frame is None:
            return
        gaps = self.sampler.report.gap_ticks
        if not self.parts or (self.job.split_on_gaps and gaps > self.gaps_seen):
            staging = self.job.staging / f"part-{len(self.parts)}"
            self.parts.append((EpisodeBuffer(self.job.features, self.job.contract.config.fps, staging, self.job.encoding),
                               tick, tick))
        self.gaps_seen = gaps
        buffer, first, _ = self.parts[-1]
        events = [row for t, row in self.pending_events if t <= tick]
        self.pending_events = [(t, row) for t, row in self.pending_events if t > tick]
        buffer.add(frame.values, self.job.span.task, events)
        self.parts[-1] = (buffer, first, tick)

    def _persistent_rows(self, first: float, last: float) -> list[LanguageRow]:
        """The rows active in [first, last]: the latest of each kind at or before the first frame
        (time 0), then every later one, timed from the first frame."""
        active: dict[str, LanguageRow] = {}
        later = []
        for t, topic, text in sorted(self.persistent, key=lambda m: m[0]):
            if t <= first:
                active[topic.kind] = topic.row(text, 0.0)
            elif t <= last:
                later.append(topic.row(text, t - first))
        return [*active.values(), *later]


def _report(result: SpanResult, part: int | None, episode_index: int | None, length: int,
            episode: EncodedEpisode | None) -> dict:
    """The JSON report of one episode (or of a span that gave none): its source and the span's
    quality (the sampler's account of every tick of the span, shared by the parts of a split span)."""
    span = result.span
    return {
        "episode_index": episode_index,
        "length": length,
        "bag": str(span.bag.path),
        "span_start_ns": span.start_ns,
        "span_stop_ns": span.stop_ns,
        "task": span.task,
        "part": part,
        "first_tick_s": None if episode is None else episode.first_tick_s,
        "language_events_dropped": result.events_dropped,
        "quality": result.report.to_dict(),
        **({} if episode is not None else {"skipped": "no tick had every stream fresh; see quality"}),
    }
