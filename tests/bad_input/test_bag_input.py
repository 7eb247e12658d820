"""Bags that are not what they claim (issue 21): an empty or random ``.mcap`` is "not an MCAP", not
"truncated, the recorder was probably killed"; damaged bytes are a BagError naming the bag, never a
traceback; an MCAP cut at any offset is refused as truncated or, with recover_truncated, reads as a
prefix of its messages.
"""

from __future__ import annotations

import re
import sys
import tempfile
from pathlib import Path

import pytest
import yaml
from cli_runner import assert_one_line_error, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).parents[1] / "recording"))
from bag_writers import float64, string, write_mcap_ros2  # noqa: E402

from lerobot_ros.recording.bags import MCAP_MAGIC, BagError, BagSource  # noqa: E402

CONFIG = {"fps": 10, "features": [{"key": "observation.state", "topic": "/joint_states", "type": "joint_state",
                                   "joints": ["a", "b"]}]}


def read(path: Path, recover: bool = False) -> list[tuple[str, int]]:
    with BagSource(path, recover_truncated=recover).open() as bag:
        return [(topic, log_ns) for topic, log_ns, _ in bag.messages(sorted(bag.topics))]


@pytest.fixture(scope="module")
def small_mcap(tmp_path_factory) -> tuple[bytes, list[tuple[str, int]]]:
    """A small MCAP of a chunk per message (written by mcap's own writer) and its messages; small
    types keep it under a kilobyte, so cutting it at every offset takes seconds."""
    messages = [float64("/gripper/force", 10**9 + i * 10**8, i / 4) for i in range(3)]
    path = write_mcap_ros2(tmp_path_factory.mktemp("mcap") / "small.mcap",
                           messages + [string("/task", 2 * 10**9, "pick")], chunk_size=32)
    return path.read_bytes(), read(path)


@pytest.mark.parametrize("content, message", [
    (b"", "is empty (0 bytes), not an MCAP file"),
    (b"PK\x03\x04 a zip file, say" * 20, "is not an MCAP file"),
])
def test_an_empty_or_foreign_file_is_not_called_truncated(tmp_path, content, message):
    bag = tmp_path / "session.mcap"
    bag.write_bytes(content)
    with pytest.raises(BagError, match=re.escape(message)) as error:
        read(bag, recover=True)
    assert "truncated" not in str(error.value) and "killed" not in str(error.value)
    config = tmp_path / "recording.yaml"
    config.write_text(yaml.safe_dump(CONFIG))
    result = run_cli("convert", bag, "--config", config, "--out", tmp_path / "ds", "--task", "t")
    line = assert_one_line_error(result, str(bag), message)
    assert "truncated" not in line


def test_every_truncation_is_refused_or_reads_a_prefix(small_mcap, tmp_path):
    data, messages = small_mcap
    path, prefixes = tmp_path / "cut.mcap", set()
    for cut in range(len(data)):
        path.write_bytes(data[:cut])
        with pytest.raises(BagError, match="truncated|empty"):
            read(path)
        try:
            got = read(path, recover=True)
        except BagError as error:
            assert cut == 0 and "empty" in str(error)
            continue
        assert got == messages[:len(got)], cut
        prefixes.add(len(got))
    assert prefixes == set(range(len(messages) + 1))  # every prefix, from none to all (the footer cut off)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=400), framing=st.sampled_from(["none", "head", "both"]), recover=st.booleans())
def test_random_bytes_are_a_bag_error_or_read(body, framing, recover):
    data = {"none": body, "head": MCAP_MAGIC + body, "both": MCAP_MAGIC + body + MCAP_MAGIC}[framing]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "random.mcap"
        path.write_bytes(data)
        try:
            read(path, recover)
        except BagError as error:
            assert str(path) in str(error)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1, max_size=4),
       recover=st.booleans())
def test_flipped_bytes_in_a_real_mcap_are_a_bag_error_or_read(small_mcap, flips, recover):
    data = bytearray(small_mcap[0])
    for offset, value in flips:
        data[offset % len(data)] = value
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "flipped.mcap"
        path.write_bytes(bytes(data))
        try:
            read(path, recover)
        except BagError as error:
            assert str(path) in str(error)
