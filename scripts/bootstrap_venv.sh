#!/usr/bin/env bash
# Create .venv with everything lerobot_ros needs, from nothing.
#  * A sourced system ROS 2 (ROS_DISTRO set): the venv sees its rclpy and messages (--system-site-packages)
#    and only the Python libraries come from PyPI.
#  * No system ROS: ROS 2 Jazzy comes from PyPI's ros-jazzy-* wheels, and control_msgs is built from
#    interfaces/control_msgs into the venv (scripts/build_control_msgs.sh).
set -euo pipefail
VENV=${1:-.venv}
PYTHON=${PYTHON:-python3}
here=$(cd "$(dirname "$0")/.." && pwd)

if [ -n "${ROS_DISTRO:-}" ]; then
  echo "bootstrap: using the sourced ROS 2 ${ROS_DISTRO}"
  "$PYTHON" -m venv --system-site-packages "$VENV"
  ros_requirements=()
else
  echo "bootstrap: no ROS 2 sourced; installing ROS 2 Jazzy wheels from PyPI"
  "$PYTHON" -m venv "$VENV"
  ros_requirements=(-r "$here/requirements/ros-jazzy.txt")
fi

export PIP_DISABLE_PIP_VERSION_CHECK=1
"$VENV/bin/python" -m pip install -q --upgrade pip 2> >(grep -v "is ignored: it is neither" >&2)
"$VENV/bin/python" -m pip install -q "${ros_requirements[@]}" -r "$here/requirements/dev.txt" \
  2> >(grep -v "is ignored: it is neither" >&2)
"$VENV/bin/python" -m pip install -q --no-deps -e "$here" 2> >(grep -v "is ignored: it is neither" >&2)
if [ -z "${ROS_DISTRO:-}" ]; then
  # control_msgs (FollowJointTrajectory) is not on PyPI: build the official definitions into the venv.
  # With a sourced ROS 2 it comes from apt (ros-$ROS_DISTRO-control-msgs) instead.
  "$here/scripts/build_control_msgs.sh" "$VENV"
  "$here/scripts/build_control_msgs.sh" "$VENV" lerobot_ros_interfaces  # recorder_node's services
fi
touch "$VENV/.bootstrapped"
echo "bootstrap: $VENV ready"
