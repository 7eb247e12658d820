"""Parameters set on a running robot_node over DDS (its rcl_interfaces/SetParameters service, what
`ros2 param set` calls): a parameter read once at start-up is refused as read-only, an out-of-range
value is refused, and a settable one takes effect (diagnostics_rate_hz: /diagnostics speeds up)."""

from __future__ import annotations

import time

import pytest
import rclpy
from diagnostic_msgs.msg import DiagnosticArray
from rcl_interfaces.msg import Parameter, ParameterType, ParameterValue
from rcl_interfaces.srv import GetParameters, SetParameters

from ros_processes import NodeProcess, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.ros]

NODE = "robot_params_test"


def _double(name: str, value: float) -> Parameter:
    return Parameter(name=name, value=ParameterValue(type=ParameterType.PARAMETER_DOUBLE, double_value=value))


def _string(name: str, value: str) -> Parameter:
    return Parameter(name=name, value=ParameterValue(type=ParameterType.PARAMETER_STRING, string_value=value))


class ParameterClient:
    def __init__(self):
        self.node = rclpy.create_node("robot_params_client")
        self.set_client = self.node.create_client(SetParameters, f"/{NODE}/set_parameters")
        self.get_client = self.node.create_client(GetParameters, f"/{NODE}/get_parameters")
        self.diagnostics: list[float] = []  # arrival times of robot_node's bus status
        self.node.create_subscription(DiagnosticArray, "/diagnostics", self._on_diagnostics, 10)

    def _on_diagnostics(self, msg: DiagnosticArray) -> None:
        if any(s.name == f"{NODE}: bus" for s in msg.status):
            self.diagnostics.append(time.monotonic())

    def spin(self) -> None:
        rclpy.spin_once(self.node, timeout_sec=0.02)

    def call(self, client, request):
        future = client.call_async(request)
        assert wait_for(future.done, 10.0, spin=self.spin), "no answer from robot_node's parameter service"
        return future.result()

    def set(self, parameter: Parameter):
        return self.call(self.set_client, SetParameters.Request(parameters=[parameter])).results[0]

    def get(self, name: str):
        return self.call(self.get_client, GetParameters.Request(names=[name])).values[0]

    def diagnostics_in(self, seconds: float) -> int:
        start = time.monotonic()
        wait_for(lambda: time.monotonic() - start >= seconds, seconds + 1.0, spin=self.spin)
        return sum(1 for t in self.diagnostics if t >= start)


def test_read_once_parameters_are_refused_and_settable_ones_take_effect(tmp_path, ros):
    node = NodeProcess("lerobot_ros.nodes.robot_node", NODE, {
        "robot_type": "so101_follower", "port": "sim", "diagnostics_rate_hz": 1.0}, tmp_path)
    client = ParameterClient()
    try:
        assert wait_for(lambda: client.set_client.service_is_ready() and len(client.diagnostics) >= 1, 30.0,
                        spin=client.spin), f"robot_node did not come up; log:\n{node.log()}"

        refused = client.set(_string("port", "/dev/ttyACM9"))
        assert not refused.successful and "read-only" in refused.reason
        assert client.get("port").string_value == "sim"

        out_of_range = client.set(_double("diagnostics_rate_hz", 50.0))
        assert not out_of_range.successful
        assert client.get("diagnostics_rate_hz").double_value == 1.0

        slow = client.diagnostics_in(3.0)
        accepted = client.set(_double("diagnostics_rate_hz", 10.0))
        assert accepted.successful, accepted.reason
        time.sleep(0.3)  # the timer's current period ends
        fast = client.diagnostics_in(2.0)
        assert slow <= 5 and fast >= 10, f"/diagnostics {slow} in 3 s at 1 Hz, {fast} in 2 s after setting 10 Hz"
        assert client.get("diagnostics_rate_hz").double_value == 10.0

        assert client.set(_double("command_timeout_s", 0.0)).successful  # settable, applied from the next tick
        assert node.alive(), node.log()
    finally:
        client.node.destroy_node()
        node.stop()
