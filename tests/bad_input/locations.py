"""Real read-only, full and mounted folders for the bad-input tests (we run as root).

As root, file permissions do not stop writes, so a read-only folder needs the file system's help.
What works here (Debian 12 container, ext4, root) and is used: ``chattr +i`` (immutable: no file
can be created, renamed or removed in the folder, root included) and a ``tmpfs`` mount, mounted
read-only or with a small size, at a folder of the test's own (a real mount point: it cannot be
removed while mounted). A machine where neither works (no CAP_SYS_ADMIN, a file system without the
immutable flag) skips the test, saying why.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def immutable(*paths: Path) -> Iterator[None]:
    """``paths`` (folders: recursively) made immutable with chattr +i for the block."""
    if os.geteuid() != 0:
        pytest.skip("chattr +i needs root")
    done = subprocess.run(["chattr", "-R", "+i", *map(str, paths)], capture_output=True, text=True)
    if done.returncode:
        subprocess.run(["chattr", "-R", "-i", *map(str, paths)], capture_output=True)
        pytest.skip(f"chattr +i does not work here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-R", "-i", *map(str, paths)], check=True)


@contextmanager
def tmpfs(mount_point: Path, *, size_kb: int = 262144, read_only: bool = False) -> Iterator[Path]:
    """A tmpfs mounted at ``mount_point`` (created) for the block."""
    mount_point.mkdir(parents=True, exist_ok=True)
    options = f"size={size_kb}k" + (",ro" if read_only else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(mount_point)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


@contextmanager
def read_only_copy(source: Path, mount_point: Path) -> Iterator[Path]:
    """A copy of folder ``source`` on a tmpfs that is then remounted read-only: a read-only mount."""
    with tmpfs(mount_point) as folder:
        subprocess.run(["cp", "-a", f"{source}/.", str(folder)], check=True)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
