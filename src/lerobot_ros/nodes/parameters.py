"""Node parameters on an rclpy node: :func:`declare` declares a node's :class:`Param` list (the
declarations themselves live in lerobot_ros.node_params, importable without ROS).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..node_params.param import Param, changed_values


def declare(node, params: Sequence[Param]) -> dict[str, Any]:
    """Declare ``params`` on an rclpy node (with descriptors) and return their validated values.

    Read-only parameters still take their values from parameter files and ``-p`` overrides; only a
    later ``set_parameters`` (``ros2 param set``) is refused, with rclpy's "read-only" reason."""
    from rcl_interfaces.msg import FloatingPointRange, IntegerRange, ParameterDescriptor

    values = {}
    for p in params:
        descriptor = ParameterDescriptor(description=p.description, read_only=p.read_only)
        if isinstance(p.default, float) and (p.min is not None or p.max is not None):
            descriptor.floating_point_range = [FloatingPointRange(
                from_value=float(p.min if p.min is not None else -1e300),
                to_value=float(p.max if p.max is not None else 1e300))]
        elif isinstance(p.default, int) and not isinstance(p.default, bool) and (p.min is not None or p.max is not None):
            descriptor.integer_range = [IntegerRange(
                from_value=int(p.min if p.min is not None else -(2**62)),
                to_value=int(p.max if p.max is not None else 2**62), step=0)]
        value = node.declare_parameter(p.name, p.default, descriptor).value
        values[p.name] = p.validate(value)
    return values


def apply_when_set(node, params: Sequence[Param], values: dict[str, Any],
                   apply: Callable[[dict[str, Any]], None]) -> None:
    """Let ``ros2 param set`` change ``node``'s settable (not read_only) parameters while it runs.

    rclpy refuses read-only ones and values outside a declared range itself; every other change is
    checked like a declared value (:func:`~lerobot_ros.node_params.param.changed_values`) and refused
    with its reason, or, once rclpy has stored it, written into ``values`` and handed to ``apply``.
    """
    from rcl_interfaces.msg import SetParametersResult

    def check(parameters) -> SetParametersResult:
        try:
            changed_values(params, {p.name: p.value for p in parameters})
        except ValueError as err:
            return SetParametersResult(successful=False, reason=str(err))
        return SetParametersResult(successful=True)

    def applied(parameters) -> None:
        changed = changed_values(params, {p.name: p.value for p in parameters})
        values.update(changed)
        apply(changed)

    node.add_on_set_parameters_callback(check)
    node.add_post_set_parameters_callback(applied)
