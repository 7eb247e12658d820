"""Launch-time checks shared by the launch files that start other packages' nodes.

A launch that reaches a missing package (robot_state_publisher, move_group, rviz2) fails there, after
the actions before it have started: robot_node was left running with no launch in charge of it, the
serial port open and torque on (issue 13, bug 3). :func:`require_packages`, placed before any node,
fails the whole launch first, naming every missing package and how to install it.
"""

from __future__ import annotations

from collections.abc import Iterable


class MissingPackagesError(RuntimeError):
    """Packages a launch file needs are not on the ament index (AMENT_PREFIX_PATH)."""


def missing_packages(packages: Iterable[str]) -> list[str]:
    """The packages of ``packages`` that ament_index cannot find, in order."""
    from ament_index_python.packages import PackageNotFoundError, get_package_prefix

    missing = []
    for package in packages:
        try:
            get_package_prefix(package)
        except PackageNotFoundError:
            missing.append(package)
    return missing


def require_packages(always: Iterable[str] = (), **when: Iterable[str]):
    """An OpaqueFunction that raises MissingPackagesError before anything after it starts.

    ``always`` are needed on every launch; ``when={argument: packages}`` only when that launch
    argument is true (as IfCondition reads it), e.g. ``rviz=["rviz2"]``.
    """
    from launch.actions import OpaqueFunction
    from launch.conditions import evaluate_condition_expression
    from launch.substitutions import LaunchConfiguration

    always = list(always)
    when = {argument: list(packages) for argument, packages in when.items()}

    def check(context):
        needed = list(always)
        for argument, packages in when.items():
            if evaluate_condition_expression(context, [LaunchConfiguration(argument)]):
                needed += [p for p in packages if p not in needed]
        missing = missing_packages(needed)
        if missing:
            raise MissingPackagesError(
                f"package(s) not found: {', '.join(missing)}; nothing was started. Install them "
                f"(apt-get install {' '.join('ros-$ROS_DISTRO-' + p.replace('_', '-') for p in missing)}) "
                "and source their setup file")
        return []

    return OpaqueFunction(function=check)
