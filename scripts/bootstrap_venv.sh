#!/usr/bin/env bash
# Create .venv with everything lerobot_ros needs, from nothing.
#  * A sourced system ROS 2 (ROS_DISTRO set): the venv sees its rclpy and messages (--system-site-packages)
#    and only the Python libraries come from PyPI.
#  * No system ROS: ROS 2 Jazzy comes from PyPI's ros-jazzy-* wheels, and control_msgs is built from
#    interfaces/control_msgs into the venv (scripts/build_control_msgs.sh). When the folder
#    ROS2_PYTHON_WHEELS (default ../shared/wheels/ros2-jazzy-python) exists, Jazzy's launch, launch_ros
#    and ros2cli wheels from it too (`ros2 launch`, `ros2 topic`, ...; PyPI has none), with
#    composition_interfaces built like control_msgs; without it the launch tests are skipped.
#  * The interpreter: PYTHON when set, else Python 3.12 where there is one (python3.12 on PATH, or pyenv's
#    3.12): ROS 2 Jazzy's own Python, and the one LeRobot 0.6 needs; there the lerobot extra is installed
#    too (requirements/lerobot.txt: LeRobot policies, robots and teleoperators behind our nodes).
#    Without a 3.12: python3 (3.10 or 3.11), without the lerobot extra.
#  * Either way: espeak-ng (say_node and its tests), with apt-get when it is missing and we are root or
#    have passwordless sudo; otherwise the bootstrap stops and says what to install.
set -euo pipefail
VENV=${1:-.venv}
find_python() {  # Python 3.12 where there is one that runs (a pyenv shim may not), else python3
  local candidate
  for candidate in "$(command -v python3.12)" "$(pyenv root 2> /dev/null || echo "$HOME/.pyenv")"/versions/3.12*/bin/python; do
    if [ -x "$candidate" ] && "$candidate" -c "import venv" 2> /dev/null; then echo "$candidate"; return; fi
  done
  command -v python3
}
PYTHON=${PYTHON:-$(find_python)}
here=$(cd "$(dirname "$0")/.." && pwd)
ros2_wheels=${ROS2_PYTHON_WHEELS:-$here/../shared/wheels/ros2-jazzy-python}

if ! command -v espeak-ng > /dev/null; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif sudo -n true 2> /dev/null; then sudo=(sudo -n); else
    echo "bootstrap: espeak-ng is missing (say_node speaks with it): run sudo apt-get install espeak-ng" >&2
    exit 1
  fi
  echo "bootstrap: installing espeak-ng (apt-get)"
  "${sudo[@]}" apt-get update -qq && "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng > /dev/null
fi

# A venv of another Python version (a 3.11 .venv when 3.12 is now found) is rebuilt from nothing.
version_of() { "$1" -c "import sys; print(sys.version_info[:2])"; }
if [ -x "$VENV/bin/python" ] && [ "$(version_of "$VENV/bin/python")" != "$(version_of "$PYTHON")" ]; then
  echo "bootstrap: $VENV is Python $(version_of "$VENV/bin/python"), rebuilding it on $PYTHON"
  rm -rf "$VENV"
fi

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
# The lerobot extra on Python >= 3.12 (LeRobot 0.6 needs it), resolved together with dev.txt (torch's range).
lerobot_requirements=()
if "$VENV/bin/python" -c "import sys; sys.exit(sys.version_info < (3, 12))"; then
  lerobot_requirements=(-r "$here/requirements/lerobot.txt")
fi
echo "bootstrap: $("$VENV/bin/python" --version)${lerobot_requirements:+ with the lerobot extra}"
"$VENV/bin/python" -m pip install -q --upgrade pip 2> >(grep -v "is ignored: it is neither" >&2)
"$VENV/bin/python" -m pip install -q "${ros_requirements[@]}" -r "$here/requirements/dev.txt" "${lerobot_requirements[@]}" \
  2> >(grep -v "is ignored: it is neither" >&2)
"$VENV/bin/python" -m pip install -q --no-deps -e "$here" 2> >(grep -v "is ignored: it is neither" >&2)
if [ -z "${ROS_DISTRO:-}" ]; then
  # control_msgs (FollowJointTrajectory) is not on PyPI: build the official definitions into the venv.
  # With a sourced ROS 2 it comes from apt (ros-$ROS_DISTRO-control-msgs) instead.
  "$here/scripts/build_control_msgs.sh" "$VENV"
  "$here/scripts/build_control_msgs.sh" "$VENV" lerobot_ros_interfaces  # recorder_node's services
  if compgen -G "$ros2_wheels/*.whl" > /dev/null; then
    echo "bootstrap: installing ros2 launch and the ros2 command from $ros2_wheels"
    "$VENV/bin/python" -m pip install -q --no-deps "$ros2_wheels"/*.whl 2> >(grep -v "is ignored: it is neither" >&2)
    "$VENV/bin/python" -m pip install -q -r "$here/requirements/ros2-cli.txt" 2> >(grep -v "is ignored: it is neither" >&2)
    "$here/scripts/build_control_msgs.sh" "$VENV" composition_interfaces  # launch_ros imports it
  else
    echo "bootstrap: no wheels in $ros2_wheels: no ros2 launch in this venv (the launch tests will be skipped)"
  fi
fi
touch "$VENV/.bootstrapped"
echo "bootstrap: $VENV ready"
