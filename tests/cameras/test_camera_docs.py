"""docs/cameras.md shows the parameters camera_node really declares."""

from pathlib import Path

from lerobot_ros.node_params.camera_node import PARAMS
from lerobot_ros.node_params.param import markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "cameras.md"


def test_parameter_table_is_current():
    assert markdown_table(PARAMS) in DOC.read_text(), "regenerate the table in docs/cameras.md with markdown_table"
