"""The live recorder's core, without ROS: episodes, the fps grid, language rows, honest drop counting.

A ``RecordingSession`` owns a ``DatasetWriter`` (created, or resumed after ``repair``), a
``CausalSampler`` and an ``EncodingWorker``. Adapters (recorder_node, ``lerobot-ros record``) push
converted messages in; a ticker thread samples the grid; services call the episode methods.

Episode states: ``idle`` -> ``start_episode(task)`` -> ``recording`` -> ``end_episode()`` (or the
blocking ``stop_episode()``) -> ``idle`` (or ``discard_episode()`` -> ``idle``); ``finalize()`` ->
``finalized``.

Saving in the background. ``end_episode`` returns at once, and the next take may start right away.
The stopped take's last ticks are still sampled once their messages can have arrived
(``sample_delay_s``), then each part of it is detached from the encoding worker (``take_episode``)
and handed to a commit thread, which flushes its encoders and commits it (``DatasetWriter``'s write
order, one commit at a time, in order) while the worker encodes the next take's frames. The returned
future resolves to the take's ``EpisodeOutcome`` once every part is committed; ``status().episodes``
counts committed episodes only, so an episode is saved, and survives a kill, once it is counted
there. The writer puts each episode in new files (``one_episode_per_file``), so a commit costs the
same at any dataset size.

Time. Ticks are ``origin + i / fps`` on the session clock (wall time, the clock ROS stamps with);
a tick ``t`` is sampled once ``clock() >= t + sample_delay_s`` (the delay lets messages stamped
before ``t`` by their header arrive). A late ticker catches up: it samples every overdue tick, each
from the messages at or before it, so a slow loop never shifts data in time. Ticks after
``start_episode`` and up to ``stop_episode`` (or, for a timed episode, up to its end) belong to the
episode.

Every tick of an episode lands in exactly one bucket of its ``EpisodeAccount``:

- ``written``: the complete frame was queued for the encoder (and is written);
- ``not_fresh``: a stream was stale or missing, no frame (the sampler's rule);
- ``dropped_encoder``: the frame was complete but the encoder queue was full;
- ``after_truncation``: see below.

Gaps. The dataset stamps frame ``k`` at ``k / fps``. A tick lost *between* written frames would
stamp every later frame earlier than it was taken, so a lost tick ends the episode's contiguous
part. What follows is the session's ``on_gap``:

- ``split`` (the default, as the bag converter does): the part before the gap is saved as an episode
  of its own, and recording goes on into a new episode with the same task from the next tick that
  has every stream fresh. One ``start_episode`` .. ``stop_episode`` (a *take*) then saves several
  consecutive episodes; the account lists the gaps (``gaps``), and persistent language rows active
  at a gap are active again from frame 0 of the next part. Nothing recorded is thrown away.
- ``truncate``: the take keeps the frames before the first gap; later ticks count as
  ``after_truncation`` and the account says where and why (``truncated_at_s``, ``truncation_cause``).

Ticks lost before a part's first written frame only move its start.

Language rows arrive with their receive time and sit on the first written frame whose tick is at or
after it: event rows in that frame's ``language_events``, persistent rows (subtask, plan, memory)
with ``timestamp = frame_index / fps``. Persistent messages received while idle become active at
frame 0 of the next episode (the latest per kind); events received while idle are counted, not
stored. Rows that find no written frame (the episode ended first) are counted as unplaced.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..dataset import DatasetWriter, FileLimits, LanguageRow, SaveResult, VideoEncoding
from ..dataset.atomic import write_json_atomically
from .config import RecordingConfig
from .encoding_worker import EncodingWorker
from .errors import SessionError
from .live_language import LanguageTopic
from .preflight import check_location, check_resume_codec
from .quality import QualityReport
from .causal_sampler import CausalSampler

IDLE, RECORDING, FINALIZED = "idle", "recording", "finalized"
SPLIT, TRUNCATE = "split", "truncate"
GAP_POLICIES = (SPLIT, TRUNCATE)
_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionSettings:
    root: Path
    robot_type: str | None = None
    video: VideoEncoding | None = None  # None: LeRobot's default (new), the recorded one (resume)
    max_queued_frames: int = 60  # encoder queue bound; 2 s at 30 fps
    encoder_nice: int = 10  # the encoder thread's nice increment (encoding_worker): control loops go first
    sample_delay_s: float = 0.05  # a tick is sampled this long after its time
    limits: FileLimits = FileLimits()
    quality_dir: Path | None = None  # default: <root>.quality next to the dataset
    on_gap: str = SPLIT  # what a tick lost between written frames does: split or truncate (module docstring)

    def __post_init__(self) -> None:
        if self.on_gap not in GAP_POLICIES:
            raise ValueError(f"on_gap must be one of {', '.join(GAP_POLICIES)}, got {self.on_gap!r}")

    @property
    def reports(self) -> Path:
        return self.quality_dir or self.root.parent / f"{self.root.name}.quality"


@dataclass(frozen=True)
class Gap:
    """Where a take was split: the first lost tick after a written frame, and why it was lost."""

    at_s: float
    cause: str


@dataclass
class EpisodeAccount:
    """Where every grid tick of one take went; the buckets add up to ``ticks``."""

    ticks: int = 0
    written: int = 0
    not_fresh: int = 0
    dropped_encoder: int = 0
    after_truncation: int = 0
    first_frame_s: float | None = None  # tick time of frame 0
    truncated_at_s: float | None = None
    truncation_cause: str | None = None
    language_rows: int = 0
    language_unplaced: int = 0
    gaps: list[Gap] = field(default_factory=list)  # where the take was split (on_gap: split)

    @property
    def truncated(self) -> bool:
        return self.truncated_at_s is not None

    @property
    def interrupted(self) -> bool:
        """Ticks were lost between written frames: the take was split or truncated."""
        return self.truncated or bool(self.gaps)


@dataclass(frozen=True)
class EpisodeOutcome:
    """What ``stop_episode`` did: the episodes it saved (one per part of a split take), and why
    anything was not saved."""

    message: str
    account: EpisodeAccount
    quality: QualityReport
    results: tuple[SaveResult, ...] = ()
    report_paths: tuple[Path, ...] = ()
    blocked_s: float = 0.0  # how long the stop call blocked its caller (stop_episode: until committed)
    committed_after_s: float = 0.0  # from the stop call to the last part committed

    @property
    def saved(self) -> bool:
        return bool(self.results)

    @property
    def episode_indices(self) -> list[int]:
        return [result.episode_index for result in self.results]


@dataclass(frozen=True)
class SessionStatus:
    state: str
    task: str
    root: str
    episodes: int  # saved in the dataset
    frames: int  # written in the episode in progress (or the last one)
    ticks: int
    not_fresh: int
    dropped: int  # encoder drops in the episode
    truncated: bool  # ticks lost between written frames: the take was split or truncated
    dropped_total: int  # encoder drops in this session
    queued_frames: int
    last_save_s: float
    message: str


@dataclass
class _Episode:
    """One take; its frames go to the part in progress (a dataset episode), parts end at gaps."""

    task: str
    start_s: float
    stop_s: float | None = None
    account: EpisodeAccount = field(default_factory=EpisodeAccount)
    part_frames: int = 0  # frames written in the part in progress
    persistent: list[LanguageRow] = field(default_factory=list)  # the part in progress's rows
    active: dict[str, LanguageRow] = field(default_factory=dict)  # latest persistent row per kind
    pending: list[tuple[float, LanguageTopic, str]] = field(default_factory=list)  # not yet on a frame
    # One per part handed to the worker, in order: each resolves to the commit thread's future of its SaveResult.
    saves: list[Future] = field(default_factory=list)
    quality: QualityReport | None = None  # set when its last tick is sampled
    outcome: Future = field(default_factory=Future)  # the EpisodeOutcome, once every part is committed
    stopped_at: float = 0.0  # perf_counter() at the stop call
    stop_call_s: float = 0.0  # how long the stop call took


class RecordingSession:
    def __init__(self, config: RecordingConfig, writer: DatasetWriter, settings: SessionSettings,
                 language: tuple[LanguageTopic, ...] | None, clock: Callable[[], float] = time.time):
        self.config = config
        self.settings = settings
        self.language = language
        self.writer = writer
        self.clock = clock
        self.sampler = CausalSampler(config)
        self.worker = EncodingWorker(writer, settings.max_queued_frames, settings.encoder_nice)
        self.state = IDLE
        self._lock = threading.Lock()
        self._origin_s = clock()
        self._next_tick = 0
        self._episode: _Episode | None = None
        self._last: _Episode | None = None
        self._idle_persistent: dict[str, str] = {}
        self.idle_events_ignored = 0
        self.dropped_total = 0
        self.last_save_s = 0.0
        self.message = "idle"
        self._stop_ticker = threading.Event()
        self._ticker: threading.Thread | None = None
        self._closing: list[_Episode] = []  # stopped takes whose last ticks are not sampled yet, in order
        self._takes: list[Future] = []  # outcomes of stopped takes, until committed (finalize waits)
        self._committing = 0  # parts handed over for saving and not committed yet
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recorder-commit")

    # -- opening ----------------------------------------------------------------------------------

    @classmethod
    def open(cls, config: RecordingConfig, settings: SessionSettings,
             language: tuple[LanguageTopic, ...] | None, clock: Callable[[], float] = time.time
             ) -> RecordingSession:
        """Create the dataset at ``settings.root``, or resume it (repaired to its last complete
        episode first) when it exists; a dataset recorded with other features is refused.

        A location that cannot be written or has too little space, and a resume with another codec,
        are refused here, before the first frame (recording/preflight.py). An existing empty folder
        (a mount point) is recorded into as it is."""
        root = Path(settings.root)
        features = config.dataset_features()
        check_location(root, settings.reports)
        if (root / "meta" / "info.json").exists():
            check_resume_codec(root, settings.video)
            writer = DatasetWriter.resume(root, video=settings.video, one_episode_per_file=True)
            _check_compatible(writer, config, features, language is not None)
        else:
            if root.exists() and (not root.is_dir() or any(root.iterdir())):
                raise SessionError(f"{root} exists and is not a dataset (no meta/info.json); pick a new folder")
            writer = DatasetWriter.create(root, config.fps, features, robot_type=settings.robot_type,
                                          video=settings.video, language=language is not None,
                                          limits=settings.limits, one_episode_per_file=True)
        return cls(config, writer, settings, language, clock)

    # -- input ------------------------------------------------------------------------------------

    def push(self, key: str, value: object, header_s: float | None = None, received_s: float | None = None) -> None:
        """A converted message for stream ``key`` (a feature, or a feature's ``<key>/base``), stamped
        with its receive time or, for ``time_source: header`` features, with ``header_s``.

        ``received_s`` is when the middleware received the message (rmw's ``received_timestamp``, on
        the session clock). Give it when known: a callback that runs late (a busy executor, a stalled
        thread) then still files the message at the time it arrived. Without it the clock now stands in.
        """
        feature = self.config.stream(key)
        with self._lock:
            receive_s = received_s if received_s is not None else self.clock()
            time_s = feature.message_time_s(receive_s, header_s if header_s is not None else receive_s)
            self.sampler.push(key, time_s, value)

    def push_language(self, topic: LanguageTopic, text: str) -> None:
        """A String message on a language topic, stamped with its receive time."""
        with self._lock:
            now = self.clock()
            episode = self._episode
            if episode is not None and (episode.stop_s is None or now <= episode.stop_s):
                episode.pending.append((now, topic, text))
            elif topic.persistent:
                self._idle_persistent[topic.kind] = text
            else:
                self.idle_events_ignored += 1

    def silent_streams(self) -> list[str]:
        """Streams (features, base parts) whose topic has delivered nothing yet (a session driver waits
        for none); a command stream (cmd_vel) is not waited for: it is silent while the base stands."""
        with self._lock:
            return [s.key for s in self.config.streams
                    if not s.zero_when_silent and self.sampler.buffered(s.key) == 0]

    # -- the grid ---------------------------------------------------------------------------------

    def tick_time(self, index: int) -> float:
        return self._origin_s + index / self.config.fps

    def advance(self, now_s: float | None = None) -> None:
        """Sample every tick that is due at ``now_s`` (default: the clock now)."""
        now = self.clock() if now_s is None else now_s
        with self._lock:
            self._sample_until(now - self.settings.sample_delay_s)

    def start_ticker(self) -> None:
        """Sample the grid on a thread of its own until ``finalize``."""
        self._ticker = threading.Thread(target=self._run_ticker, name="recorder-ticker", daemon=True)
        self._ticker.start()

    def _run_ticker(self) -> None:
        while not self._stop_ticker.is_set():
            try:
                self.advance()
            except Exception:  # noqa: BLE001 - the ticker must outlive a bad tick; say it loudly
                _log.exception("sampling the grid failed")
            wake = self.tick_time(self._next_tick) + self.settings.sample_delay_s
            self._stop_ticker.wait(max(0.0, wake - self.clock()))

    def _sample_until(self, until_s: float) -> None:
        while (tick := self.tick_time(self._next_tick)) <= until_s:
            self._next_tick += 1
            while self._closing and tick > self._closing[0].stop_s:
                self._close(self._closing.pop(0))
            episode = self._closing[0] if self._closing else self._episode
            if episode is not None and episode.stop_s is not None and tick > episode.stop_s:
                self._end_sampling(episode)
                episode = None
            inside = episode is not None and tick > episode.start_s
            if inside and episode.account.ticks == 0:
                self.sampler.finish_episode()  # the report so far covered idle ticks
            frame = self.sampler.sample(tick, processed_at_s=self.clock())
            if inside:
                self._account(episode, tick, frame)

    def _account(self, episode: _Episode, tick: float, frame) -> None:
        account = episode.account
        account.ticks += 1
        if account.truncated:
            account.after_truncation += 1
            return
        if frame is None:
            account.not_fresh += 1
            self._gap(episode, tick, "a stream was stale or missing (see the streams)")
            return
        due = [item for item in episode.pending if item[0] <= tick]
        events = [topic.row(text) for _, topic, text in due if not topic.persistent]
        if not self.worker.offer(frame.values, episode.task, events):
            account.dropped_encoder += 1
            self.dropped_total += 1
            self._gap(episode, tick, "the encoder queue was full")
            return
        index = episode.part_frames
        episode.part_frames += 1
        account.written += 1
        if account.first_frame_s is None:
            account.first_frame_s = tick
        if index == 0:  # a part after a gap starts with the rows active when the gap came
            episode.persistent = [replace(row, timestamp=0.0) for row in episode.active.values()]
        for _, topic, text in due:
            if topic.persistent:
                # Two rows of one kind on the same frame: the later one is what is active.
                row = topic.row(text, index / self.config.fps)
                episode.persistent = [r for r in episode.persistent
                                      if not (r.style == row.style and r.timestamp == row.timestamp)]
                episode.persistent.append(row)
                episode.active[row.style] = row
        account.language_rows += len(due)
        episode.pending = [item for item in episode.pending if item[0] > tick]

    def _gap(self, episode: _Episode, tick: float, cause: str) -> None:
        """A tick lost: a gap when the part in progress has frames (see "Gaps" above)."""
        if not episode.part_frames:
            return
        if self.settings.on_gap == SPLIT:
            episode.account.gaps.append(Gap(tick, cause))
            self._save_part(episode)
        else:
            episode.account.truncated_at_s = tick
            episode.account.truncation_cause = cause

    def _save_part(self, episode: _Episode) -> None:
        """Hand the part in progress to the worker, to be saved after its frames."""
        rows, episode.persistent, episode.part_frames = episode.persistent, [], 0
        self._committing += 1
        episode.saves.append(self.worker.call(lambda writer: self._hand_over_part(writer, rows)))

    def _close(self, episode: _Episode) -> None:
        """A stopped take's last tick is sampled: save its last part, then report the take."""
        self._end_sampling(episode)
        if episode.part_frames:
            self._save_part(episode)
        self.worker.call(lambda _: self._committer.submit(self._report, episode))  # after its parts

    def _end_sampling(self, episode: _Episode) -> None:
        """The take's last tick is sampled: close its quality report; no later tick joins it."""
        if episode.quality is not None:
            return
        episode.quality = self.sampler.finish_episode()
        episode.account.language_unplaced += len(episode.pending)
        episode.pending = []
        if self._episode is episode:
            self._episode = None

    def _clear(self, writer: DatasetWriter) -> None:
        """On the worker thread: drop the part's frames, and a failure they caused with them."""
        self.worker.error = None
        writer.clear_episode()

    def _hand_over_part(self, writer: DatasetWriter, persistent: list[LanguageRow]) -> Future:
        """On the worker thread, after the part's frames: detach them for the commit thread."""
        error, self.worker.error = self.worker.error, None
        try:
            if error is not None:
                writer.clear_episode()
                raise error
            part = writer.take_episode()
        except Exception:
            with self._lock:
                self._committing -= 1
            raise
        return self._committer.submit(self._commit_part, writer, part, persistent)

    def _commit_part(self, writer: DatasetWriter, part, persistent: list[LanguageRow]) -> SaveResult:
        """On the commit thread: flush the part's encoders and commit it."""
        try:
            result = writer.save_episode(language_persistent=persistent, episode=part)
        finally:
            with self._lock:
                self._committing -= 1
        with self._lock:
            self.last_save_s = result.timings.total_s
        return result

    def _report(self, episode: _Episode) -> None:
        """On the commit thread, after the take's parts: its reports, message and outcome."""
        try:
            results, errors = [], []
            for save in episode.saves:
                try:
                    results.append(save.result().result())
                except Exception as err:  # noqa: BLE001 - that part is lost; the session goes on
                    errors.append(str(err))
            episode.outcome.set_result(self._finish(episode, results, errors))
        except Exception as err:  # noqa: BLE001 - handed to whoever waits for the take
            _log.exception("reporting a saved take failed")
            episode.outcome.set_exception(err)

    # -- episodes ---------------------------------------------------------------------------------

    def start_episode(self, task: str, duration_s: float | None = None) -> int:
        """Start recording ``task``; returns the index the episode will get when saved.

        With ``duration_s`` the episode holds exactly the ticks of that span from now, however late
        ``stop_episode`` comes (a timed session asks for this).
        """
        if not isinstance(task, str) or not task.strip():
            raise SessionError("start_episode needs a non-empty task, e.g. 'pick up the cube'")
        with self._lock:
            if self.state != IDLE:
                raise SessionError(f"cannot start an episode while {self.state}"
                                   + ("; stop or discard the current one first" if self.state == RECORDING else ""))
            now = self.clock()
            episode = _Episode(task=task, start_s=now, stop_s=None if duration_s is None else now + duration_s)
            if self.language:
                by_kind = {t.kind: t for t in self.language}
                episode.pending = [(now, by_kind[kind], text) for kind, text in self._idle_persistent.items()]
            self._idle_persistent = {}
            self._episode = self._last = episode
            self.state = RECORDING
            index = self._next_index()
            self.message = f"recording episode {index}: {task}"
            return index

    def _next_index(self) -> int:
        """The index the next saved episode gets: the committed ones and the parts still to commit."""
        return self.writer.num_episodes + self._committing + sum(1 for e in self._closing if e.part_frames)

    def end_episode(self) -> Future:
        """End the take now and return at once (see "Saving in the background" above); the future
        resolves to its ``EpisodeOutcome`` once every part of it is committed."""
        started = time.perf_counter()
        with self._lock:
            episode = self._require_recording("stop")
            episode.stop_s = min(self.clock(), episode.stop_s or float("inf"))
            episode.stopped_at = started
            self.state = IDLE
            if episode.quality is not None:  # a timed take whose last tick is sampled already
                self._close(episode)
            else:
                if self._episode is episode:
                    self._episode = None
                self._closing.append(episode)
            self._takes = [take for take in self._takes if not take.done()] + [episode.outcome]
            self.message = f"episode stopped ({episode.task}); saving it in the background"
            episode.stop_call_s = time.perf_counter() - started
        return episode.outcome

    def stop_episode(self) -> EpisodeOutcome:
        """End the take now and wait until every part of it is committed (``blocked_s``)."""
        started = time.perf_counter()
        outcome = self.end_episode()
        self._close_stopped()
        return replace(outcome.result(), blocked_s=time.perf_counter() - started)

    def _close_stopped(self) -> None:
        """Close the stopped takes as soon as their last ticks are due (what the ticker does, if one
        runs; a caller driving ``advance`` itself has none)."""
        while True:
            with self._lock:
                if not self._closing:
                    return
                stop_s = self._closing[0].stop_s
            time.sleep(max(0.0, stop_s + self.settings.sample_delay_s - self.clock()))
            with self._lock:
                self._sample_until(stop_s)
                if self._closing and self._closing[0].stop_s == stop_s:
                    self._close(self._closing.pop(0))

    def discard_episode(self) -> None:
        """Drop the take's part in progress; nothing of it is written. Parts that a gap already
        saved stay in the dataset (the message names them)."""
        with self._lock:
            episode = self._require_recording("discard")
            episode.stop_s = min(self.clock(), episode.stop_s or float("inf"))
            self._end_sampling(episode)
            cleared = self.worker.call(self._clear)
            self.state = IDLE
        kept = []
        for save in episode.saves:
            try:
                kept.append(save.result().result().episode_index)
            except Exception:  # noqa: BLE001 - a part that failed to save is not kept
                pass
        cleared.result()
        with self._lock:
            self.message = "episode discarded" + (
                f"; episodes {kept} saved earlier in it, at gaps, are kept "
                "(lerobot-ros dataset delete-episodes removes them)" if kept else "")

    def finalize(self) -> EpisodeOutcome | None:
        """Save an episode in progress, wait for every stopped take's commit, stop the ticker, the
        worker and the commit thread, close the writer."""
        outcome = self.stop_episode() if self.state == RECORDING else None
        self._close_stopped()
        for take in list(self._takes):
            try:
                take.result()
            except Exception:  # noqa: BLE001 - logged by _report; the others still count
                pass
        self._stop_ticker.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5.0)
        self.worker.close()
        self._committer.shutdown(wait=True)
        self.writer.close()
        self.state = FINALIZED
        self.message = f"finalized: {self.writer.num_episodes} episodes in {self.settings.root}"
        return outcome

    def status(self) -> SessionStatus:
        with self._lock:
            episode = self._episode or self._last
            account = episode.account if episode else EpisodeAccount()
            return SessionStatus(
                state=self.state, task=episode.task if episode else "", root=str(self.settings.root),
                episodes=self.writer.num_episodes, frames=account.written, ticks=account.ticks,
                not_fresh=account.not_fresh, dropped=account.dropped_encoder, truncated=account.interrupted,
                dropped_total=self.dropped_total, queued_frames=self.worker.queued_frames,
                last_save_s=self.last_save_s, message=self.message)

    def _require_recording(self, verb: str) -> _Episode:
        if self.state != RECORDING or self._last is None:
            raise SessionError(f"cannot {verb} an episode while {self.state}; start one first")
        return self._last  # the ticker may have closed a timed episode already

    def _finish(self, episode: _Episode, results: list[SaveResult], errors: list[str]) -> EpisodeOutcome:
        committed_after = time.perf_counter() - episode.stopped_at
        account = episode.account
        paths = []
        for part, result in enumerate(results):
            path = self.settings.reports / f"episode_{result.episode_index:06d}.json"
            path.parent.mkdir(parents=True, exist_ok=True)
            write_json_atomically(path, {
                "episode_index": result.episode_index, "task": episode.task, "length": result.length,
                "part": part, "parts": len(results), "account": asdict(account),
                "quality": episode.quality.to_dict(), "save_timings_s": asdict(result.timings),
                "stop_blocked_s": episode.stop_call_s, "committed_after_s": committed_after,
            })
            paths.append(path)
        message = _outcome_message(account, results, errors)
        if results:
            message += f" (committed {committed_after:.2f} s after the stop)"
        with self._lock:
            self.message = message
        return EpisodeOutcome(message=message, account=account, quality=episode.quality, results=tuple(results),
                              report_paths=tuple(paths), blocked_s=episode.stop_call_s,
                              committed_after_s=committed_after)


