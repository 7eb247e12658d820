"""The one error path of every ``lerobot-ros`` command: a failure the user can cause is one line.

Subcommands raise; :func:`lerobot_ros.cli.main.main` catches what :func:`caused_by_user` accepts and
prints :func:`describe`'s line (exit status 1). Our own errors (``RecordingConfigError``,
``BagError``, ``DatasetDamagedError``, ``SessionError``, ...) already name the file, key or topic and
the fix; an ``OSError`` from the file system names the path, and gets the fix for its errno here (a
read-only location or a full disk is the user's to fix, not a bug). Anything else is a bug and keeps
its traceback. ``LEROBOT_ROS_TRACEBACK=1`` shows the traceback of a user error too, for a bug report.
"""

from __future__ import annotations

import errno
import os
import sys

TRACEBACK_VARIABLE = "LEROBOT_ROS_TRACEBACK"

_OS_FIXES = {
    errno.EROFS: "the file system is read-only: pick a folder on a writable disk (or remount it read-write)",
    errno.EACCES: "permission denied: pick a folder you may write to, or fix its permissions",
    errno.EPERM: "not permitted (read-only or immutable): pick a writable folder, or lift the restriction "
                 "(chattr -i, a read-write mount)",
    errno.ENOSPC: "the disk is full: free some space or pick a folder on another disk",
    errno.EDQUOT: "the disk quota is used up: free some space or pick a folder on another disk",
    errno.ENOENT: "no such file or folder: check the path",
    errno.EBUSY: "the folder is busy (a mount point?): use a folder inside it",
}


def caused_by_user(error: BaseException) -> bool:
    """True for failures a user causes (bad input, a path, the disk), which get one line, not a traceback."""
    if os.environ.get(TRACEBACK_VARIABLE):
        return False
    import yaml

    from ..dataset.hub import HubError
    from ..recording.recording_session import SessionError

    return isinstance(error, (ValueError, OSError, yaml.YAMLError, SessionError, HubError))


def describe(error: BaseException) -> str:
    """The error as one line; an ``OSError`` gets the fix for its errno."""
    if isinstance(error, OSError) and error.errno in _OS_FIXES and not _is_ours(error):
        path = error.filename or ""
        detail = error.strerror or str(error)
        text = f"{path}: {detail}; {_OS_FIXES[error.errno]}" if path else f"{error}; {_OS_FIXES[error.errno]}"
    else:
        text = str(error) or type(error).__name__
    return " ".join(text.split())


def report(error: BaseException) -> int:
    """Print ``error`` as one line on stderr (``error: ...``); the exit status (1)."""
    print(f"error: {describe(error)}", file=sys.stderr)
    return 1


def _is_ours(error: OSError) -> bool:
    """Our own OSErrors (DatasetNotFoundError, ...) carry a full message already."""
    return type(error).__module__.startswith("lerobot_ros.")
