"""Make the loopback Fast DDS profile actually load for the camera tests.

tests/conftest.py names it in FASTDDS_DEFAULT_PROFILES_FILE, which only Fast DDS 3.x (Kilted and
later) reads; Jazzy's Fast DDS 2.14 reads FASTRTPS_DEFAULT_PROFILES_FILE. Without the profile the
shared-memory segment is 512 KB and 640x480 best-effort images are nearly all lost.
"""

import os

os.environ.setdefault("FASTRTPS_DEFAULT_PROFILES_FILE", os.environ["FASTDDS_DEFAULT_PROFILES_FILE"])
