"""docs/teleop.md shows the parameters teleop_node really declares."""

from pathlib import Path

from lerobot_ros.node_params.param import markdown_table
from lerobot_ros.node_params.teleop_node import PARAMS

DOC = Path(__file__).resolve().parents[2] / "docs" / "teleop.md"


def test_parameter_table_is_current():
    assert markdown_table(PARAMS) in DOC.read_text(), "regenerate the table in docs/teleop.md with markdown_table"
