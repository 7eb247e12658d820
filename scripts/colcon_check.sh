#!/usr/bin/env bash
# CI check that lerobot_ros builds, installs and tests as a ROS 2 package:
#   scripts/colcon_check.sh VENV        (make colcon-check; .ci/run runs it after make test)
#
# In a temporary colcon workspace holding a copy of this repository: colcon build, check the installed
# data files and executables, then colcon test (the fast tests, -m "not slow", against the INSTALLED
# package) and colcon test-result. Fails when the build fails, a file is missing, any test fails or
# errors, or no test ran (colcon test itself exits 0 on failures).
#
# Environment: COLCON_CHECK_SYMLINK=1 builds with --symlink-install; COLCON_CHECK_PYTEST_ARGS replaces
# the pytest arguments (default: -m "not slow"); COLCON_CHECK_KEEP=1 keeps the workspace.
# Without a sourced ROS 2 the venv's PyPI ROS wheels are the underlay (AMENT_PREFIX_PATH=VENV) and
# control_msgs comes from scripts/build_control_msgs.sh; with one, the sourced ROS 2 is the underlay.
set -euo pipefail

VENV=${1:-.venv}
here=$(cd "$(dirname "$0")/.." && pwd)
[ -x "$VENV/bin/python" ] || { echo "colcon_check: no venv at $VENV (run scripts/bootstrap_venv.sh)" >&2; exit 2; }
VENV=$(cd "$VENV" && pwd)
PY="$VENV/bin/python"
t0=$SECONDS

# DDS stays on this machine, in a domain of its own (tests/conftest.py sets the same for each test run).
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
export RMW_IMPLEMENTATION=${RMW_IMPLEMENTATION:-rmw_fastrtps_cpp}
export ROS_DOMAIN_ID=${ROS_DOMAIN_ID:-62}
unset _ROS_WHEELS_BOOTSTRAP_COMPLETE  # let the venv's interpreters compute LD_LIBRARY_PATH afresh
export PIP_DISABLE_PIP_VERSION_CHECK=1
export PATH="$VENV/bin:$PATH" VIRTUAL_ENV="$VENV"

if [ -z "${ROS_DISTRO:-}" ]; then
  export AMENT_PREFIX_PATH="$VENV${AMENT_PREFIX_PATH:+:$AMENT_PREFIX_PATH}"
  export CMAKE_PREFIX_PATH="$VENV${CMAKE_PREFIX_PATH:+:$CMAKE_PREFIX_PATH}"
  "$here/scripts/build_control_msgs.sh" "$VENV"
  "$here/scripts/build_control_msgs.sh" "$VENV" lerobot_ros_interfaces
fi
if [ -z "${ROS_DISTRO:-}" ] && ! { [ -x "$VENV/bin/colcon" ] && "$PY" -c "import colcon_ros" 2> /dev/null; }; then
  "$PY" -m pip install -q colcon-common-extensions colcon-ros ros-jazzy-ament-package "setuptools<80" \
    2> >(grep -v "is ignored: it is neither" >&2)
fi

ws=$(mktemp -d "${TMPDIR:-/tmp}/lerobot_ros_colcon.XXXXXX")
if [ "${COLCON_CHECK_KEEP:-0}" = 1 ]; then
  echo "colcon_check: workspace kept at $ws"
else
  trap 'rm -rf "$ws"' EXIT
fi
# A copy, not a link: the build must not write into the repository, and the tests must not see it.
mkdir -p "$ws/src/lerobot_ros"
tar -C "$here" --exclude=./.venv --exclude=./.git --exclude=./build --exclude=./install --exclude=./log \
  --exclude='*.egg-info' --exclude=__pycache__ --exclude=.pytest_cache --exclude=./outputs -cf - . \
  | tar -C "$ws/src/lerobot_ros" -xf -
export FASTDDS_DEFAULT_PROFILES_FILE="$ws/src/lerobot_ros/config/fastdds/loopback.xml"  # Fast DDS 3.x
export FASTRTPS_DEFAULT_PROFILES_FILE="$FASTDDS_DEFAULT_PROFILES_FILE"  # Fast DDS 2.x (Jazzy)

build_args=()
[ "${COLCON_CHECK_SYMLINK:-0}" = 1 ] && build_args+=(--symlink-install)
cd "$ws"
echo "colcon_check: colcon build ${build_args[*]:-} in $ws"
colcon build --packages-select lerobot_ros "${build_args[@]}" --event-handlers console_cohesion+ summary+ \
  || { echo "colcon_check: colcon build failed" >&2; exit 1; }

