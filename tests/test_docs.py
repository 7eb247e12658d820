"""The docs stay true: parameter tables in docs/ are the ones the nodes declare."""

from pathlib import Path

from lerobot_ros.node_params import robot_node
from lerobot_ros.node_params.param import markdown_table

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_robot_node_parameter_table_is_current():
    assert markdown_table(robot_node.PARAMS) in (DOCS / "robots.md").read_text(), \
        "docs/robots.md's parameter table differs from robot_node.PARAMS: regenerate it with parameters.markdown_table"
