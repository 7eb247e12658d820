"""Where a recording cannot go (issue 21): a read-only folder, a read-only mount to resume on, a
nearly full disk, and an existing empty mount point (which it can). Each is decided when the session
opens, before the first frame, not after a whole episode was performed; a codec mismatch on resume
names the command line's --codec, not the Python API's video= argument.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest
import yaml
from cli_runner import assert_one_line_error, run_cli
from locations import immutable, read_only_copy, tmpfs

sys.path.insert(0, str(Path(__file__).parents[1] / "dataset"))
from dataset_helpers import create, record_episode  # noqa: E402

from lerobot_ros.dataset import DatasetReader, VideoEncoding  # noqa: E402
from lerobot_ros.recording.config import load_recording_config  # noqa: E402
from lerobot_ros.recording.recording_session import RecordingSession, SessionError, SessionSettings  # noqa: E402

CONFIG = {"fps": 10, "features": [
    {"key": "observation.state", "topic": "/joint_states", "type": "joint_state", "joints": ["j1", "j2", "j3"]},
    {"key": "observation.images.front", "topic": "/front/image_raw", "type": "image", "height": 24, "width": 32}]}
X264 = VideoEncoding(codec="libx264", preset="ultrafast")


def open_session(root: Path, video: VideoEncoding | None = X264) -> RecordingSession:
    return RecordingSession.open(load_recording_config(CONFIG), SessionSettings(root=root, video=video), None)


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("recorded") / "ds"
    with create(root) as writer:
        record_episode(writer, 0, 4)
    return root


def test_a_read_only_folder_is_refused_before_anything_is_created(tmp_path):
    parent = tmp_path / "datasets"
    parent.mkdir()
    with immutable(parent):
        with pytest.raises(SessionError, match=f"{parent} is not writable .*nothing was recorded"):
            open_session(parent / "pick")
    assert list(parent.iterdir()) == []


@pytest.mark.ros
def test_record_into_a_read_only_folder_is_one_line(tmp_path):
    parent = tmp_path / "datasets"
    parent.mkdir()
    config = tmp_path / "recording.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    handler = signal.getsignal(signal.SIGINT)  # record installs its own Ctrl-C handler
    try:
        with immutable(parent):
            result = run_cli("record", "--config", config, "--root", parent / "pick", "--task", "t", "--no-keyboard",
                             "--codec", "libx264")
    finally:
        signal.signal(signal.SIGINT, handler)
    assert_one_line_error(result, str(parent), "not writable")


def test_an_existing_empty_mount_point_is_recorded_into(tmp_path):
    with tmpfs(tmp_path / "mnt") as mount:
        session = open_session(mount)
        session.finalize()
        assert (mount / "meta" / "info.json").is_file() and DatasetReader(mount).num_episodes == 0


def test_resuming_on_a_read_only_mount_is_refused_at_open(dataset, tmp_path):
    with read_only_copy(dataset, tmp_path / "ro") as mount:
        with pytest.raises(SessionError, match=f"{mount} is not writable"):
            open_session(mount)


def test_too_little_free_space_is_refused_at_open(tmp_path):
    with tmpfs(tmp_path / "small", size_kb=8192) as mount:
        with pytest.raises(SessionError, match=r"only \d+ MiB free; recording needs at least 100 MiB"):
            open_session(mount / "pick")
        assert list(mount.iterdir()) == []


def test_a_codec_mismatch_on_resume_names_the_cli_option(dataset, tmp_path):
    with pytest.raises(SessionError) as error:
        open_session(dataset, VideoEncoding(codec="libsvtav1"))
    assert "--codec libx264" in str(error.value) and "codec:=libx264" in str(error.value)
    assert "video=" not in str(error.value)
