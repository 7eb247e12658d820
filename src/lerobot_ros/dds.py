"""The DDS settings that keep every packet on this machine, for programs started outside make.

`make` exports them (Makefile) and the tests set them (tests/conftest.py); the demo and the
benchmarks call :func:`keep_dds_on_loopback` before rclpy is imported, so the middleware reads them.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from pathlib import Path

from .package_files import config_path

LOOPBACK_PROFILE = "fastdds/loopback.xml"  # shared memory + UDPv4 on 127.0.0.1 only, builtin transports off


def loopback_environment() -> dict[str, str]:
    """Loopback discovery, Fast DDS, and the loopback profile for Fast DDS 2.x (FASTRTPS_...) and 3.x."""
    profile = str(config_path(LOOPBACK_PROFILE))
    return {"ROS_AUTOMATIC_DISCOVERY_RANGE": "LOCALHOST", "RMW_IMPLEMENTATION": "rmw_fastrtps_cpp",
            "FASTRTPS_DEFAULT_PROFILES_FILE": profile, "FASTDDS_DEFAULT_PROFILES_FILE": profile}


def keep_dds_on_loopback(program: str, domain_id: int, environ: MutableMapping[str, str] = os.environ) -> None:
    """Set the loopback settings where unset; refuse (SystemExit naming the variable) values that differ.

    ``domain_id`` is the ROS_DOMAIN_ID used when none is set, one per program so runs do not meet.
    """
    for name, value in loopback_environment().items():
        given = environ.get(name)
        if given and (Path(given).resolve() != Path(value).resolve() if name.endswith("PROFILES_FILE")
                      else given != value):
            raise SystemExit(f"{program} keeps DDS on this machine, but {name}={given}; unset it (or set it to "
                             f"{value}) and run again")
        environ[name] = value
    environ.setdefault("ROS_DOMAIN_ID", str(domain_id))
