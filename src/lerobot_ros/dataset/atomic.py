"""Durable, all-or-nothing file replacement: the primitive the crash-safety design rests on.

A file is written under a temporary name in the same folder, flushed and fsynced, renamed over its
destination with ``os.replace`` (atomic on POSIX), and the folder is fsynced so the rename itself
survives a power cut. A reader therefore sees either the old complete file or the new complete
file, never a torn one; a crash leaves at most a ``.partial`` temp file that ``repair`` deletes.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .layout import partial_path

T = TypeVar("T")


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new entry in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


def commit(tmp: Path, final: Path) -> None:
    """fsync ``tmp``, rename it over ``final`` and fsync the folder."""
    fsync_file(tmp)
    os.replace(tmp, final)
    fsync_dir(final.parent)


def write_atomically(final: Path, write: Callable[[Path], T]) -> T:
    """Call ``write(tmp_path)`` to produce the new content, commit it over ``final``, and return
    what ``write`` returned. On any error the temp file is removed and ``final`` is left as it was.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = partial_path(final)
    try:
        result = write(tmp)
        commit(tmp, final)
        return result
    finally:
        tmp.unlink(missing_ok=True)


def write_json_atomically(final: Path, data: object) -> None:
    text = json.dumps(data, indent=4, ensure_ascii=False) + "\n"
    write_atomically(final, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def move_atomically(src: Path, final: Path) -> None:
    """Rename a finished file (same file system) to ``final`` durably."""
    final.parent.mkdir(parents=True, exist_ok=True)
    commit(src, final)
