"""Resolvers: which annotation row a binding finds at a frame."""

from __future__ import annotations

import numpy as np
import pytest
from recipe_helpers import FPS, INTERJECTION_FRAME, SPEECH, WRIST, event_rows, persistent_rows

from lerobot_ros.dataset.language import LanguageRow, say
from lerobot_ros.policies.recipes import DEFAULT_BINDINGS, EMITTED_AT_TOLERANCE_S, AmbiguousBindingError, parse_binding
from lerobot_ros.policies.recipes.resolvers import resolve


def content(binding: str, t: float, events: list[LanguageRow] = ()) -> str | None:
    row = resolve(parse_binding(binding), t, persistent_rows(), list(events))
    return None if row is None else row.content


@pytest.mark.parametrize("t, expected", [
    (0.0, "reach the cube"), (1.99, "reach the cube"), (2.0, "grasp the cube"), (3.5, "grasp the cube"),
    (4.0, "place the cube in the bowl"), (100.0, "place the cube in the bowl"),
])
def test_active_at_is_the_latest_row_started_at_or_before_t(t, expected):
    assert content("active_at(t, style=subtask)", t) == expected


def test_active_at_before_the_first_row_is_none():
    rows = [LanguageRow("assistant", "later", "memory", timestamp=1.0)]
    assert resolve(parse_binding("active_at(t, style=memory)"), 0.5, rows, []) is None


def test_emitted_at_finds_persistent_rows_within_a_tenth_of_a_second():
    for t in (2.0 - EMITTED_AT_TOLERANCE_S + 1e-9, 1.95, 2.0, 2.05, 2.0 + EMITTED_AT_TOLERANCE_S - 1e-9):
        assert content("emitted_at(t, style=memory)", t) == "the cube is reached", t
    for t in (1.85, 2.0 - EMITTED_AT_TOLERANCE_S - 1e-6, 2.15, 3.0):
        assert content("emitted_at(t, style=memory)", t) is None, t
    # At 30 fps, with float32 frame times as stored: frame 57 is 0.10000002 s early (out), frame 63
    # 0.0999999 s late (in), as in LeRobot.
    fired = [i for i in range(50, 70) if content("emitted_at(t, style=memory)", float(np.float32(i / FPS)))]
    assert fired == list(range(58, 64))


def test_emitted_at_finds_events_only_on_their_own_frame():
    at_frame = event_rows(INTERJECTION_FRAME)
    found = content("emitted_at(t, style=interjection)", INTERJECTION_FRAME / FPS, at_frame)
    assert found == "use the blue bowl instead"
    # The next frame carries no event rows: nothing fires there, whatever the time.
    assert content("emitted_at(t, style=interjection)", (INTERJECTION_FRAME + 1) / FPS, []) is None


def test_tool_name_role_and_camera_filters():
    events = event_rows(INTERJECTION_FRAME)
    speech = resolve(DEFAULT_BINDINGS["speech"], 3.0, persistent_rows(), events)
    assert speech.tool_calls[0]["function"]["arguments"]["text"] == SPEECH
    assert resolve(parse_binding("emitted_at(t, tool_name=wave)"), 3.0, persistent_rows(), events) is None
    vqa = event_rows(150)
    query = resolve(parse_binding(f"emitted_at(t, style=vqa, role=user, camera={WRIST})"), 5.0, [], vqa)
    assert query.content == "how many cubes are in the gripper?"


def test_more_than_one_match_is_an_ambiguity_error():
    # Two cameras' answers on one frame: the default vqa binding (no camera) cannot choose.
    expected = r"binding 'vqa' = emitted_at\(t, style=vqa, role=assistant\) matches 2"
    with pytest.raises(AmbiguousBindingError, match=expected):
        resolve(DEFAULT_BINDINGS["vqa"], 5.0, [], event_rows(150), "vqa")
    # Two speech atoms on one frame.
    with pytest.raises(AmbiguousBindingError, match="matches 2 rows"):
        resolve(DEFAULT_BINDINGS["speech"], 1.0, [], [say("a"), say("b")])
    # Two subtasks starting at the same time.
    twins = [LanguageRow("assistant", name, "subtask", timestamp=1.0) for name in ("left", "right")]
    with pytest.raises(AmbiguousBindingError, match="fix the duplicate annotations"):
        resolve(DEFAULT_BINDINGS["subtask"], 1.5, twins, [])
    with pytest.raises(AmbiguousBindingError):
        resolve(parse_binding("nth_next(style=subtask, offset=1)"), 1.5, twins, [])


@pytest.mark.parametrize("binding, t, expected", [
    ("nth_prev(style=subtask, offset=1)", 3.0, "reach the cube"),
    ("nth_prev(style=subtask, offset=2)", 4.5, "reach the cube"),
    ("nth_prev(style=subtask, offset=1)", 1.0, None),
    ("nth_next(style=subtask, offset=1)", 1.0, "grasp the cube"),
    ("nth_next(style=subtask, offset=2)", 1.0, "place the cube in the bowl"),
    ("nth_next(style=subtask, offset=1)", 4.5, None),
    ("nth_prev(style=plan, offset=1)", 3.0, "1. reach 2. grasp 3. place"),
])
def test_nth_prev_and_nth_next_step_from_the_row_in_force(binding, t, expected):
    assert content(binding, t) == expected


def test_nth_next_before_any_row_starts_from_the_first():
    rows = [LanguageRow("assistant", f"s{i}", "subtask", timestamp=1.0 + i) for i in range(3)]
    assert resolve(parse_binding("nth_next(style=subtask, offset=1)"), 0.0, rows, []).content == "s0"
