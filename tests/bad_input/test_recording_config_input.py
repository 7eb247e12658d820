"""Recording configs a user gets wrong: YAML syntax, a misspelt section, random content (issue 21).

Every bad config is a RecordingConfigError naming the file (and the line, the key) and the fix,
through ``load_recording_config`` and through the commands that read configs; never a parser
traceback, never silently ignored.
"""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path

import pytest
import yaml
from cli_runner import assert_one_line_error, run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

from lerobot_ros.recording.config import RecordingConfig, RecordingConfigError, load_recording_config

STATE = {"key": "observation.state", "topic": "/joint_states", "type": "joint_state", "joints": ["a", "b"]}
BROKEN_YAML = "fps: 10\nfeatures:\n  - {key: observation.state, topic: /joint_states\n  - {key: action}\n"


def write(folder: Path, text: str, name: str = "recording.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_yaml_syntax_error_names_the_file_line_and_column(tmp_path):
    config = write(tmp_path, BROKEN_YAML)
    with pytest.raises(RecordingConfigError, match=r"recording.yaml, line 4, column \d+: not valid YAML"):
        load_recording_config(config)


def test_convert_with_a_yaml_syntax_error_is_one_line(tmp_path):
    config = write(tmp_path, BROKEN_YAML)
    result = run_cli("convert", tmp_path / "bag.mcap", "--config", config, "--out", tmp_path / "ds", "--task", "t")
    assert_one_line_error(result, str(config), "line 4", "not valid YAML")


@pytest.mark.ros
def test_record_with_a_yaml_syntax_error_is_one_line(tmp_path):
    config = write(tmp_path, BROKEN_YAML)
    handler = signal.getsignal(signal.SIGINT)  # record installs its own Ctrl-C handler
    try:
        result = run_cli("record", "--config", config, "--root", tmp_path / "ds", "--task", "t", "--no-keyboard")
    finally:
        signal.signal(signal.SIGINT, handler)
    assert_one_line_error(result, str(config), "line 4")
    assert not (tmp_path / "ds").exists()


def test_a_misspelt_top_level_key_is_refused_with_a_suggestion(tmp_path):
    config = write(tmp_path, yaml.safe_dump({"fps": 10, "features": [STATE], "languag": False}))
    with pytest.raises(RecordingConfigError) as error:
        load_recording_config(config)
    message = str(error.value)
    assert str(config) in message and "'languag'" in message and "did you mean 'language'?" in message
    assert "'fps'" in message and "'features'" in message  # the known keys
    result = run_cli("convert", tmp_path / "bag.mcap", "--config", config, "--out", tmp_path / "ds", "--task", "t")
    assert_one_line_error(result, str(config), "'languag'", "did you mean 'language'?")


def test_a_config_that_is_not_a_mapping_or_not_utf8_names_the_file(tmp_path):
    for text in ("- just\n- a list\n", "", "fps: 10\n"):
        with pytest.raises(RecordingConfigError, match="recording.yaml"):
            load_recording_config(write(tmp_path, text))
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"fps: \xff\xfe\n")
    with pytest.raises(RecordingConfigError, match="binary.yaml cannot be read"):
        load_recording_config(binary)


# -- random configs: a RecordingConfig or a RecordingConfigError, nothing else ------------------------

SCALARS = st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats() | st.text(max_size=12)
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4)
                      | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
FEATURE_FIELDS = {
    "key": st.sampled_from(["observation.state", "action", "observation.images.front", "a/b", ""]) | VALUES,
    "topic": st.sampled_from(["/joint_states", "joint_states", ""]) | VALUES,
    "type": st.sampled_from(["joint_state", "joint_trajectory", "image", "compressed_image", "float_array",
                             "numeric", "nope"]) | VALUES,
    "joints": st.lists(st.sampled_from(["a", "b", "", "a"]), max_size=3) | VALUES,
    "field": st.sampled_from(["position", "velocity", "effort", "pos"]) | VALUES,
    "max_age_s": st.floats() | st.integers(-5, 10**400) | VALUES,
    "time_source": st.sampled_from(["receive", "header"]) | VALUES,
    "height": st.integers(-2, 500) | VALUES, "width": st.integers(-2, 500) | VALUES,
    "size": st.integers(-2, 8) | VALUES, "names": VALUES, "bogus": VALUES,
}
FEATURE = st.fixed_dictionaries({}, optional=FEATURE_FIELDS) | VALUES
CONFIG = st.fixed_dictionaries({}, optional={
    "fps": st.integers(-3, 100) | st.floats() | VALUES,
    "features": st.lists(FEATURE, max_size=4) | VALUES,
    "language": st.booleans() | st.dictionaries(st.sampled_from(["subtask", "plan", "say", "vqa", "x"]), VALUES)
    | VALUES,
    "languag": VALUES,
})


@settings(max_examples=300, deadline=None)
@given(CONFIG)
def test_random_mappings_load_or_raise_a_config_error(raw):
    try:
        config = load_recording_config(raw)
    except RecordingConfigError:
        return
    assert isinstance(config, RecordingConfig) and config.fps > 0 and config.features


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("fps: 10\nfeatures-[]{}'\"#&*!|>%@`\t,?key")), max_size=80)
       | CONFIG.map(lambda raw: yaml.safe_dump(raw, allow_unicode=True)))
def test_random_yaml_text_loads_or_raises_a_config_error(text):
    with tempfile.TemporaryDirectory() as folder:
        path = write(Path(folder), text)
        try:
            load_recording_config(path)
        except RecordingConfigError as error:
            assert str(path) in str(error)
