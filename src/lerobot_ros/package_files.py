"""Where the package's data files are: ``config/`` in a source checkout, a pip install or a colcon install.

Code that ships with a file (a recipe, a recording config, the loopback DDS profile) finds it here,
so the same call works from a clone (`make demo`), a venv and a ROS workspace.
"""

from __future__ import annotations

import sys
from pathlib import Path

PACKAGE = "lerobot_ros"


def config_roots() -> list[Path]:
    """Folders that may hold the package's ``config/``, most specific first."""
    here = Path(__file__).resolve()
    return [
        here.parents[2],  # source checkout: <repo>/src/lerobot_ros/package_files.py
        Path(sys.prefix) / "share" / PACKAGE,  # pip install (setup.py data_files)
        # colcon: <install>/<pkg>/lib/pythonX.Y/site-packages/lerobot_ros/ next to <install>/<pkg>/share
        here.parents[4] / "share" / PACKAGE,
    ]


def config_path(relative: str, *, what: str | None = None) -> Path:
    """The file ``config/<relative>``; FileNotFoundError naming ``what`` and every folder looked in."""
    roots = config_roots()
    for root in roots:
        if (root / "config" / relative).is_file():
            return root / "config" / relative
    raise FileNotFoundError(f"no {what or 'config file'} config/{relative}; looked in "
                            f"{[str(root / 'config') for root in roots]}")
