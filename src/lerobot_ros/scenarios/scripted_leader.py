"""A hand on a simulated leader arm: puts the leader's shafts where a follower pose needs them.

teleop_node reads its leader through the real servo protocol and maps each reading through both
calibrations (:class:`lerobot_ros.teleop.leader.LeaderFollowerMap`). To make the follower take a
given pose, the scripted hand inverts that map per joint (follower radians -> follower ticks ->
LeRobot units -> leader ticks) and turns each torque-free leader shaft to that reading, as a person
moving the leader would. Nothing above the serial port knows the leader is simulated.
"""

from __future__ import annotations

from typing import Sequence

from ..motors.normalization import normalize, radians_to_raw, unnormalize
from ..teleop.leader import JointPair, LeaderFollowerMap
from ..servo_sim.bus import SimulatedBus


def leader_reading(pair: JointPair, follower_rad: float) -> int:
    """The leader Present_Position whose mapped follower goal is ``follower_rad`` (within a tick)."""
    f, leader = pair.follower, pair.leader
    follower_raw = radians_to_raw(follower_rad, f.calibration, f.max_res, f.apply_drive_mode)
    value = normalize(follower_raw, f.spec.norm, f.calibration, f.max_res, f.apply_drive_mode)
    return unnormalize(value, leader.spec.norm, leader.calibration, leader.max_res, leader.apply_drive_mode)


class ScriptedLeader:
    """Moves the shafts of the simulated leader ``bus`` so that ``mapping`` yields a follower pose."""

    def __init__(self, bus: SimulatedBus, mapping: LeaderFollowerMap):
        self.bus = bus
        self.mapping = mapping
        self._servos = [bus.servo(pair.leader.spec.id) for pair in mapping.pairs]

    def hold(self, follower_pose_rad: Sequence[float]) -> None:
        """Put the leader where the follower should be (radians in ``mapping.follower_names`` order)."""
        if len(follower_pose_rad) != len(self._servos):
            raise ValueError(f"a pose for {len(self._servos)} joints ({', '.join(self.mapping.follower_names)}) "
                             f"was expected, got {len(follower_pose_rad)} values")
        for pair, servo, angle in zip(self.mapping.pairs, self._servos, follower_pose_rad):
            # Turn the shaft by the difference of readings: the reading is the shaft angle less the
            # servo's Homing_Offset (as calibrated), so the offset need not be known here.
            servo.move_by_hand(leader_reading(pair, float(angle)) - servo.read_register("Present_Position"))