def _outcome_message(account: EpisodeAccount, results: list[SaveResult], errors: list[str]) -> str:
    """One line for the operator: what was saved, what was lost and why."""
    lost = account.not_fresh + account.dropped_encoder
    if len(results) == 1:
        message = f"saved episode {results[0].episode_index}: {results[0].length} frames"
    elif results:
        message = (f"saved episodes {results[0].episode_index}-{results[-1].episode_index}: "
                   + " + ".join(str(r.length) for r in results) + " frames")
    elif errors:
        message = "nothing saved"
    else:
        message = (f"nothing saved: no tick had every stream fresh ({account.not_fresh} not fresh, "
                   f"{account.dropped_encoder} dropped by the encoder queue)")
    if account.gaps:
        at = ", ".join(f"{gap.at_s - (account.first_frame_s or gap.at_s):.2f} s" for gap in account.gaps)
        causes = "; ".join(sorted({gap.cause for gap in account.gaps}))
        message += (f"; SPLIT at {len(account.gaps)} gap(s) ({at} into the take: {causes}), "
                    f"{lost} ticks lost in all")
    if account.truncated:
        message += (f"; TRUNCATED at {account.written} frames: {account.truncation_cause}, "
                    f"{account.after_truncation} later ticks not recorded")
    if errors:
        message += "; NOT SAVED: " + "; ".join(errors)
    return message


def _check_compatible(writer: DatasetWriter, config: RecordingConfig, features: dict, language: bool) -> None:
    info = writer.info
    problems = []
    if info.fps != config.fps:
        problems.append(f"fps {info.fps} (config: {config.fps})")
    recorded = {f.key: f for f in info.features.user}
    if set(recorded) != set(features):
        problems.append(f"features {sorted(recorded)} (config: {sorted(features)})")
    else:
        for key, spec in features.items():
            f = recorded[key]
            if (f.dtype, list(f.shape), f.names) != (spec["dtype"], spec["shape"], spec["names"]):
                problems.append(f"{key} as {f.dtype}{list(f.shape)} {f.names} (config: "
                                f"{spec['dtype']}{spec['shape']} {spec['names']})")
    if info.features.has_language != language:
        problems.append("language columns " + ("present" if info.features.has_language else "absent")
                        + " (config: " + ("on" if language else "off") + ")")
    if problems:
        writer.close()
        raise SessionError(f"{writer.root} was recorded with " + "; ".join(problems)
                           + "; record into a new folder or use the matching config")
