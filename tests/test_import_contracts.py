"""The package's layers (docs/architecture.md, "Layers") and its ROS-free core, as import-linter
contracts (.importlinter): checked here, so `make test` and `make test-fast` fail on an upward import,
an import cycle between layers, or rclpy / a ROS message package imported below the nodes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(src: Path) -> subprocess.CompletedProcess:
    assert LINT_IMPORTS.exists(), "import-linter is missing: pip install -r requirements/dev.txt"
    env = {**os.environ, "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--config", str(REPO / ".importlinter")],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_the_import_contracts_hold():
    result = lint_imports(REPO / "src")
    assert result.returncode == 0, result.stdout + result.stderr


def test_an_upward_import_breaks_the_layers(tmp_path):
    """The contracts are not vacuous: motors/ importing the nodes fails the check, naming the import."""
    shutil.copytree(REPO / "src" / "lerobot_ros", tmp_path / "lerobot_ros",
                    ignore=shutil.ignore_patterns("__pycache__"))
    model = tmp_path / "lerobot_ros" / "motors" / "model.py"
    model.write_text(model.read_text() + "\nfrom ..nodes import runner  # noqa\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "lerobot_ros.motors is not allowed to import lerobot_ros.nodes" in result.stdout
    assert "lerobot_ros.motors.model -> lerobot_ros.nodes.runner" in result.stdout


def test_one_import_style_inside_the_package():
    """Modules of lerobot_ros import each other relatively (tests, benchmarks and scripts import the
    package by name)."""
    import ast

    import re

    absolute = []
    for path in sorted((REPO / "src" / "lerobot_ros").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        if not re.search(r"^\s*(from|import)\s+lerobot_ros\b", text, re.M):
            continue  # parse only the files that may import the package by name
        for node in ast.walk(ast.parse(text)):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if any(n == "lerobot_ros" or n.startswith("lerobot_ros.") for n in names):
                absolute.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert not absolute, "import lerobot_ros relatively inside the package: " + ", ".join(absolute)


def test_the_architecture_diagram_lists_the_layers_and_every_package():
    """docs/architecture.md "Layers" is .importlinter's layer order, and names every package on disk."""
    import configparser
    import re

    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("## Layers", 1)[1].split("```", 2)[1]
    documented = [[name.strip() for name in re.split(r"\s{2,}", line.strip())[0].split("|")]
                  for line in block.strip().splitlines()]
    config = configparser.ConfigParser()
    config.read(REPO / ".importlinter")
    contracted = [[name.strip().removeprefix("lerobot_ros.") for name in line.split("|")]
                  for line in config["importlinter:contract:layers"]["layers"].strip().splitlines()]
    assert documented == contracted
    package = REPO / "src" / "lerobot_ros"
    on_disk = {p.parent.name for p in package.glob("*/__init__.py")} | \
        {p.stem for p in package.glob("*.py") if p.stem != "__init__"}
    assert {name for layer in documented for name in layer} == on_disk
