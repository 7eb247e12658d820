"""lerobot-ros convert on bags written by independent writers: the rosbags writer (sqlite3, MCAP)
and Foxglove's mcap + mcap-ros2-support writer. Frames are checked against an independent statement
of the sync rule (bag_scenarios.expected_frames), and the result is loaded by LeRobot itself."""

from __future__ import annotations

import json

import frame_barcode
import numpy as np
import pytest
from bag_scenarios import FPS, T0, config, expected_frames, image_number, ns, session, value
from bag_writers import write_mcap_ros2, write_rosbags
from oracle_helpers import lerobot_row, lerobot_view

from lerobot_ros.cli.main import main
from lerobot_ros.dataset import DatasetReader, LanguageRow, VideoEncoding, say
from lerobot_ros.recording.bag_episodes import load_ranges, parse_range
from lerobot_ros.recording.convert import ConvertError, convert, options_from_config

X264 = VideoEncoding(codec="libx264", preset="ultrafast")
CAMERAS = ("observation.images.front", "observation.images.wrist")
NUMERIC = ("observation.state", "action", "observation.force")
CODEC_TOLERANCE = 12  # mean absolute difference per frame below the barcode, JPEG (front) + x264 at crf 30 on
# 64x48 (next to the barcode's edges: 8.3 seen); identity is the barcode's job, not this tolerance's


def check_images(frames, chosen: list[int], camera: str, what: str) -> None:
    """Decoded ``frames`` of ``camera`` are its messages ``chosen`` (one per frame): each frame's
    barcode reads exactly its message's number, and the content below it is within the codec's
    tolerance."""
    read = frame_barcode.read_all(frames)
    assert read == [image_number(camera, i) for i in chosen], f"{what} {camera}: frames carry message numbers {read}"
    for k, (frame, i) in enumerate(zip(frames, chosen)):
        difference = np.abs(frame_barcode.content(frame).astype(int) - frame_barcode.content(value(camera, i)).astype(int))
        assert difference.mean() < CODEC_TOLERANCE, (what, camera, k, difference.mean())


def write_bag(folder, messages, writer: str):
    """A bag in ``folder`` (created) by one of the three writers."""
    folder.mkdir(parents=True, exist_ok=True)
    if writer == "mcap_ros2":
        return write_mcap_ros2(folder / "session.mcap", messages)
    return write_rosbags(folder / f"bag_{writer}", messages, storage=writer)


def end_s(s) -> float:
    """Where a whole-bag span stops: one nanosecond past the last message, from T0."""
    return (max(m.log_ns for m in s.messages) + 1 - T0) * 1e-9


def options(cfg=None, **kwargs):
    return options_from_config(cfg or config(), video=X264, progress=False, **kwargs)


def check_episode(reader: DatasetReader, episode: int, frames: list, task: str) -> None:
    """The episode holds exactly ``frames`` (from expected_frames): values, task and images."""
    columns = reader.episode_columns(episode)
    assert len(columns["frame_index"]) == len(frames)
    for key in NUMERIC:
        np.testing.assert_array_equal(columns[key].reshape(len(frames), -1),
                                      np.stack([value(key, chosen[key]) for _, chosen in frames]))
    assert reader.episode_tasks(episode) == [task] * len(frames)
    for camera in CAMERAS:
        check_images(reader.video_frames(episode, camera), [chosen[camera] for _, chosen in frames], camera,
                     f"episode {episode}:")


@pytest.mark.parametrize("writer", ["sqlite3", "mcap", "mcap_ros2"])
def test_a_session_becomes_episodes_per_task_with_language(tmp_path, writer):
    s = session()
    bag = write_bag(tmp_path, s.messages, writer)
    summary = convert([bag], tmp_path / "ds", options(task_topic="/task"))
    reader = DatasetReader(tmp_path / "ds")
    first, second = expected_frames(s, 0.0, 1.0), expected_frames(s, 1.0, end_s(s))
    assert (summary.episodes, reader.num_episodes) == (2, 2) and len(first) == 9 and len(second) == 10
    check_episode(reader, 0, first, "pick")
    check_episode(reader, 1, second, "place")
    # language: the subtask at 0.32 s is timed from the first frame (0.1 s); "say" at 0.55 s lands
    # on the frame at 0.6 s; the subtask still active when episode 1 starts gets time 0.
    lang0, lang1 = reader.episode_language(0), reader.episode_language(1)
    assert lang0.persistent == [LanguageRow("assistant", "reach", "subtask", timestamp=0.32 - first[0][0])]
    assert lang0.events == {5: [say("on it")]}
    assert lang1.persistent == [LanguageRow("assistant", "reach", "subtask", timestamp=0.0),
                                LanguageRow("assistant", "release", "subtask", timestamp=0.52)]
    assert lang1.events == {3: [LanguageRow("user", "faster", "interjection")]}
    reports = [json.loads(path.read_text()) for path in summary.reports]
    assert [path.name for path in summary.reports] == ["episode_000000.json", "episode_000001.json"]
    assert [(r["episode_index"], r["length"], r["task"]) for r in reports] == [(0, 9, "pick"), (1, 10, "place")]
    assert reports[0]["quality"]["streams"]["observation.images.front"]["missing"] == 1


