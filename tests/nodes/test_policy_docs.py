"""docs/policy.md shows the parameters policy_node and say_node really declare."""

from pathlib import Path

import pytest

from lerobot_ros.node_params import policy_node, say_node
from lerobot_ros.node_params.param import markdown_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "policy.md"


@pytest.mark.parametrize("module", [policy_node, say_node], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_parameter_table_is_current(module):
    assert markdown_table(module.PARAMS) in DOC.read_text(), \
        f"regenerate {module.__name__}'s table in docs/policy.md with markdown_table"
