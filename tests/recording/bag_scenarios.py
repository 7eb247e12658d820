"""Synthetic robot sessions as bag messages, and what the converter must make of them.

``session`` builds the messages of a short session (joint states at 50 Hz with the joints in the
other order than the config, trajectory commands at 20 Hz, a JPEG camera and a raw rgb8 camera at
10 Hz, a Float64 force, task and language String topics). Message times sit a few ms off the
grid so no test depends on a tie. ``expected_frames`` is an independent statement of the sync
rule (latest message at or before each tick, all streams fresh) used to check the converter.
"""

from __future__ import annotations

from dataclasses import dataclass

import frame_barcode
import numpy as np
from bag_writers import Msg, float64, joint_state, joint_trajectory, jpeg_image, raw_image, string

T0 = 1_700_000_000 * 10**9  # the bag's first message (the first task message)
FPS = 10
HEIGHT, WIDTH = 48, 64
MAX_AGE_S = 0.2  # the config default: two periods at 10 fps


def ns(seconds: float) -> int:
    return T0 + round(seconds * 1e9)


def image(i: int) -> np.ndarray:
    """A smooth pattern that moves with ``i`` (codec-friendly, distinct per message), with ``i`` in a
    barcode band at the top (tests/frame_barcode.py): a decoded frame says which message it was."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    return frame_barcode.stamp(np.stack([(40 + 3 * x + 12 * i) % 256, (60 + 4 * y + 7 * i) % 256,
                                         np.full_like(x, (30 + 25 * i) % 256)], axis=-1).astype(np.uint8), i)


def image_number(key: str, i: int) -> int:
    """The barcode of camera ``key``'s message i (the wrist camera's images are numbered from 50)."""
    return i + (0 if key.endswith("front") else 50)


def config(language: bool = True) -> dict:
    cfg = {"fps": FPS, "features": [
        {"key": "observation.state", "topic": "/joint_states", "type": "joint_state", "joints": ["a", "b"]},
        {"key": "action", "topic": "/arm/joint_trajectory", "type": "joint_trajectory", "joints": ["a", "b"]},
        {"key": "observation.images.front", "topic": "/front/compressed", "type": "compressed_image",
         "height": HEIGHT, "width": WIDTH},
        {"key": "observation.images.wrist", "topic": "/wrist/image_raw", "type": "image",
         "height": HEIGHT, "width": WIDTH},
        {"key": "observation.force", "topic": "/force", "type": "float_array", "size": 1},
    ], "language": language}  # true: the default language topics; absent or false: no language columns
    return cfg


# Each stream: (topic, period_s, offset_s): message i is logged at offset + i * period.
STREAMS = {
    "observation.state": ("/joint_states", 0.02, 0.001),
    "action": ("/arm/joint_trajectory", 0.05, 0.002),
    "observation.images.front": ("/front/compressed", 0.1, 0.003),
    "observation.images.wrist": ("/wrist/image_raw", 0.1, 0.007),
    "observation.force": ("/force", 0.1, 0.004),
}


def value(key: str, i: int):
    """Message i's value of a feature, as the dataset must store it."""
    if key == "observation.state":
        return np.array([0.01 * i, -0.02 * i], np.float32)
    if key == "action":
        return np.array([i, 2 * i], np.float32)
    if key == "observation.force":
        return np.array([100 + i], np.float32)
    return image(image_number(key, i))


def stream_messages(key: str, i: int, log_ns: int) -> Msg:
    topic = STREAMS[key][0]
    if key == "observation.state":
        a, b = value(key, i)
        return joint_state(topic, log_ns, ["b", "a"], [b, a])
    if key == "action":
        return joint_trajectory(topic, log_ns, ["a", "b"], value(key, i))
    if key == "observation.images.front":
        return jpeg_image(topic, log_ns, value(key, i))
    if key == "observation.images.wrist":
        return raw_image(topic, log_ns, value(key, i))
    return float64(topic, log_ns, float(value(key, i)[0]))


@dataclass
class Session:
    messages: list[Msg]
    times: dict[str, np.ndarray]  # per feature, message log times in seconds from T0


def session(duration_s: float = 2.0, skip: dict[str, tuple[float, float]] | None = None,
            tasks: tuple[tuple[float, str], ...] = ((0.0, "pick"), (1.0, "place")),
            language: tuple[tuple[float, str, str], ...] = ((0.32, "/subtask", "reach"), (0.55, "/say", "on it"),
                                                            (1.25, "/user_input", "faster"),
                                                            (1.52, "/subtask", "release"))) -> Session:
    """The session's messages sorted by log time; ``skip[key] = (from_s, to_s)`` silences a stream."""
    messages, times = [], {}
    for key, (_, period, offset) in STREAMS.items():
        stamps = []
        for i in range(int(duration_s / period)):
            t = offset + i * period
            if skip and key in skip and skip[key][0] <= t < skip[key][1]:
                continue
            messages.append(stream_messages(key, i, ns(t)))
            stamps.append((t, i))
        times[key] = np.array(stamps)
    messages += [string("/task", ns(t), text) for t, text in tasks]
    messages += [string(topic, ns(t), text) for t, topic, text in language]
    messages.sort(key=lambda m: m.log_ns)
    return Session(messages, times)


def expected_frames(s: Session, start_s: float, stop_s: float) -> list[tuple[float, dict[str, int]]]:
    """(tick, {feature: message index}) of every frame the rule writes in [start_s, stop_s)."""
    frames = []
    tick_index = 0
    while (tick := start_s + tick_index / FPS) < stop_s - 1e-12:
        chosen = {}
        for key, stamps in s.times.items():
            earlier = stamps[stamps[:, 0] <= tick + 1e-12]
            if len(earlier) and tick - earlier[-1, 0] <= MAX_AGE_S:
                chosen[key] = int(earlier[-1, 1])
        if len(chosen) == len(s.times):
            frames.append((tick, chosen))
        tick_index += 1
    return frames