# Installed files: package.xml, every file of launch/, config/, urdf/, the executables.
share="$ws/install/lerobot_ros/share/lerobot_ros"
missing=0
need() { if [ ! -e "$1" ]; then echo "colcon_check: missing $1" >&2; missing=1; fi; }
need "$share/package.xml"
need "$ws/install/lerobot_ros/share/ament_index/resource_index/packages/lerobot_ros"
need "$share/config/fastdds/loopback.xml"
for folder in launch config urdf; do
  [ -d "$ws/src/lerobot_ros/$folder" ] || continue
  while IFS= read -r -d '' f; do
    need "$share/${f#"$ws/src/lerobot_ros/"}"
  done < <(find "$ws/src/lerobot_ros/$folder" -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -print0)
done
for exe in $("$PY" - "$ws/src/lerobot_ros/setup.py" <<'EOF'
import ast, sys
tree = ast.parse(open(sys.argv[1]).read())
for node in ast.walk(tree):
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and " = " in node.value and ":" in node.value:
        print(node.value.split("=")[0].strip())
EOF
); do
  need "$ws/install/lerobot_ros/lib/lerobot_ros/$exe"
done
[ "$missing" = 0 ] || { echo "colcon_check: installed files missing (see setup.py data_files / entry_points)" >&2; exit 1; }
echo "colcon_check: installed files OK ($(find "$share" -type f -o -type l | wc -l) under share/lerobot_ros)"

# The tests must import the INSTALLED package, not the repository (nor the venv's editable install).
set +u
# shellcheck disable=SC1091
source "$ws/install/setup.bash"
set -u
where=$(cd / && python -c "import lerobot_ros, os; print(os.path.realpath(lerobot_ros.__file__))")
case "$where" in
  "$ws"/install/*|"$ws"/build/*|"$ws"/src/*) ;;  # build/ and src/ only with --symlink-install
  *) echo "colcon_check: lerobot_ros imports from $where, not from the workspace" >&2; exit 1 ;;
esac
if [ "${COLCON_CHECK_SYMLINK:-0}" != 1 ] && [[ "$where" != "$ws"/install/* ]]; then
  echo "colcon_check: lerobot_ros imports from $where, not from install/" >&2; exit 1
fi
echo "colcon_check: lerobot_ros imports from $where"

if [ -n "${COLCON_CHECK_PYTEST_ARGS:-}" ]; then
  read -r -a pytest_args <<< "$COLCON_CHECK_PYTEST_ARGS"
else
  pytest_args=(-m "not slow" -p no:cacheprovider)
fi
echo "colcon_check: colcon test --pytest-args ${pytest_args[*]}"
colcon test --packages-select lerobot_ros --event-handlers console_direct+ summary+ \
  --pytest-args "${pytest_args[@]}" || true  # colcon test exits 0 on test failures anyway: judged below

set +e
result=$(colcon test-result --test-result-base "$ws/build/lerobot_ros" --verbose 2>&1)
rc=$?
set -e
echo "$result"
summary=$(echo "$result" | grep -E '^Summary: ' | tail -n 1)
tests=$(echo "$summary" | sed -nE 's/^Summary: ([0-9]+) tests.*/\1/p')
if [ "$rc" != 0 ] || [ -z "$tests" ] || [ "$tests" = 0 ] || ! echo "$summary" | grep -qE ' 0 errors, 0 failures'; then
  echo "colcon_check: FAILED (${summary:-no test results})" >&2
  exit 1
fi
echo "colcon_check: tests OK: $summary"

# docs/building.md to the letter, on a fresh clone of HEAD: the interfaces link, colcon build
# --symlink-install of both packages, then `ros2 launch lerobot_ros record.launch.py` records an
# episode (tests/launch, run against that workspace). Needs ros2 launch (skipped with a reason if absent).
if git -C "$here" rev-parse --git-dir > /dev/null 2>&1; then
  docs_ws="$ws/docs_ws"
  mkdir -p "$docs_ws/src" && cd "$docs_ws/src"
  git clone -q "$here" lerobot_ros
  ln -s lerobot_ros/interfaces/lerobot_ros_interfaces lerobot_ros_interfaces
  cd "$docs_ws"
  echo "colcon_check: docs/building.md workspace (fresh clone) in $docs_ws"
  colcon build --symlink-install --event-handlers console_cohesion- summary+ \
    || { echo "colcon_check: the docs/building.md workspace does not build" >&2; exit 1; }
  for pkg in lerobot_ros lerobot_ros_interfaces; do
    need "$docs_ws/install/$pkg/share/ament_index/resource_index/packages/$pkg"
  done
  [ "$missing" = 0 ] || { echo "colcon_check: the docs/building.md workspace lacks a package" >&2; exit 1; }
  cd "$here"
  LEROBOT_ROS_LAUNCH_WORKSPACE="$docs_ws" "$PY" -m pytest -q -p no:cacheprovider -rs \
    tests/launch/test_launch_runtime.py -k record_launch \
    || { echo "colcon_check: ros2 launch lerobot_ros record.launch.py did not record an episode" >&2; exit 1; }
fi
echo "colcon_check: OK in $((SECONDS - t0)) s"
