"""OpenCVCamera on a real OpenCV capture path: a video file written here stands in for a device."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from lerobot_ros.cameras import BackgroundCapture, OpenCVCamera, OpenCVCameraConfig, parse_index_or_path

W, H, N_FRAMES = 160, 120, 10
RED = (255, 0, 0)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """A 160x120 MJPG clip: black, with a red top-left quadrant and a grey level that counts frames."""
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (W, H))
    assert writer.isOpened()
    for k in range(N_FRAMES):
        rgb = np.zeros((H, W, 3), np.uint8)
        rgb[: H // 2, : W // 2] = RED
        rgb[H // 2:, W // 2:] = 20 * k  # bottom-right grey level: frame number
        writer.write(cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    writer.release()
    return path


def quadrant_colours(image: np.ndarray) -> dict[str, np.ndarray]:
    h, w = image.shape[:2]
    return {"tl": image[h // 8, w // 8], "tr": image[h // 8, -w // 8], "bl": image[-h // 8, w // 8]}


def is_red(pixel: np.ndarray) -> bool:
    return pixel[0] > 200 and pixel[1] < 50 and pixel[2] < 50


def connect(path, **kw) -> OpenCVCamera:
    camera = OpenCVCamera(OpenCVCameraConfig(index_or_path=str(path), warmup_s=0.0, **kw))
    camera.connect()
    return camera


def test_reads_rgb_frames_of_the_file_size(clip):
    with OpenCVCamera(OpenCVCameraConfig(index_or_path=clip, fps=50, width=W, height=H, warmup_s=0.0)) as camera:
        frame = camera.latest_frame()
        assert frame.image.shape == (H, W, 3) and frame.image.dtype == np.uint8
        assert is_red(quadrant_colours(frame.image)["tl"])  # RGB, not OpenCV's BGR
        assert abs(frame.stamp_s - time.time()) < 0.5
        assert (camera.width, camera.height, camera.fps) == (W, H, 50)


@pytest.mark.parametrize("rotation, red_corner", [(0, "tl"), (90, "tr"), (180, None), (-90, "bl")])
def test_rotation(clip, rotation, red_corner):
    size = (H, W) if rotation in (90, -90) else (W, H)
    camera = connect(clip, fps=50, width=size[0], height=size[1], rotation=rotation)
    try:
        image = camera.read_latest()
    finally:
        camera.disconnect()
    assert image.shape == (size[1], size[0], 3)
    reds = {name for name, pixel in quadrant_colours(image).items() if is_red(pixel)}
    assert reds == ({red_corner} if red_corner else set())


def test_size_mismatch_names_both_sizes_and_the_fix(clip):
    with pytest.raises(RuntimeError, match=r"asked 640x480, got 160x120; a video file plays at its own size"):
        connect(clip, width=640, height=480)


def test_missing_device_is_a_clear_error(tmp_path):
    with pytest.raises(ConnectionError, match="no such device or file"):
        connect(tmp_path / "nope.avi")


def test_file_loops_and_frames_arrive_once_each(clip):
    camera = connect(clip, fps=100)
    try:
        indices, levels = [], []
        frame = camera.next_frame(0)
        while len(indices) < 3 * N_FRAMES:
            frame = camera.next_frame(frame.index)
            indices.append(frame.index)
            levels.append(int(frame.image[-H // 8, -W // 8, 0]))
    finally:
        camera.disconnect()
    assert all(b > a for a, b in zip(indices, indices[1:]))
    # The grey level counts frames 0..9 and starts again: the clip looped.
    assert sum(1 for a, b in zip(levels, levels[1:]) if b < a - 100) >= 2


@pytest.mark.parametrize("lose, reason", [
    (lambda path: path.write_bytes(b""), r"changed size \(\d+ bytes when opened, 0 now\)"),
    (lambda path: path.unlink(), "was removed"),
])
def test_a_clip_lost_while_playing_stops_the_capture(tmp_path, lose, reason):
    """Emptied right after the first frame, the clip's first frames are still in FFmpeg's buffer, and
    before the check a rewind replayed them forever: the node never noticed its camera was gone."""
    path = tmp_path / "noise.avi"  # noise: each frame far larger than the reader's buffer
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (W, H))
    rng = np.random.default_rng(0)
    for _ in range(N_FRAMES):
        writer.write(rng.integers(0, 256, (H, W, 3), np.uint8))
    writer.release()
    camera = connect(path, fps=100)
    try:
        frame = camera.next_frame(0)
        lose(path)
        with pytest.raises(RuntimeError, match=f"reading a frame failed: the clip {reason} while it played"):
            for _ in range(10 * N_FRAMES):  # at most a few loops of the clip at 100 fps
                frame = camera.next_frame(frame.index)
    finally:
        camera.disconnect()


def test_read_latest_refuses_a_stale_frame(clip):
    camera = connect(clip, fps=1)  # the next frame is a second away
    try:
        frame = camera.next_frame(0)
        time.sleep(max(0.0, frame.stamp_s + 0.2 - time.time()))
        with pytest.raises(TimeoutError, match="ms old"):
            camera.read_latest(max_age_ms=100)
        assert camera.read_latest(max_age_ms=900).shape == (H, W, 3)
    finally:
        camera.disconnect()


def test_read_before_connect_is_an_error(clip):
    with pytest.raises(RuntimeError, match="not connected"):
        OpenCVCamera(OpenCVCameraConfig(index_or_path=clip)).read_latest()


def test_capture_failure_reaches_the_reader():
    def grab():
        raise ConnectionError("unplugged")

    capture = BackgroundCapture("cam", grab)
    capture.start()
    try:
        with pytest.raises(RuntimeError, match="camera cam: capture stopped: unplugged"):
            capture.next_after(0, timeout_ms=2000)
    finally:
        capture.stop()


@pytest.mark.parametrize("kw, match", [
    ({"rotation": 45}, "choose one of 0, 90, 180, -90"),
    ({"width": 640}, "set both or neither"),
    ({"fourcc": "MJPEG"}, "four characters"),
    ({"color_mode": "hsv"}, "'rgb' or 'bgr'"),
])
def test_config_errors(kw, match):
    with pytest.raises(ValueError, match=match):
        OpenCVCameraConfig(index_or_path=0, **kw)


def test_parse_index_or_path():
    assert parse_index_or_path("0") == 0
    assert parse_index_or_path(" 2 ") == 2
    assert parse_index_or_path("/dev/video0") == "/dev/video0"
    with pytest.raises(ValueError, match="empty"):
        parse_index_or_path("")
