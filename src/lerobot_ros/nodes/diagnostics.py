"""A core :class:`~lerobot_ros.health.Health` as a diagnostic_msgs/DiagnosticStatus: robot_node,
teleop_node and policy_node report through this one helper."""

from __future__ import annotations

from typing import Mapping

from diagnostic_msgs.msg import DiagnosticStatus, KeyValue

from ..health import Health


def diagnostic_status(name: str, hardware_id: str, health: Health, values: Mapping[str, object] = {}) -> DiagnosticStatus:
    return DiagnosticStatus(level=bytes([int(health.level)]), name=name, message=health.message,
                            hardware_id=hardware_id,
                            values=[KeyValue(key=k, value=str(v)) for k, v in values.items()])