@pytest.mark.slow
def test_lerobot_loads_a_converted_bag(tmp_path, lerobot_reference):
    """Both LeRobot references read the converted dataset: values, tasks, frames (and language
    rows in 0.6.1; for 0.4.4, which has no language columns, the config turns them off)."""
    s = session()
    bag = write_bag(tmp_path, s.messages, "mcap_ros2")
    language = lerobot_reference.reads_language
    convert([bag], tmp_path / "ds", options(config(language=language), task_topic="/task"))
    columns, meta = lerobot_view(lerobot_reference.python, tmp_path / "ds", tmp_path / "view")
    frames = expected_frames(s, 0.0, 1.0) + expected_frames(s, 1.0, end_s(s))
    assert meta["num_frames"] == len(frames) == 19 and meta["num_episodes"] == 2
    assert meta["tasks"] == ["pick"] * 9 + ["place"] * 10
    for key in NUMERIC:
        np.testing.assert_array_equal(columns[key].reshape(len(frames), -1),
                                      np.stack([value(key, chosen[key]) for _, chosen in frames]))
    for camera in CAMERAS:
        check_images(columns[camera], [chosen[camera] for _, chosen in frames], camera,
                     f"LeRobot {lerobot_reference.version}:")
    if language:
        assert meta["language_events"][5] == [lerobot_row(say("on it"))]
        assert meta["language_persistent"][0] == [lerobot_row(LanguageRow("assistant", "reach", "subtask",
                                                                          timestamp=0.32 - frames[0][0]))]


@pytest.mark.parametrize("writer", ["sqlite3", "mcap_ros2"])
def test_messages_written_out_of_order_convert_as_if_in_order(tmp_path, writer):
    s = session(duration_s=1.0, tasks=((0.0, "pick"),), language=())
    rng = np.random.default_rng(3)
    shuffled = [s.messages[i] for i in rng.permutation(len(s.messages))]
    in_order, out_of_order = write_bag(tmp_path / "a", s.messages, writer), write_bag(tmp_path / "b", shuffled, writer)
    convert([in_order], tmp_path / "ds_a", options(task="pick"))
    convert([out_of_order], tmp_path / "ds_b", options(task="pick"))
    a, b = DatasetReader(tmp_path / "ds_a"), DatasetReader(tmp_path / "ds_b")
    check_episode(b, 0, expected_frames(s, 0.0, 1.0), "pick")
    for key in NUMERIC:
        np.testing.assert_array_equal(a.episode_columns(0)[key], b.episode_columns(0)[key])


def test_header_time_orders_by_stamp_not_by_arrival(tmp_path):
    """With time_source: header, a message logged late but stamped early is used at the ticks its
    stamp covers; one logged more than header_lag_s late counts as a late arrival."""
    msgs = session(duration_s=1.0, tasks=((0.0, "pick"),), language=()).messages
    from bag_writers import joint_state

    state = [m for m in msgs if m.topic == "/joint_states"]
    others = [m for m in msgs if m.topic != "/joint_states"]
    # each state message logged 30 ms after its stamp, in a burst order that is not the stamp order
    delayed = [joint_state("/joint_states", m.log_ns + 30_000_000 + (7_000_000 if i % 2 else 0), ["b", "a"],
                           m.fields["position"], header_ns=m.log_ns) for i, m in enumerate(state)]
    written = sorted(others + delayed, key=lambda m: m.log_ns)
    bag = write_rosbags(tmp_path / "bag", written)
    cfg = config(language=False)
    cfg["features"][0]["time_source"] = "header"
    convert([bag], tmp_path / "ds", options(cfg, task="pick", header_lag_s=0.1))
    reader = DatasetReader(tmp_path / "ds")
    stop_s = (written[-1].log_ns + 1 - T0) * 1e-9  # the span ends after the last (delayed) message
    frames = expected_frames(session(duration_s=1.0, tasks=((0.0, "pick"),), language=()), 0.0, stop_s)
    assert len(frames) == 10
    np.testing.assert_array_equal(reader.episode_columns(0)["observation.state"],
                                  np.stack([value("observation.state", c["observation.state"]) for _, c in frames]))


