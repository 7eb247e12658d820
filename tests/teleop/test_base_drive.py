"""BaseDrive: inputs scaled by bounded speeds; deadman release sends one zero, then nothing."""

import pytest

from lerobot_ros.teleop.base_drive import STOP, BaseDrive, BaseDriveConfig


def test_inputs_scale_to_bounded_speeds_and_release_stops_once():
    drive = BaseDrive(BaseDriveConfig(max_linear_speed_m_s=0.2, max_angular_speed_rad_s=1.0))
    assert drive.update((0.0, 0.0, 0.0), False) is None  # idle teleop sends nothing
    assert drive.update((1.0, -0.5, 3.0), True) == pytest.approx((0.2, -0.1, 1.0))  # 3.0 clamped to 1
    assert drive.update((0.0, 0.0, 0.0), True) == STOP  # deadman held, sticks centred: zero, keeps sending
    assert drive.update((1.0, 0.0, 0.0), False) == STOP
    assert drive.update((1.0, 0.0, 0.0), False) is None


def test_wrong_input_count_and_bad_speeds_are_named():
    with pytest.raises(ValueError, match="3 inputs"):
        BaseDrive().update((1.0, 0.0), True)
    with pytest.raises(ValueError, match="must be positive"):
        BaseDriveConfig(max_linear_speed_m_s=0.0)
