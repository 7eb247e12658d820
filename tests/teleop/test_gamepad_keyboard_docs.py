"""docs/teleop_devices.md stays true: its parameter tables are the ones the nodes declare, and its
recording events are the ones keyboard_node sends."""

from pathlib import Path

import pytest

from lerobot_ros.node_params import gamepad_node, keyboard_node
from lerobot_ros.node_params.param import markdown_table
from lerobot_ros.recording_events import RECORDING_EVENTS

DOC = Path(__file__).resolve().parents[2] / "docs" / "teleop_devices.md"


@pytest.mark.parametrize("node", [gamepad_node, keyboard_node], ids=lambda m: m.__name__.rsplit(".", 1)[-1])
def test_gamepad_and_keyboard_parameter_tables_are_current(node):
    assert markdown_table(node.PARAMS) in DOC.read_text(), \
        f"docs/teleop_devices.md's table differs from {node.__name__}.PARAMS: regenerate it with markdown_table"


def test_keyboard_recording_events_are_documented():
    text = DOC.read_text()
    assert all(f"`{event}`" in text for event in RECORDING_EVENTS)
