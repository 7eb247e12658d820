"""Runs in the LeRobot 0.6.1 venv: LeRobot's own LeKiwi robot class names its features.

    python lekiwi_features.py OUT.json

Writes the keys of ``LeKiwi.observation_features`` and ``action_features`` in LeRobot's order (no bus
is opened: the features are properties of the class and its config), with LeKiwi's default cameras
and their shapes, the watchdog of LeRobot's LeKiwi host, and LeRobot's own base conversions: the
observed ``x.vel``, ``y.vel``, ``theta.vel`` of wheel Present_Velocity values
(``_wheel_raw_to_body``) and the wheel Goal_Velocity values of base actions (``_body_to_wheel_raw``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from lerobot.robots.lekiwi import LeKiwi, LeKiwiConfig
from lerobot.robots.lekiwi.config_lekiwi import LeKiwiHostConfig


WHEEL_RAW = [(0, 0, 0), (120, -340, 515), (-1500, 37, 2900), (800, 800, 800)]  # left, back, right
BASE_ACTIONS = [(0.0, 0.0, 0.0), (0.1, -0.05, 30.0), (-0.2, 0.15, -90.0), (0.3, 0.3, 180.0)]  # m/s, m/s, deg/s


def main(out: Path) -> None:
    robot = LeKiwi(LeKiwiConfig(port="/dev/null", id="features_only"))
    observed = [{k: float(v) for k, v in robot._wheel_raw_to_body(*raw).items()} for raw in WHEEL_RAW]
    commanded = [robot._body_to_wheel_raw(*action) for action in BASE_ACTIONS]
    observation = {key: list(value) if isinstance(value, tuple) else value.__name__
                   for key, value in robot.observation_features.items()}
    out.write_text(json.dumps({"observation": observation, "action": list(robot.action_features),
                               "use_degrees": robot.config.use_degrees,
                               "watchdog_timeout_s": LeKiwiHostConfig().watchdog_timeout_ms / 1000,
                               "observed": [{"wheel_raw": raw, "lerobot": body}
                                            for raw, body in zip(WHEEL_RAW, observed)],
                               "commanded": [{"action": action, "wheel_raw": wheels}
                                             for action, wheels in zip(BASE_ACTIONS, commanded)]}))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
