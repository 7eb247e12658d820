"""Bring a dataset folder back to a valid dataset after a crash, without losing a committed episode.

The episodes metadata rows are the truth (see ``writer`` for why): every episode whose row is on
disk was completely written before the row was. A crash therefore leaves only things no row points
at: rows past the last committed frame in data shards, seconds past the last committed episode in
mp4 shards, shards nothing points at, trailing tasks no episode uses, temp files, the staging folder,
and ``info.json``/``stats.json`` one episode behind. ``repair`` removes those on its own (stream
copy for the mp4 tails, so the kept episodes decode bit for bit as before) and recomputes
``info.json`` and ``stats.json`` from the rows. Running it on a healthy dataset changes nothing.

A committed episode that cannot be read (a damaged or missing file: a disk fault or a careless copy,
never a crash) is another matter: ``check`` finds it, and repair does not touch the folder unless
told to (``force=True``, the CLI's ``--apply``); otherwise it raises ``RepairNeedsConfirmation``
with the report. Told to, it never deletes anything recorded: the original folder is renamed, whole
and untouched, to ``<root>.damaged-<UTC time>`` (every episode, rows and videos, as it was), and the
intact episodes are copied from it into a new dataset at ``<root>``, renumbered contiguously by the
same code as ``lerobot-ros dataset delete-episodes`` (``edit.copy_episodes``).
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from . import stats as stats_mod
from .atomic import fsync_dir, write_atomically, write_json_atomically
from .check import CheckReport, Problem, check_dataset, episode_ranges
from .edit import copy_episodes
from .episodes import EpisodeRecord
from .info import DatasetInfo
from .layout import (
    DATA_DIR,
    PARTIAL_SUFFIX,
    STAGING_DIR,
    STATS_PATH,
    TASKS_PATH,
    VIDEOS_DIR,
    data_file,
    video_file,
)
from .parquet_io import keep_rows_below
from .reader import DatasetReader
from .tasks import TaskTable
from .video import duration_s, stream_info, truncate

# Half a frame at 1000 fps: well under any frame period, well over float rounding of timestamps.
_TIME_SLACK_S = 5e-4
ASIDE_INFIX = ".damaged-"


@dataclass
class RepairReport:
    """What repair did, or (``applied`` False: a dry run or a refusal) would do.

    ``episodes``/``frames`` are what the dataset at ``root`` holds (would hold) afterwards;
    ``set_aside`` the committed episodes (original numbering) that are not in it, and
    ``set_aside_to`` the folder holding the untouched original with all of them.
    """

    root: Path
    applied: bool = True
    episodes: int = 0
    frames: int = 0
    committed: int = 0
    set_aside: list[int] = field(default_factory=list)
    metadata_lost: bool = False
    set_aside_to: Path | None = None
    renumbered: dict[int, int] = field(default_factory=dict)  # original index -> new, where they differ
    problems: list[Problem] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    truncated: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)

    @property
    def dropped_episodes(self) -> int:
        """Committed episodes that are no longer in the dataset at ``root`` (they are set aside)."""
        return len(self.set_aside)

    @property
    def loses_episodes(self) -> bool:
        return bool(self.set_aside) or self.metadata_lost

    @property
    def changed(self) -> bool:
        return bool(self.loses_episodes or self.removed or self.truncated or self.rewritten)

    def summary(self) -> str:
        """The report for people: what is wrong, what is kept, where set-aside episodes are."""
        would = "" if self.applied else "would be "
        lines = [f"{self.root}: {self.committed} committed episodes; {self.episodes} {would}kept "
                 f"({self.frames} frames)"]
        if self.problems:
            lines.append("problems:")
            lines.extend(f"  {problem}" for problem in self.problems)
        if self.loses_episodes:
            where = self.set_aside_to or self.root.with_name(f"{self.root.name}{ASIDE_INFIX}<UTC time>")
            which = f"episodes {episode_ranges(self.set_aside)}" if self.set_aside else "no located episode"
            lost = " and the episodes whose metadata rows are lost" if self.metadata_lost else ""
            lines.append(f"set aside: {which}{lost} {'(not applied) ' if not self.applied else ''}-> the "
                         f"original folder, untouched with every episode's rows and videos, "
                         f"{'is now' if self.applied else 'would move to'} {where}")
        if self.renumbered:
            lines.append("renumbered: " + ", ".join(f"{old}->{new}" for old, new in self.renumbered.items()))
        for name, paths in (("removed (never committed)", self.removed), ("truncated", self.truncated),
                            ("rewritten", self.rewritten)):
            if paths:
                lines.append(f"{would}{name}: {', '.join(paths)}")
        if not self.changed:
            lines.append("nothing to repair")
        elif not self.applied:
            lines.append(f"nothing was changed; apply with: lerobot-ros dataset repair {self.root} --apply")
        return "\n".join(lines)


class RepairNeedsConfirmation(ValueError):
    """Repair would have to set committed episodes aside; nothing was changed. ``report`` says what
    it would do (``report.summary()``)."""

    def __init__(self, report: RepairReport):
        self.report = report
        files = sorted({p.path for p in report.problems})
        plural = "s" if len(report.set_aside) != 1 else ""
        which = (f"committed episode{plural} {episode_ranges(report.set_aside)}" if report.set_aside
                 else "committed episodes")
        lost = " (and episodes whose metadata rows are lost)" if report.metadata_lost and report.set_aside else ""
        super().__init__(
            f"{report.root}: {which}{lost} cannot be read (damaged: {', '.join(files)}); nothing was changed. "
            f"See what repair would do with `lerobot-ros dataset repair {report.root}`; "
            f"`lerobot-ros dataset repair {report.root} --apply` keeps the {report.episodes} intact episodes and "
            f"moves the untouched original to {report.root.name}{ASIDE_INFIX}<UTC time>"
        )


def repair(root: str | Path, *, force: bool = False, dry_run: bool = False, decode: bool = True,
           keep_staging: bool = False) -> RepairReport:
    """Repair the dataset at ``root`` (see the module docstring) and return what was done.

    ``dry_run`` changes nothing and returns what would be done. Without ``force``, a repair that
    would set committed episodes aside raises ``RepairNeedsConfirmation`` before changing anything.
    ``decode`` makes the check decode every video frame (else every packet is read, not decoded).
    Raises ``DatasetDamagedError`` when ``meta/info.json`` itself cannot be read. ``keep_staging``
    leaves ``.staging`` (a writer's episode in progress) in place.
    """
    root = Path(root)
    found = check_dataset(root, decode=decode)
    report = RepairReport(root, applied=not dry_run, committed=len(found.records), problems=list(found.problems),
                          metadata_lost=found.metadata_lost)
    if found.loses_episodes:
        _plan_set_aside(found, report)
        if dry_run:
            return report
        if not force:
            report.applied = False
            raise RepairNeedsConfirmation(report)
        _set_aside(found, report)
        return report
    _repair_in_place(found, report, apply=not dry_run, keep_staging=keep_staging)
    return report


# -- damaged committed episodes: set the original aside, rebuild from the intact episodes --------


def _plan_set_aside(found: CheckReport, report: RepairReport) -> None:
    kept = found.intact
    report.set_aside = found.damaged
    report.episodes = len(kept)
    report.frames = sum(found.records[e].length for e in kept)
    report.renumbered = {old: new for new, old in enumerate(kept) if old != new}


def _set_aside(found: CheckReport, report: RepairReport) -> None:
    """Rename the original folder aside, whole, and put a dataset of its intact episodes in its place.

    The new dataset is built next to the original first, so the only moment without a dataset at
    ``root`` is between two renames; a crash in it leaves the complete original at ``aside``.
    """
    root = found.root
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = root.with_name(f"{root.name}{ASIDE_INFIX}{stamp}")
    fresh = root.with_name(f".{root.name}.repaired-{stamp}")
    if aside.exists() or fresh.exists():
        raise FileExistsError(f"{aside} (or {fresh}) already exists; wait a second and repair again")
    kept = found.intact
    if kept:
        reader = DatasetReader.of(root, found.info, found.tasks, found.records)
        copy_episodes(reader, fresh, kept)
    else:
        fresh.mkdir()
        replace(found.info, total_episodes=0, total_frames=0, total_tasks=0).write(fresh)
    os.rename(root, aside)
    os.rename(fresh, root)
    fsync_dir(root.parent)
    report.set_aside_to = aside


# -- only uncommitted leftovers: cut them in place -------------------------------------------------


def _repair_in_place(found: CheckReport, report: RepairReport, apply: bool, keep_staging: bool = False) -> None:
    root, kept = found.root, found.records
    report.episodes = len(kept)
    report.frames = kept[-1].dataset_to_index if kept else 0
    _remove_temporaries(root, report, apply, keep_staging)
    _trim_data(root, kept, report, apply)
    _trim_videos(root, kept, report, apply)
    tasks = _trim_tasks(root, found, report, apply)
    _rewrite_info_and_stats(root, found.info, kept, tasks, report, apply)


def _remove_temporaries(root: Path, report: RepairReport, apply: bool, keep_staging: bool) -> None:
    staging = root / STAGING_DIR
    if staging.exists() and not keep_staging:
        if any(staging.iterdir()):
            report.removed.append(STAGING_DIR)
        if apply:
            shutil.rmtree(staging)
    for path in root.rglob(f"*{PARTIAL_SUFFIX}"):
        if apply:
            path.unlink()
        report.removed.append(str(path.relative_to(root)))


def _trim_data(root: Path, kept: list[EpisodeRecord], report: RepairReport, apply: bool) -> None:
    referenced = {data_file(root, r.data_slot) for r in kept}
    total = kept[-1].dataset_to_index if kept else 0
    for path in sorted((root / DATA_DIR).glob("*/*.parquet")):
        rel = str(path.relative_to(root))
        if path not in referenced:
            if apply:
                path.unlink()
            report.removed.append(rel)
        elif apply and keep_rows_below(path, "index", total):
            report.truncated.append(rel)
        elif not apply and pc.any(pc.greater_equal(pq.read_table(path, columns=["index"]).column("index"),
                                                   total)).as_py():
            report.truncated.append(rel)


def _trim_videos(root: Path, kept: list[EpisodeRecord], report: RepairReport, apply: bool) -> None:
    ends: dict[Path, float] = {}
    for record in kept:
        for key, span in record.videos.items():
            path = video_file(root, key, span.slot)
            ends[path] = max(ends.get(path, 0.0), span.to_timestamp)
    for path in sorted((root / VIDEOS_DIR).glob("*/*/*.mp4")):
        rel = str(path.relative_to(root))
        if path not in ends:
            if apply:
                path.unlink()
            report.removed.append(rel)
        elif duration_s(path) > ends[path] + _TIME_SLACK_S:
            if apply:
                write_atomically(path, lambda tmp, p=path: truncate(p, ends[p], tmp))
            report.truncated.append(rel)


def _trim_tasks(root: Path, found: CheckReport, report: RepairReport, apply: bool) -> TaskTable:
    tasks = found.tasks
    used = {task for record in found.records for task in record.tasks}
    keep = len(tasks.tasks)
    while keep and tasks.tasks[keep - 1] not in used:
        keep -= 1
    if keep < len(tasks.tasks) or found.tasks_rebuilt:
        tasks = TaskTable(tasks.tasks[:keep])
        if apply:
            tasks.write(root)
        (report.rewritten if found.tasks_rebuilt else report.truncated).append(TASKS_PATH)
    return tasks


def _rewrite_info_and_stats(root: Path, info: DatasetInfo, kept: list[EpisodeRecord], tasks: TaskTable,
                            report: RepairReport, apply: bool) -> None:
    features = info.features
    if kept:
        for key, span in kept[0].videos.items():
            if "video.height" not in (features[key].info or {}):
                # The crash came before info.json got the first episode's stream info.
                first = video_file(root, key, span.slot)
                features = features.with_video_info(key, {**(features[key].info or {}), **stream_info(first)})
    fixed = replace(
        info,
        features=features,
        total_episodes=len(kept),
        total_frames=kept[-1].dataset_to_index if kept else 0,
        total_tasks=len(tasks.tasks),
    )
    if fixed.to_json() != info.to_json():
        if apply:
            fixed.write(root)
        report.rewritten.append("meta/info.json")
    stats_path = root / STATS_PATH
    if not kept:
        if stats_path.exists():
            if apply:
                stats_path.unlink()
            report.removed.append(STATS_PATH)
        return
    # The writer aggregates the same per-episode rows in the same order, so a healthy file is equal.
    combined = stats_mod.to_json(stats_mod.aggregate(r.stats for r in kept))
    if _read_json(stats_path) != combined:
        if apply:
            write_json_atomically(stats_path, combined)
        report.rewritten.append(STATS_PATH)


def _read_json(path: Path) -> object:
    """The file's JSON, or None when it is missing or unreadable (then it is rewritten)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
