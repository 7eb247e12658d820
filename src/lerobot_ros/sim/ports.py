"""``sim`` port values: run a robot on a simulated bus instead of a serial device.

``sim`` simulates the robot type configured beside it; ``sim://<robot_type>`` names the type (and
must agree with a configured one). Query options: ``timing=1mbps`` (or ``500kbps``, ``1000000``,
``off``) for real wire timing, ``seed=<int>`` and ``drop=<probability>`` for random reply drops.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from ..robots.tables import robot_type as lookup_robot_type
from .bus import SimulatedBus
from .defaults import default_sim_calibration

__all__ = ["default_sim_calibration", "is_sim_port", "open_sim_port"]

_OPTIONS = ("timing", "seed", "drop")


def is_sim_port(port: str) -> bool:
    return port == "sim" or port.startswith(("sim://", "sim?"))


def open_sim_port(port: str, robot_type: str | None = None) -> SimulatedBus:
    """A started :class:`SimulatedBus` for a ``sim`` port value."""
    if not is_sim_port(port):
        raise ValueError(f"{port!r} is not a simulated port (use 'sim' or 'sim://<robot_type>')")
    parts = urlsplit(port if "://" in port else port.replace("sim", "sim://", 1))
    named = parts.netloc or None
    if named and robot_type and named != robot_type:
        raise ValueError(f"port {port!r} simulates {named!r} but robot_type is {robot_type!r}")
    name = named or robot_type
    if name is None:
        raise ValueError(f"port {port!r} does not say which robot to simulate: use 'sim://<robot_type>' "
                         "or give a robot_type")
    lookup_robot_type(name)  # ValueError listing the known types
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ValueError(f"unknown sim port option(s) {', '.join(unknown)} in {port!r}; known: {', '.join(_OPTIONS)}")
    value = {k: v[-1] for k, v in options.items()}
    try:
        bus = SimulatedBus.for_robot_type(
            name,
            timing_baudrate=_parse_baudrate(value["timing"]) if "timing" in value else None,
            seed=int(value["seed"]) if "seed" in value else None,
            drop_probability=float(value.get("drop", 0.0)),
        )
    except ValueError as exc:
        raise ValueError(f"bad option in sim port {port!r}: {exc}") from None
    bus.start()
    return bus


def _parse_baudrate(text: str) -> int | None:
    text = text.strip().lower()
    if text in ("", "0", "off", "none", "false"):
        return None
    for suffix, scale in (("mbps", 1_000_000), ("kbps", 1_000), ("bps", 1)):
        if text.endswith(suffix):
            return int(float(text[:-len(suffix)]) * scale)
    return int(text)
