"""Launch files and parameter files, checked without a launch runtime (none is installable here).

Each launch file must parse, define generate_launch_description, start only executables this
package installs (or those of packages package.xml lists as exec_depends), name only files that
exist and setup.py installs, read only declared arguments, pass included launch files only
arguments they declare (and all they require), let no included file take an argument it was not
given from the including scope, and give our nodes real parameters of the right type; each parameter file
must name real parameters of its node with values they accept. A slow test starts each node from its shipped
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
    "robot_node.yaml": "lerobot_ros.node_params.robot_node",
    "camera_node.yaml": "lerobot_ros.node_params.camera_node",
    "gamepad_node.yaml": "lerobot_ros.node_params.gamepad_node",
    "keyboard_node.yaml": "lerobot_ros.node_params.keyboard_node",
    "teleop_node.yaml": "lerobot_ros.node_params.teleop_node",
    "policy_node.yaml": "lerobot_ros.node_params.policy_node",
    "say_node.yaml": "lerobot_ros.node_params.say_node",
    "recorder_node.yaml": "lerobot_ros.node_params.recorder_node",
}


SHARE_TREES = ("config", "launch", "urdf")  # the folders setup.py installs to share/lerobot_ros
# Nodes of other ROS packages the launch files start: (package, executable); each is an exec_depend.
EXTERNAL_EXECUTABLES = {
    ("robot_state_publisher", "robot_state_publisher"),
    ("joint_state_publisher_gui", "joint_state_publisher_gui"),
    ("rviz2", "rviz2"),
    ("moveit_ros_move_group", "move_group"),
}


def _config_paths(tree: ast.AST) -> list[str]:
    """Share-folder files a launch file names: literal [..., "config", ..., "<file>"] pieces given to
    PathJoinSubstitution (also under launch/ and urdf/), and "config/..."-style string constants."""
    paths = []
    for node in ast.walk(tree):
        if isinstance(node, ast.List):
            parts = [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
            if len(parts) == len(node.elts):  # all literal: a complete path
                roots = [i for i, part in enumerate(parts) if part in SHARE_TREES]
                if roots and roots[0] < len(parts) - 1:
                    paths.append("/".join(parts[roots[0]:]))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.split("/")[0] in SHARE_TREES and "." in node.value.rsplit("/", 1)[-1]:
                paths.append(node.value)
    return paths


def _node_calls(tree: ast.AST) -> list[dict[str, ast.expr]]:
    return [{kw.arg: kw.value for kw in n.keywords} for n in ast.walk(tree)
            if isinstance(n, ast.Call) and getattr(n.func, "id", None) == "Node"]


def _declared_arguments(tree: ast.AST) -> dict[str, ast.Call]:
    return {n.args[0].value: n for n in ast.walk(tree) if isinstance(n, ast.Call)
            and getattr(n.func, "id", None) == "DeclareLaunchArgument" and isinstance(n.args[0], ast.Constant)}


def _string_value(node: ast.expr, tree: ast.AST) -> str | None:
    """A literal string, or the value of a module-level NAME = "..." constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        for assign in tree.body:
            if isinstance(assign, ast.Assign) and any(getattr(t, "id", None) == node.id for t in assign.targets):
                return _string_value(assign.value, tree)
    return None


def test_there_are_launch_files():
    assert {p.name for p in LAUNCH_FILES} >= {"robot.launch.py", "camera.launch.py"}


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_is_consistent_with_the_package(path):
    tree = ast.parse(path.read_text(), filename=str(path))
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert "generate_launch_description" in functions
    exec_depends = set(re.findall(r"<exec_depend>([\w-]+)</exec_depend>", (REPO / "package.xml").read_text()))
    nodes = _node_calls(tree)
    assert nodes or "IncludeLaunchDescription" in path.read_text(), f"{path.name} starts nothing"
    for node in nodes:
        package, executable = node["package"].value, node["executable"].value
        if package == "lerobot_ros":
            assert executable in CONSOLE_SCRIPTS, f"{path.name} starts {executable!r}, which setup.py does not install"
        else:
            assert (package, executable) in EXTERNAL_EXECUTABLES, f"{path.name} starts {package}/{executable}"
            assert package in exec_depends, f"{path.name} starts {package}, not an exec_depend in package.xml"
    for config in _config_paths(tree):
        assert (REPO / config).is_file(), f"{path.name} names {config}, which does not exist"


