"""Launch files and parameter files, checked without a launch runtime (none is installable here).

Each launch file must parse, define generate_launch_description, start only executables this
package installs, and name only config files that exist; each parameter file must name real
parameters of its node with values they accept. A slow test starts each node from its shipped
parameter file with ``--ros-args --params-file``, as a launch file would.
"""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

import pytest
import yaml

from ros_processes import NodeProcess, wait_for

REPO = Path(__file__).resolve().parents[1]
LAUNCH_FILES = sorted((REPO / "launch").glob("*.launch.py"))
CONSOLE_SCRIPTS = dict(re.findall(r'"([\w-]+) = (lerobot_ros[\w.]+):main"', (REPO / "setup.py").read_text()))
# parameter file -> the module whose PARAMS declare that node's parameters
PARAM_FILES = {
    "robot_node.yaml": "lerobot_ros.nodes.robot_node",
    "camera_node.yaml": "lerobot_ros.nodes.camera_node",
    "gamepad_node.yaml": "lerobot_ros.nodes.gamepad_node",
    "keyboard_node.yaml": "lerobot_ros.nodes.keyboard_node",
    "teleop_node.yaml": "lerobot_ros.nodes.teleop_node",
    "policy_node.yaml": "lerobot_ros.nodes.policy_node",
    "say_node.yaml": "lerobot_ros.nodes.say_node",
}


def _keyword_strings(tree: ast.AST, keyword: str) -> list[str]:
    return [kw.value.value for node in ast.walk(tree) if isinstance(node, ast.Call) for kw in node.keywords
            if kw.arg == keyword and isinstance(kw.value, ast.Constant)]


def _config_paths(tree: ast.AST) -> list[str]:
    """Literal [..., "config", "<file>"] path pieces given to PathJoinSubstitution."""
    paths = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List):
            parts = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if "config" in parts and parts[-1] != "config":
                paths.append("/".join(parts[parts.index("config"):]))
    return paths


def test_there_are_launch_files():
    assert {p.name for p in LAUNCH_FILES} >= {"robot.launch.py", "camera.launch.py"}


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_is_consistent_with_the_package(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert "generate_launch_description" in functions
    assert _keyword_strings(tree, "package") and set(_keyword_strings(tree, "package")) == {"lerobot_ros"}
    for executable in _keyword_strings(tree, "executable"):
        assert executable in CONSOLE_SCRIPTS, f"{path.name} starts {executable!r}, which setup.py does not install"
    for config in _config_paths(tree):
        assert (REPO / config).is_file(), f"{path.name} names {config}, which does not exist"


@pytest.mark.parametrize("file_name", sorted(PARAM_FILES))
def test_parameter_file_names_real_parameters_with_valid_values(file_name):
    document = yaml.safe_load((REPO / "config" / file_name).read_text())
    (node_name, body), = document.items()  # a node name, or the /** wildcard
    params = {p.name: p for p in importlib.import_module(PARAM_FILES[file_name]).PARAMS}
    for key, value in body["ros__parameters"].items():
        assert key in params, f"{file_name}: {key!r} is not a parameter of {PARAM_FILES[file_name]}"
        params[key].validate(value)


@pytest.mark.slow
@pytest.mark.ros
@pytest.mark.parametrize("module, node_name, params_file, overrides, ready", [
    ("lerobot_ros.nodes.robot_node", "robot_node", "robot_node.yaml", [], "joints at"),
    ("lerobot_ros.nodes.camera_node", "front_camera", "camera_node.yaml",
     ["-p", "source:=sim", "-p", "name:=front"], "front"),
    ("lerobot_ros.nodes.teleop_node", "teleop_node", "teleop_node.yaml", [], "leader so101_leader"),
])
def test_node_starts_from_its_parameter_file(module, node_name, params_file, overrides, ready, tmp_path):
    node = NodeProcess(module, node_name, REPO / "config" / params_file, tmp_path, extra_args=overrides)
    try:
        assert wait_for(lambda: ready in node.log(), timeout=30.0), node.log()
        assert node.alive(), node.log()
    finally:
        assert node.stop() == 0, node.log()
