"""LeRobot's config.json layout for the policy configs (SmolVLA2Config, PI052Config).

LeRobot keeps a policy's features as ``input_features`` / ``output_features``; our configs keep them
as plain fields (``image_features``, ``image_shapes``, ``state_dim``, ``action_dim``), converted here
at the JSON boundary. Keys LeRobot writes that the model does not use (``device``, ``push_to_hub``,
...) ride along in ``lerobot_extras`` untouched, and a config saved under LeRobot's own type (e.g.
"pi05") leaves out the fields only our extended type (e.g. "pi052") has, which LeRobot would refuse.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any, ClassVar

CONFIG_NAME = "config.json"
IMAGE_PREFIX = "observation.images."
STATE_KEY = "observation.state"
ACTION_KEY = "action"
# Our own view of the features, converted to and from input_features/output_features.
FEATURE_FIELDS = ("image_features", "state_dim", "action_dim", "image_shapes")


class LeRobotConfigJson:
    """config.json save/load for a policy config dataclass with the feature fields above and a
    ``lerobot_extras`` dict."""

    POLICY_TYPES: ClassVar[tuple[str, ...]]  # (LeRobot's type, our extended type)
    EXTENDED_ONLY_FIELDS: ClassVar[tuple[str, ...]]  # left out under LeRobot's type
    STATE_FIRST: ClassVar[bool]  # input_features order, as LeRobot writes it for this policy

    def to_json_dict(self) -> dict[str, Any]:
        values = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        extras = values.pop("lerobot_extras")
        for name in FEATURE_FIELDS:
            values.pop(name)
        if values["type"] == self.POLICY_TYPES[0]:
            for name in self.EXTENDED_ONLY_FIELDS:
                values.pop(name)
        state = {STATE_KEY: {"type": "STATE", "shape": [self.state_dim]}}
        images = {key: {"type": "VISUAL", "shape": self.image_shapes[key]} for key in self.image_features}
        out: dict[str, Any] = {
            "type": values.pop("type"),
            "n_obs_steps": values.pop("n_obs_steps"),
            "input_features": {**state, **images} if self.STATE_FIRST else {**images, **state},
            "output_features": {ACTION_KEY: {"type": "ACTION", "shape": [self.action_dim]}},
        }
        out.update(extras)
        for key, value in values.items():
            out[key] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_json_dict(cls, data: dict[str, Any]):
        data = dict(data)
        inputs = data.pop("input_features", None) or {}
        outputs = data.pop("output_features", None) or {}
        known = {f.name for f in dataclasses.fields(cls)} - set(FEATURE_FIELDS) - {"lerobot_extras"}
        kwargs = {key: data.pop(key) for key in list(data) if key in known}
        kwargs["lerobot_extras"] = data
        images = [key for key, feat in inputs.items() if feat.get("type") == "VISUAL"]
        kwargs["image_features"] = images
        kwargs["image_shapes"] = {key: list(inputs[key]["shape"]) for key in images}
        if STATE_KEY in inputs:
            kwargs["state_dim"] = int(inputs[STATE_KEY]["shape"][0])
        if ACTION_KEY in outputs:
            kwargs["action_dim"] = int(outputs[ACTION_KEY]["shape"][0])
        return cls(**kwargs)

    def save(self, folder: str | Path) -> Path:
        path = Path(folder) / CONFIG_NAME
        path.write_text(json.dumps(self.to_json_dict(), indent=4) + "\n")
        return path

    @classmethod
    def load(cls, folder: str | Path):
        path = Path(folder) / CONFIG_NAME
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no policy config.json in this folder")
        data = json.loads(path.read_text())
        if data.get("type") not in cls.POLICY_TYPES:
            raise ValueError(f"{path}: policy type {data.get('type')!r} is not one of {cls.POLICY_TYPES}")
        return cls.from_json_dict(data)
