"""The loopback Fast DDS profile is not just named but loaded by the DDS of a node process.

The profile's shared-memory transport has a 32 MiB segment (Fast DDS's default is 512 KB); a process
that loaded the profile maps a /dev/shm segment of that size. A profile that is named in the wrong
variable (FASTDDS_... is read by Fast DDS 3.x only; Jazzy's 2.x reads FASTRTPS_...) is silently
ignored, and then DDS discovery is no longer pinned to 127.0.0.1.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.ros

NODE = """
import rclpy, sys, time
rclpy.init()
node = rclpy.create_node("profile_probe")
print("up", flush=True)
time.sleep(30)
"""


def _shm_mappings_mb(pid: int) -> list[float]:
    sizes = []
    for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
        if "/dev/shm/fastrtps_" in line and not line.rstrip().endswith(("_el", ".lock")):
            start, end = (int(x, 16) for x in line.split()[0].split("-"))
            sizes.append((end - start) / 2**20)
    return sizes


def test_node_process_maps_the_profiles_large_shared_memory_segment():
    proc = subprocess.Popen([sys.executable, "-c", NODE], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "up"
        time.sleep(0.5)
        sizes = _shm_mappings_mb(proc.pid)
        assert sizes and max(sizes) >= 32, f"shared-memory segments (MiB): {sizes}: the profile was not loaded"
    finally:
        proc.kill()
        proc.wait()
