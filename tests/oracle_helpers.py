"""Running LeRobot itself on a dataset folder: the references are lerobot 0.6.1 on Python 3.12 (the
oracle venv, scripts/oracle_venv.sh; it reads the language columns) and lerobot 0.4.4 on Python 3.11
(scripts/reference_venv_044.sh; the last release for Python < 3.12, which has no language columns).
Both are built once per machine outside the clone (``make oracle``)."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
ORACLE_DIR = Path(__file__).parent / "dataset" / "oracle"


# version -> (environment variable overriding the venv, default venv folder in ~/.cache, build script)
REFERENCE_VENVS = {
    "0.6.1": ("LEROBOT_ORACLE_VENV", "lerobot-oracle-0.6.1", "oracle_venv.sh"),
    "0.4.4": ("LEROBOT_REF_VENV", "lerobot-ref-0.4.4", "reference_venv_044.sh"),
}


@dataclass(frozen=True)
class Reference:
    """One LeRobot release to check interop against."""

    version: str
    python: Path

    @property
    def reads_language(self) -> bool:
        """The language columns exist from lerobot 0.6.0 on; 0.4.4 refuses a dataset declaring them."""
        return tuple(int(n) for n in self.version.split(".")) >= (0, 6, 0)


def build_reference(version: str) -> Reference:
    """A reference's python, building its venv once (fails the test, never skips, if it cannot)."""
    variable, folder, script = REFERENCE_VENVS[version]
    venv = Path(os.environ.get(variable, Path.home() / ".cache" / folder))
    result = subprocess.run([str(REPO / "scripts" / script)], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(
            f"the LeRobot {version} reference venv could not be created (scripts/{script} failed), so "
            f"interop with LeRobot {version} is unverified:\n{result.stderr[-3000:]}",
            pytrace=False,
        )
    return Reference(version, venv / "bin" / "python")


def build_oracle() -> Path:
    """The python of the LeRobot 0.6.1 oracle venv."""
    return build_reference("0.6.1").python


def run_in_oracle(python: Path, script: str, *args: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    result = subprocess.run([str(python), str(ORACLE_DIR / script), *map(str, args)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{script} failed in the LeRobot venv {python}:\n{result.stderr[-5000:]}"


def lerobot_view(python: Path, root: Path, out: Path) -> tuple[dict, dict]:
    run_in_oracle(python, "read_with_lerobot.py", root, out)
    frames = np.load(out / "frames.npz")
    return {k.replace("|", "/"): frames[k] for k in frames.files}, json.loads((out / "meta.json").read_text())


def lerobot_row(row) -> dict:
    """A LanguageRow as LeRobot's reader returns it: a dict with parsed tool calls, ``timestamp`` only
    on persistent rows."""
    out = {"role": row.role, "content": row.content, "style": row.style}
    if row.timestamp is not None:
        out["timestamp"] = row.timestamp
    out.update(camera=row.camera, tool_calls=list(row.tool_calls))
    return out
