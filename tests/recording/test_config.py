"""Recording config: YAML loading, validation errors that name the feature and the fix."""

import re

import pytest

from lerobot_ros.recording import RecordingConfigError, load_recording_config

STATE = {"key": "observation.state", "topic": "/joint_states", "type": "joint_state", "joints": ["a", "b"]}
CAMERA = {"key": "observation.images.front", "topic": "/front/image_raw", "type": "image",
          "height": 24, "width": 32}


def _config(*features, fps=10):
    return {"fps": fps, "features": list(features)}


def test_yaml_file_loads_with_defaults(tmp_path):
    path = tmp_path / "rec.yaml"
    path.write_text(
        "fps: 30\n"
        "features:\n"
        "  - {key: observation.state, topic: /joint_states, type: joint_state, joints: [a, b], field: velocity}\n"
        "  - {key: action, topic: /arm/joint_trajectory, type: joint_trajectory, joints: [a, b],\n"
        "     max_age_s: 0.5, time_source: header}\n"
        "  - {key: observation.images.front, topic: /front/compressed, type: compressed_image,\n"
        "     height: 480, width: 640}\n"
        "  - {key: observation.force, topic: /force, type: numeric, size: 2, names: [fx, fy]}\n"
    )
    config = load_recording_config(path)
    assert config.fps == 30 and config.keys == ("observation.state", "action", "observation.images.front",
                                                 "observation.force")
    state = config.feature("observation.state")
    assert state.field == "velocity" and state.max_age_s == pytest.approx(2 / 30)
    assert state.time_source == "receive" and state.message_time_s(1.0, 0.5) == 1.0
    action = config.feature("action")
    assert action.max_age_s == 0.5 and action.message_time_s(1.0, 0.5) == 0.5
    assert config.feature("observation.force").type == "float_array"


def test_dataset_features_match_writer_format():
    config = load_recording_config(_config(STATE, CAMERA, {"key": "extra", "topic": "/x", "type": "float_array",
                                                          "size": 3}))
    assert config.dataset_features() == {
        "observation.state": {"dtype": "float32", "shape": [2], "names": ["a.pos", "b.pos"]},
        "observation.images.front": {"dtype": "video", "shape": [24, 32, 3],
                                     "names": ["height", "width", "channels"]},
        "extra": {"dtype": "float32", "shape": [3], "names": None},
    }


@pytest.mark.parametrize("config, message", [
    (_config(STATE, fps=0), "fps must be a positive integer"),
    (_config(STATE, fps=29.97), "fps must be a positive integer"),
    ({"fps": 10}, "'features' must be a non-empty list"),
    (_config({**STATE, "type": "pose"}), "feature 'observation.state': unknown type 'pose'"),
    (_config({k: v for k, v in STATE.items() if k != "joints"}), "joint types need 'joints'"),
    (_config({**STATE, "joints": ["a", "a"]}), "lists a joint twice"),
    (_config(STATE, STATE), "'observation.state' is declared twice"),
    (_config({k: v for k, v in CAMERA.items() if k != "height"}), "needs 'height'"),
    (_config({**CAMERA, "width": 31}), "even height and width"),
    (_config({**CAMERA, "key": "observation.front"}), "keyed observation.images.<camera>"),
    (_config({**STATE, "field": "torque"}), "field must be one of"),
    (_config({**STATE, "max_age_s": 0}), "max_age_s must be a positive number"),
    (_config({**STATE, "time_source": "bag"}), "time_source must be one of"),
    (_config({**STATE, "topics": "/x"}), "unknown fields ['topics']"),
    (_config({**CAMERA, "joints": ["a"]}), "do not apply to type 'image'"),
    (_config({"key": "x", "topic": "/x", "type": "float_array"}), "needs 'size'"),
    (_config({"key": "x", "topic": "/x", "type": "float_array", "size": 2, "names": ["a"]}), "list of 2 strings"),
])
def test_config_errors_name_feature_and_fix(config, message):
    with pytest.raises(RecordingConfigError, match=re.escape(message)):
        load_recording_config(config)
