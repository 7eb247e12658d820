"""All servo models by name, whatever the vendor."""

from __future__ import annotations

from . import dynamixel_tables, feetech_tables
from .model import MotorModel

MODELS: dict[str, MotorModel] = {**feetech_tables.MODELS, **dynamixel_tables.MODELS}


def motor_model(name: str) -> MotorModel:
    try:
        return MODELS[name]
    except KeyError:
        raise ValueError(f"unknown servo model {name!r}; known: {', '.join(sorted(MODELS))}") from None
