# The two commands of the quick start: `make demo` and `make test`. Both bootstrap .venv first.
VENV ?= .venv
PY := $(VENV)/bin/python

# Everything started from here keeps DDS on this machine: loopback discovery, the loopback Fast DDS
# profile (shared memory + UDPv4 on 127.0.0.1 only) and a domain id of our own.
export ROS_AUTOMATIC_DISCOVERY_RANGE := LOCALHOST
# Fast DDS 2.x (Humble, Jazzy) reads FASTRTPS_DEFAULT_PROFILES_FILE, 3.x (Kilted, Lyrical) FASTDDS_...
export FASTRTPS_DEFAULT_PROFILES_FILE := $(CURDIR)/config/fastdds/loopback.xml
export FASTDDS_DEFAULT_PROFILES_FILE := $(CURDIR)/config/fastdds/loopback.xml
export RMW_IMPLEMENTATION := rmw_fastrtps_cpp
export ROS_DOMAIN_ID ?= 61

.PHONY: demo test test-fast venv colcon-check clean oracle

$(VENV)/.bootstrapped: scripts/bootstrap_venv.sh scripts/build_control_msgs.sh requirements/dev.txt \
    requirements/ros-jazzy.txt requirements/ros2-cli.txt requirements/lerobot.txt setup.py $(wildcard interfaces/*/*.* interfaces/*/*/*)
	scripts/bootstrap_venv.sh $(VENV)

venv: $(VENV)/.bootstrapped

# DEMO_OUTPUT (default ./demo_output) is the demo's output folder; DEMO_ARGS, e.g. "--episodes 2".
demo: $(VENV)/.bootstrapped
	$(PY) -m lerobot_ros.demo $(DEMO_ARGS)

# The LeRobot references, outside the clone (~/.cache), built once per machine: 0.6.1 on Python 3.12
# and 0.4.4 on Python 3.11 (reference readers and writers for the dataset interop tests, LeRobot's
# SmolVLA for the policy equivalence test).
oracle:
	scripts/oracle_venv.sh
	scripts/reference_venv_044.sh

test: $(VENV)/.bootstrapped oracle
	$(PY) -m pytest

test-fast: $(VENV)/.bootstrapped
	$(PY) -m pytest -m "not slow"

colcon-check: $(VENV)/.bootstrapped
	scripts/colcon_check.sh $(VENV)

clean:
	rm -rf $(VENV) build install log