def _launch_argument(value: ast.expr, tree: ast.AST) -> str | None:
    """The argument a parameter value substitutes: LaunchConfiguration("x"), or a name bound to one."""
    if isinstance(value, ast.Name):
        bound = [a.value for a in ast.walk(tree) if isinstance(a, ast.Assign)
                 and any(getattr(t, "id", None) == value.id for t in a.targets)]
        value = bound[0] if bound else value
    if isinstance(value, ast.Call) and getattr(value.func, "id", None) == "LaunchConfiguration":
        return value.args[0].value if isinstance(value.args[0], ast.Constant) else "<computed>"
    return None


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_gives_our_nodes_real_parameters_of_the_right_type(path):
    """launch_ros YAML-parses a substituted parameter value: a default of "0" reaches a string
    parameter as an integer (camera_node dies: "expecting type 'STRING'") and "" as None (launch
    raises TypeError). Such string parameters go through ParameterValue(value_type=str)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    declared = _declared_arguments(tree)
    for node in _node_calls(tree):
        if node["package"].value != "lerobot_ros" or "parameters" not in node:
            continue
        module = importlib.import_module(CONSOLE_SCRIPTS[node["executable"].value])
        params = {p.name: p for p in module.PARAMS}
        for entry in [e for e in node["parameters"].elts if isinstance(e, ast.Dict)]:
            for key, value in zip(entry.keys, entry.values):
                assert key.value in params, f"{path.name}: {key.value!r} is not a parameter of {module.__name__}"
                if isinstance(value, ast.Constant):
                    params[key.value].validate(value.value)
                    continue
                argument = _launch_argument(value, tree)
                if argument is None or not isinstance(params[key.value].default, str):
                    continue
                default = next((kw.value for kw in declared[argument].keywords if kw.arg == "default_value"), None)
                if isinstance(default, ast.Constant):
                    assert isinstance(yaml.safe_load(default.value), str), (
                        f"{path.name}: {key.value}:={default.value!r} would not reach {module.__name__} as a "
                        "string: wrap it in ParameterValue(..., value_type=str)")


def _includes(tree: ast.AST) -> dict[ast.Call, tuple[str, set[str], dict[str, ast.Call]]]:
    """Each IncludeLaunchDescription call: (included file, arguments passed, arguments it declares)."""
    includes = {}
    for call in ast.walk(tree):
        if not (isinstance(call, ast.Call) and getattr(call.func, "id", None) == "IncludeLaunchDescription"):
            continue
        pieces = [_string_value(n, tree) for n in ast.walk(call.args[0])]
        (included,) = [p for p in pieces if p and p.endswith(".launch.py")]
        target = REPO / "launch" / included.rsplit("/", 1)[-1]
        assert target.is_file(), f"includes {included}, which is not in launch/"
        arguments = next(kw.value for kw in call.keywords if kw.arg == "launch_arguments")
        passed = {k.value for k in arguments.func.value.keys}  # launch_arguments={...}.items()
        includes[call] = (included, passed, _declared_arguments(ast.parse(target.read_text())))
    return includes


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_included_launch_files_take_no_argument_they_were_not_given(path):
    """IncludeLaunchDescription does not scope launch configurations: an included file's argument
    the include does not pass keeps a value of the same name already set (by the including file,
    or by another include in its scope, which sets its own arguments and defaults there) instead of
    its default. A scoped GroupAction around an include keeps what it sets from its siblings."""
    tree = ast.parse(path.read_text(), filename=str(path))
    includes = _includes(tree)
    scoped = {id(node) for group in ast.walk(tree) if isinstance(group, ast.Call)
              and getattr(group.func, "id", None) == "GroupAction"
              and not any(kw.arg == "scoped" and getattr(kw.value, "value", True) is False for kw in group.keywords)
              for node in ast.walk(group)}
    declared = set(_declared_arguments(tree))
    for call, (included, passed, target_declared) in includes.items():
        unpassed = set(target_declared) - passed
        from_here = unpassed & declared
        assert not from_here, f"{path.name}: {included} would take its {sorted(from_here)} from {path.name}: pass them"
        from_siblings = unpassed & {name for other, (_, other_passed, other_declared) in includes.items()
                                    if other is not call and id(other) not in scoped
                                    for name in other_passed | set(other_declared)}
        assert not from_siblings, (f"{path.name}: {included} would take its {sorted(from_siblings)} from another "
                                   "include: pass them, or put that include in a scoped GroupAction")


@pytest.mark.parametrize("path", LAUNCH_FILES, ids=lambda p: p.name)
def test_launch_file_declares_what_it_uses_and_what_it_includes_declares(path):
    """Every LaunchConfiguration is a declared argument; an included launch file declares every
    argument passed to it; a robot_type choice has its urdf/<robot_type>.urdf."""
    tree = ast.parse(path.read_text(), filename=str(path))
    declared = _declared_arguments(tree)
    used = {n.args[0].value for n in ast.walk(tree) if isinstance(n, ast.Call) and n.args
            and getattr(n.func, "id", None) in ("LaunchConfiguration", "LaunchConfigurationNotEquals")
            and isinstance(n.args[0], ast.Constant)}
    assert used <= set(declared), f"{path.name} uses undeclared arguments {sorted(used - set(declared))}"
    for included, passed, target_declared in _includes(tree).values():
        undeclared = passed - set(target_declared)
        assert not undeclared, f"{path.name} passes {sorted(undeclared)} to {included}, which does not declare them"
        required = {name for name, call in target_declared.items()
                    if not any(kw.arg == "default_value" for kw in call.keywords)}
        assert required <= passed, f"{path.name} leaves {included}'s {sorted(required - passed)} unset"
    if "robot_type" in declared:
        choices = next((kw.value for kw in declared["robot_type"].keywords if kw.arg == "choices"), None)
        if isinstance(choices, ast.Name):  # a module-level list
            choices = next(a.value for a in tree.body if isinstance(a, ast.Assign) and a.targets[0].id == choices.id)
        for choice in [e.value for e in choices.elts] if choices is not None else []:
            assert (REPO / "urdf" / f"{choice}.urdf").is_file(), f"{path.name}: robot_type {choice} has no URDF"


def test_files_the_launch_files_name_are_installed():
    """setup.py's share_tree (run here on the source tree) installs every file the launch files name."""
    setup_tree = ast.parse((REPO / "setup.py").read_text())
    (share_tree,) = [n for n in setup_tree.body if isinstance(n, ast.FunctionDef) and n.name == "share_tree"]
    namespace: dict = {"os": __import__("os"), "PACKAGE": "lerobot_ros"}
    exec(compile(ast.Module(body=[share_tree], type_ignores=[]), "setup.py", "exec"), namespace)
    installed_calls = re.findall(r'share_tree\("(\w+)"\)', (REPO / "setup.py").read_text())
    cwd = __import__("os").getcwd()
    try:
        __import__("os").chdir(REPO)
        installed = {f for folder in installed_calls for _, files in namespace["share_tree"](folder) for f in files}
    finally:
        __import__("os").chdir(cwd)
    named = {c for path in LAUNCH_FILES for c in _config_paths(ast.parse(path.read_text()))}
    named |= {f"launch/{p.name}" for p in LAUNCH_FILES} | {f"urdf/{p.name}" for p in (REPO / "urdf").glob("*.urdf")}
    assert named and named <= installed, f"not installed: {sorted(named - installed)}"


@pytest.mark.parametrize("file_name", sorted(PARAM_FILES))
def test_parameter_file_names_real_parameters_with_valid_values(file_name):
    document = yaml.safe_load((REPO / "config" / file_name).read_text())
    (node_name, body), = document.items()
    # A bare node name is ignored when the node runs under a namespace (issue 13, bug 2).
    assert node_name == "/**", f"{file_name}: key {node_name!r}: use /** so the file applies under any namespace"
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
