"""Keyboard teleop fed key bytes through a real pseudo-terminal: the reader's terminal modes, escape
sequence decoding, auto-repeat holds and timeouts, recording keys."""

from __future__ import annotations

import os
import termios

import pytest

from lerobot_ros.teleop.base_drive import BaseDrive, BaseDriveConfig
from lerobot_ros.teleop.jog import JogConfig, JogController, arm_joints
from lerobot_ros.teleop.keyboard import KeyboardTeleop, KeyDecoder, KeyMap, TerminalClosed, TerminalKeyReader

UP, DOWN, RIGHT, LEFT = b"\x1b[A", b"\x1b[B", b"\x1b[C", b"\x1b[D"


@pytest.fixture
def terminal():
    """(master fd, reader on the slave side)."""
    master, slave = os.openpty()
    reader = TerminalKeyReader(os.ttyname(slave))
    yield master, reader
    reader.close()
    os.close(slave)
    os.close(master)


def type_keys(master: int, reader: TerminalKeyReader, data: bytes, now_s: float = 0.0) -> list[str]:
    os.write(master, data)
    return reader.read_keys(now_s, timeout_s=1.0)


def test_reader_sets_cbreak_and_restores_the_terminal():
    master, slave = os.openpty()
    try:
        reader = TerminalKeyReader(os.ttyname(slave))
        lflag = termios.tcgetattr(slave)[3]
        assert not lflag & termios.ECHO and not lflag & termios.ICANON and lflag & termios.ISIG
        reader.close()
        lflag = termios.tcgetattr(slave)[3]
        assert lflag & termios.ECHO and lflag & termios.ICANON
    finally:
        os.close(slave)
        os.close(master)


def test_plain_keys_arrows_and_escape(terminal):
    master, reader = terminal
    assert type_keys(master, reader, b"qA ") == ["q", "a", " "]  # no Enter needed; upper case folds
    assert type_keys(master, reader, UP + DOWN + RIGHT + LEFT) == ["up", "down", "right", "left"]
    assert type_keys(master, reader, b"\x1bOC") == ["right"]  # application cursor mode (SS3)
    assert type_keys(master, reader, b"\x1b[1;5C\x1b[3~n") == ["n"]  # Ctrl+right, Delete: dropped
    assert type_keys(master, reader, b"\x1b", now_s=1.0) == []  # Escape alone: maybe a sequence's start
    assert reader.read_keys(now_s=1.01) == []
    assert reader.read_keys(now_s=1.06) == ["esc"]  # nothing followed within escape_timeout_s


def test_an_escape_sequence_split_across_reads():
    decoder = KeyDecoder(escape_timeout_s=0.05)
    assert decoder.feed(b"\x1b[", 0.0) == []
    assert decoder.feed(b"D", 0.01) == ["left"]


def test_reader_refuses_a_file_that_is_not_a_terminal(tmp_path):
    path = tmp_path / "not_a_tty"
    path.write_text("")
    with pytest.raises(ValueError, match="is not a terminal: start keyboard_node from a terminal"):
        TerminalKeyReader(str(path))


def test_closed_terminal_is_reported():
    master, slave = os.openpty()
    reader = TerminalKeyReader(os.ttyname(slave))
    os.close(slave)
    os.close(master)
    with pytest.raises(TerminalClosed):
        reader.read_keys(0.0, timeout_s=1.0)
    reader.close()


def keyboard_teleop(robot_type: str) -> KeyboardTeleop:
    names, limits = arm_joints(robot_type)
    jog = JogController(names, limits, JogConfig(max_joint_speed_rad_s=0.5, max_step_rad=0.1))
    base = BaseDrive(BaseDriveConfig(0.2, 1.0)) if robot_type == "lekiwi" else None
    return KeyboardTeleop(KeyMap(), jog, base, key_timeout_s=0.25)


def test_held_key_jogs_while_repeats_arrive_and_stops_after_the_timeout(terminal):
    master, reader = terminal
    teleop = keyboard_teleop("so101_follower")
    present = {n: 0.0 for n in arm_joints("so101_follower")[0]}
    t = 0.0
    out = teleop.update(type_keys(master, reader, b"w", t), present, t, 0.02)
    assert out.jog.joint_names == ("shoulder_lift",) and out.jog.positions_rad == pytest.approx((0.01,))
    for _ in range(10):  # auto-repeat every 40 ms keeps it moving
        t += 0.04
        out = teleop.update(type_keys(master, reader, b"w", t), present, t, 0.04)
        assert out.jog is not None and not out.jog.stop
    t += 0.2  # no repeat, still within key_timeout_s
    assert not teleop.update(reader.read_keys(t), present, t, 0.2).jog.stop
    t += 0.1  # 0.3 s after the last repeat: released
    out = teleop.update(reader.read_keys(t), present, t, 0.1)
    assert out.jog.stop and out.jog.positions_rad == (0.0,)
    t += 0.04
    assert teleop.update(reader.read_keys(t), present, t, 0.04).jog is None


def test_space_stops_at_once_and_opposite_keys_cancel(terminal):
    master, reader = terminal
    teleop = keyboard_teleop("lekiwi")
    present = {n: 0.0 for n in arm_joints("lekiwi")[0]}
    out = teleop.update(type_keys(master, reader, b"iuq", 0.0), present, 0.0, 0.02)
    assert out.base == pytest.approx((0.2, 0.0, 1.0)) and out.jog.joint_names == ("arm_shoulder_pan",)
    out = teleop.update(type_keys(master, reader, b" ", 0.05), present, 0.05, 0.05)
    assert out.base == (0.0, 0.0, 0.0) and out.jog.stop
    out = teleop.update(type_keys(master, reader, b"jl", 0.1), present, 0.1, 0.05)
    assert out.base is None  # left and right at once: no motion


def test_recording_keys_fire_once_per_press_not_per_repeat(terminal):
    master, reader = terminal
    teleop = keyboard_teleop("so101_follower")
    events = []
    for t, data in [(0.0, RIGHT), (0.04, RIGHT), (0.08, RIGHT), (0.5, b"n"), (1.0, LEFT), (1.5, b"b"),
                    (2.0, b"x"), (2.5, b"\x1b")]:
        events += teleop.update(type_keys(master, reader, data, t), None, t, 0.04).events
    events += teleop.update(reader.read_keys(2.6), None, 2.6, 0.1).events  # the lone Escape times out
    assert events == ["next_episode", "next_episode", "rerecord_episode", "rerecord_episode",
                      "stop_recording", "stop_recording"]


def test_help_line_names_every_key():
    line = KeyMap().help_line(arm_joints("lekiwi")[0], has_base=True)
    assert "q/a arm_shoulder_pan" in line and "y/h arm_gripper" in line and "i/k forward/back" in line
    assert "right or n next episode" in line and "Esc or x stop recording" in line