def test_a_stalled_camera_drops_its_ticks_and_splits_the_episode(tmp_path):
    s = session(duration_s=2.0, tasks=((0.0, "pick"),), language=(),
                skip={"observation.images.front": (0.75, 1.3)})
    bag = write_rosbags(tmp_path / "bag", s.messages, "mcap")
    summary = convert([bag], tmp_path / "ds", options(task="pick"))
    frames = expected_frames(s, 0.0, 2.0)
    ticks = [round(t * FPS) for t, _ in frames]
    gap = next(k for k in range(1, len(ticks)) if ticks[k] != ticks[k - 1] + 1)
    # the frame of 0.703 s is 0.197 s old at 0.9 s (fresh), stale from 1.0 s; 1.303 s is fresh at 1.4 s
    assert ticks[gap - 1] == 9 and ticks[gap] == 14
    reader = DatasetReader(tmp_path / "ds")
    assert reader.num_episodes == 2
    check_episode(reader, 0, frames[:gap], "pick")
    check_episode(reader, 1, frames[gap:], "pick")
    quality = json.loads(summary.reports[0].read_text())["quality"]
    front = quality["streams"]["observation.images.front"]
    assert front["stale"] == 4 and quality["gap_ticks"] == 4 and quality["timestamps_exact"] is False
    # kept whole on request: one episode whose report says its timestamps are not capture times
    convert([bag], tmp_path / "whole", options(task="pick", split_on_gaps=False))
    assert [r.length for r in DatasetReader(tmp_path / "whole").episodes] == [len(frames)]


def test_a_topic_that_never_appears(tmp_path):
    s = session(duration_s=1.0, tasks=((0.0, "pick"),), language=())
    bag = write_rosbags(tmp_path / "bag", [m for m in s.messages if m.topic != "/force"])
    with pytest.raises(ValueError, match=r"has no topic /force \(feature observation.force\); its topics: "):
        convert([bag], tmp_path / "ds", options(task="pick"))
    assert not (tmp_path / "ds").exists()  # refused while planning, before anything is written


def test_a_declared_topic_without_messages_gives_no_episode(tmp_path):
    """A topic recorded but silent: no tick has every stream, the span is reported as skipped."""
    s = session(duration_s=1.0, tasks=((0.0, "pick"),), language=())
    write_rosbags(tmp_path / "bag", [m for m in s.messages if m.topic != "/force"],
                  silent_topics={"/force": "std_msgs/msg/Float64"})
    summary = convert([tmp_path / "bag"], tmp_path / "ds", options(task="pick"))
    assert summary.episodes == 0 and DatasetReader(tmp_path / "ds").num_episodes == 0
    entry = json.loads(summary.reports[0].read_text())
    assert entry["skipped"] and entry["quality"]["streams"]["observation.force"]["missing"] == 10


def test_a_truncated_mcap_is_refused_or_recovered(tmp_path):
    s = session(duration_s=2.0, tasks=((0.0, "pick"),), language=())
    full = write_mcap_ros2(tmp_path / "full.mcap", s.messages, chunk_size=16 * 1024)  # many chunks
    data = full.read_bytes()
    cut = tmp_path / "cut.mcap"
    cut.write_bytes(data[: int(len(data) * 0.6)])
    with pytest.raises(ValueError, match="truncated .*pass --recover-truncated"):
        convert([cut], tmp_path / "refused", options(task="pick"))
    convert([full], tmp_path / "full", options(task="pick"))
    summary = convert([cut], tmp_path / "recovered", options(task="pick", recover_truncated=True))
    whole, part = DatasetReader(tmp_path / "full"), DatasetReader(tmp_path / "recovered")
    assert 0 < summary.frames < whole.num_frames
    for key in NUMERIC:  # what was recovered is the beginning of the session, unchanged
        np.testing.assert_array_equal(part.episode_columns(0)[key], whole.episode_columns(0)[key][: summary.frames])


