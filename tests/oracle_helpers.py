"""Running LeRobot 0.6.1 (the oracle venv built by scripts/oracle_venv.sh) on a dataset folder."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
ORACLE_DIR = Path(__file__).parent / "dataset" / "oracle"


def build_oracle() -> Path:
    """The oracle's python, building its venv once (fails the test, never skips, if it cannot)."""
    venv = Path(os.environ.get("LEROBOT_ORACLE_VENV", Path.home() / ".cache" / "lerobot-oracle-0.6.1"))
    result = subprocess.run([str(REPO / "scripts" / "oracle_venv.sh")], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(
            "the LeRobot oracle venv could not be created (scripts/oracle_venv.sh failed), so interop "
            f"with LeRobot is unverified:\n{result.stderr[-3000:]}",
            pytrace=False,
        )
    return venv / "bin" / "python"


def run_in_oracle(python: Path, script: str, *args: Path) -> None:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": ""}
    result = subprocess.run([str(python), str(ORACLE_DIR / script), *map(str, args)], env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"{script} failed in the oracle venv:\n{result.stderr[-5000:]}"


def lerobot_view(python: Path, root: Path, out: Path) -> tuple[dict, dict]:
    run_in_oracle(python, "read_with_lerobot.py", root, out)
    frames = np.load(out / "frames.npz")
    return {k.replace("|", "/"): frames[k] for k in frames.files}, json.loads((out / "meta.json").read_text())
