"""Checks ``RecordingSession.open`` makes before the first frame: can the dataset be written there?

Without them a read-only location or a full disk is found when the first episode is saved, after
the user performed the whole episode (issue 21), and a codec mismatch on resume points at an option
of the Python API that the command line does not have.

Writability is probed by creating and removing a file in each folder the recording writes: that is
the only test that holds for every cause, as root too (``os.access`` says yes to root on a folder
made immutable with ``chattr +i``; a read-only mount, a permission and an immutable flag all make
the probe fail).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from ..dataset import VideoEncoding
from ..dataset.info import DatasetInfo
from .errors import SessionError

# Less free space than this refuses to start: a minute of one 640x480 AV1 camera is about 10-20 MB,
# plus its data rows and the encoder's temporary segment. A floor, not a guarantee for a long session.
MIN_FREE_MB = 100


class PreflightError(SessionError):
    """The dataset cannot be recorded at this location; the message names the folder and the fix."""


def check_location(root: Path, reports: Path, min_free_mb: float = MIN_FREE_MB) -> None:
    """Raise PreflightError unless the dataset folder and the reports folder can be written, with
    ``min_free_mb`` free; folders that do not exist yet are checked at their nearest existing parent."""
    folders = [_existing(root)]
    if root.is_dir():
        folders += [root / name for name in ("meta", "data", "videos") if (root / name).is_dir()]
    folders.append(_existing(reports))
    for folder in dict.fromkeys(folders):
        _probe(folder)
    free_mb = shutil.disk_usage(_existing(root)).free / 2**20
    if free_mb < min_free_mb:
        raise PreflightError(
            f"{_existing(root)}: only {free_mb:.0f} MiB free; recording needs at least {min_free_mb:.0f} MiB "
            "(an episode's video and data): free some space or record onto another disk")


def check_resume_codec(root: Path, video: VideoEncoding | None) -> None:
    """A dataset is resumed with the codec its videos were encoded with (info.json describes one)."""
    if video is None:
        return
    info = DatasetInfo.load(root)
    recorded = [info.features[key].info for key in info.features.video_keys if info.features[key].info]
    if recorded and VideoEncoding.from_info(recorded[0]).codec != video.codec:
        used = VideoEncoding.from_info(recorded[0]).codec
        raise PreflightError(
            f"{root}: its videos are encoded with {used}, not {video.codec}; resume it with the same codec: "
            f"lerobot-ros record --codec {used} (recorder_node: -p codec:={used}), or record into a new folder")


def _existing(path: Path) -> Path:
    """``path``, or its nearest existing parent (where the folder would be created)."""
    path = Path(path).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _probe(folder: Path) -> None:
    try:
        handle, name = tempfile.mkstemp(dir=folder, prefix=".lerobot_ros-write-check-")
        os.close(handle)
        os.unlink(name)
    except OSError as err:
        raise PreflightError(
            f"{folder} is not writable ({err.strerror}); nothing was recorded: pick a writable folder, or make "
            "it writable (a read-write mount, chattr -i, permissions)") from None