def test_an_unknown_message_type_is_a_clear_error_until_its_definition_is_given(tmp_path):
    from rosbags.typesys import Stores, get_typestore, get_types_from_msg

    definition = "float64 data\nstring sensor\n"
    store = get_typestore(Stores.ROS2_JAZZY)
    store.register(get_types_from_msg(definition, "grip_msgs/msg/Force"))
    s = session(duration_s=1.0, tasks=((0.0, "pick"),), language=())
    from bag_writers import Msg

    msgs = s.messages + [Msg("/grip", "grip_msgs/msg/Force", ns(0.05 * i + 0.006), {"data": float(i)})
                         for i in range(20)]
    bag = write_rosbags(tmp_path / "bag", sorted(msgs, key=lambda m: m.log_ns), store=store,
                        undefined_types=("grip_msgs/msg/Force",))
    cfg = config(language=False)
    cfg["features"].append({"key": "observation.grip", "topic": "/grip", "type": "float_array", "size": 1})
    with pytest.raises(ValueError, match="topic /grip has message type grip_msgs/msg/Force, which the bag "
                                         "does not define.*--msg"):
        convert([bag], tmp_path / "ds", options(cfg, task="pick"))
    msg_file = tmp_path / "grip_msgs" / "msg" / "Force.msg"
    msg_file.parent.mkdir(parents=True)
    msg_file.write_text(definition)
    convert([bag], tmp_path / "ds2", options(cfg, task="pick", msg_files=(msg_file,)))
    grip = DatasetReader(tmp_path / "ds2").episode_columns(0)["observation.grip"]
    # the latest message at or before tick k (0.1 k s) is message 2k - 1 (logged at 0.1 k - 0.044 s)
    np.testing.assert_array_equal(grip.reshape(-1), [2 * k - 1 for k in range(1, 10)])


@pytest.mark.slow
def test_parallel_conversion_gives_the_serial_dataset(tmp_path):
    bags = [write_bag(tmp_path / f"b{k}", session(duration_s=1.0 + 0.3 * k, tasks=((0.0, f"task {k}"),),
                                                  language=((0.41, "/say", f"hi {k}"),)).messages, "mcap")
            for k in range(3)]
    convert(bags, tmp_path / "serial", options(task_topic="/task", workers=1))
    convert(bags, tmp_path / "parallel", options(task_topic="/task", workers=3))
    serial, parallel = DatasetReader(tmp_path / "serial"), DatasetReader(tmp_path / "parallel")
    assert serial.num_episodes == parallel.num_episodes == 3
    for episode in range(3):
        a, b = serial.episode_columns(episode), parallel.episode_columns(episode)
        assert a.keys() == b.keys()
        for key in a:
            np.testing.assert_array_equal(a[key], b[key])
        assert serial.episode_tasks(episode) == parallel.episode_tasks(episode) == [f"task {episode}"] * len(a["index"])
        assert serial.episode_language(episode) == parallel.episode_language(episode)
        for camera in CAMERAS:
            np.testing.assert_array_equal(serial.video_frames(episode, camera), parallel.video_frames(episode, camera))
    for name in ("meta/info.json", "meta/stats.json"):
        assert (tmp_path / "serial" / name).read_text() == (tmp_path / "parallel" / name).read_text()
    assert not (tmp_path / "parallel" / ".staging").exists()


def test_a_bad_bag_keeps_the_episodes_before_it_and_append_continues(tmp_path):
    good = [write_bag(tmp_path / f"g{k}", session(duration_s=1.0, tasks=((0.0, "pick"),), language=()).messages,
                      "sqlite3") for k in range(2)]
    from bag_writers import joint_state

    bad_msgs = session(duration_s=1.0, tasks=((0.0, "pick"),), language=()).messages
    bad_msgs = [joint_state("/joint_states", m.log_ns, ["b", "c"], [0.0, 0.0]) if m.topic == "/joint_states"
                and m.log_ns > ns(0.5) else m for m in bad_msgs]
    bad = write_bag(tmp_path / "bad", bad_msgs, "sqlite3")
    with pytest.raises(ConvertError, match=r"(?s)bag_sqlite3 .*joints \['a'\] are not in the message on /joint_states.*"
                                           r"1 episode\(s\) converted before this are saved"):
        convert([good[0], bad, good[1]], tmp_path / "ds", options(task="pick", workers=2))
    reader = DatasetReader(tmp_path / "ds")
    assert reader.num_episodes == 1 and not (tmp_path / "ds" / ".staging").exists()
    convert([good[1]], tmp_path / "ds", options(task="pick", append=True))
    assert DatasetReader(tmp_path / "ds").num_episodes == 2
    assert sorted(p.name for p in (tmp_path / "ds.quality").iterdir()) == ["episode_000000.json", "episode_000001.json"]


def test_cli_converts_time_ranges_and_reports_errors(tmp_path, capsys):
    import yaml

    s = session(duration_s=2.0, tasks=((0.0, "ignored"),), language=())
    bag = write_rosbags(tmp_path / "bag", s.messages, "mcap")
    cfg = tmp_path / "recording.yaml"
    cfg.write_text(yaml.safe_dump(config(language=False)))
    out = tmp_path / "ds"
    args = ["convert", str(bag), "--config", str(cfg), "--out", str(out), "--codec", "libx264", "--no-progress"]
    assert main([*args, "--range", "0.5:1.0:pick", "--range", "1.2:1.9:place: then wave"]) == 0
    reader = DatasetReader(out)
    assert [r.length for r in reader.episodes] == [5, 7]
    assert reader.episode_tasks(1)[0] == "place: then wave"
    assert f"2 episodes, 12 frames written to {out}; quality reports in {out}.quality" in capsys.readouterr().out
    assert main([*args, "--task", "x"]) == 1  # the folder exists now
    assert "already exists" in capsys.readouterr().err
    missing = tmp_path / "nothing.mcap"
    assert main(["convert", str(missing), "--config", str(cfg), "--out", str(tmp_path / "ds2"), "--task", "x"]) == 1
    assert f"bag {missing} does not exist" in capsys.readouterr().err


def test_range_files_and_range_arguments(tmp_path):
    assert parse_range("1.5:3:pick: carefully").task == "pick: carefully"
    with pytest.raises(ValueError, match="bad range '3:1:x'.*need 0 <= start < end"):
        parse_range("3:1:x")
    (tmp_path / "r.csv").write_text("start_s,end_s,task,bag\n0,1.5,pick,a\n2,3,place,\n")
    (tmp_path / "r.yaml").write_text("- {start_s: 0, end_s: 1.5, task: pick, bag: a}\n"
                                     "- {start_s: 2, end_s: 3, task: place}\n")
    assert load_ranges(tmp_path / "r.csv") == load_ranges(tmp_path / "r.yaml")
    (tmp_path / "bad.yaml").write_text("- {start_s: 0, task: pick}\n")
    with pytest.raises(ValueError, match="range 0 .* need start_s, end_s, task"):
        load_ranges(tmp_path / "bad.yaml")


def test_images_of_another_size_than_configured_are_refused(tmp_path):
    s = session(duration_s=0.5, tasks=((0.0, "pick"),), language=())
    bag = write_rosbags(tmp_path / "bag", s.messages)
    cfg = config(language=False)
    cfg["features"][2].update(height=96, width=128)
    with pytest.raises(ConvertError, match="observation.images.front.*has 64x48 images, the config says 128x96"):
        convert([bag], tmp_path / "ds", options(cfg, task="pick"))


def test_a_wrong_type_a_damaged_sqlite3_bag_and_a_folder_that_is_no_bag_are_refused(tmp_path):
    s = session(duration_s=0.5, tasks=((0.0, "pick"),), language=())
    bag = write_rosbags(tmp_path / "bag", s.messages)
    cfg = config(language=False)
    cfg["features"][0]["topic"] = "/force"  # a Float64 topic for a joint_state feature
    with pytest.raises(ValueError, match="topic /force carries std_msgs/msg/Float64, but type 'joint_state' reads "
                                         "sensor_msgs/msg/JointState"):
        convert([bag], tmp_path / "ds", options(cfg, task="pick"))
    db = next(bag.glob("*.db3"))
    db.write_bytes(db.read_bytes()[: db.stat().st_size // 2])  # a damaged sqlite3 bag
    with pytest.raises(ValueError, match=r"bag .*bag (cannot be read|: reading failed).*malformed"):
        convert([bag], tmp_path / "ds", options(task="pick"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="bag .*empty cannot be read: .*is it a rosbag2 folder or .mcap file"):
        convert([tmp_path / "empty"], tmp_path / "ds", options(task="pick"))
    assert not (tmp_path / "ds").exists()


def test_ranges_naming_a_bag_apply_to_that_bag_only(tmp_path):
    s = session(duration_s=1.5, tasks=((0.0, "ignored"),), language=())
    bags = [write_rosbags(tmp_path / name, s.messages) for name in ("left", "right")]
    (tmp_path / "ranges.yaml").write_text("- {start_s: 0.2, end_s: 0.6, task: only left, bag: left}\n"
                                          "- {start_s: 0.8, end_s: 1.3, task: both}\n")
    convert(bags, tmp_path / "ds", options(ranges=tuple(load_ranges(tmp_path / "ranges.yaml"))))
    reader = DatasetReader(tmp_path / "ds")
    assert [(reader.episode_tasks(e)[0], r.length) for e, r in enumerate(reader.episodes)] == [
        ("only left", 4), ("both", 5), ("both", 5)]
    with pytest.raises(ValueError, match="range 2.0:3.0 starts after the bag's end"):
        convert(bags[:1], tmp_path / "ds2", options(ranges=(parse_range("2:3:late"),)))
