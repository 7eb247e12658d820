"""The one rule for recording events (recording/episode_events.py), followed by recorder_node on its own
and by lerobot-ros record's timed SessionDriver."""

from __future__ import annotations

import pytest

from lerobot_ros.recording.episode_events import Phase, Reaction, react
from lerobot_ros.recording_events import NEXT_EPISODE, RERECORD_EPISODE, STOP_RECORDING


@pytest.mark.parametrize("event, phase, expected", [
    (NEXT_EPISODE, Phase.RECORDING, Reaction(save=True, start_next=True)),
    (RERECORD_EPISODE, Phase.RECORDING, Reaction(discard=True, start_next=True)),
    (STOP_RECORDING, Phase.RECORDING, Reaction(save=True, end=True)),
    (NEXT_EPISODE, Phase.BETWEEN, Reaction(start_next=True)),
    (STOP_RECORDING, Phase.BETWEEN, Reaction(end=True)),
])
def test_events_that_act(event, phase, expected):
    reaction = react(event, phase)
    assert reaction == expected and not reaction.ignored and not reaction.note


def test_rerecord_between_episodes_is_ignored_saying_how_to_remove_the_saved_one():
    reaction = react(RERECORD_EPISODE, Phase.BETWEEN)
    assert reaction.ignored
    assert "already saved" in reaction.note and "delete-episodes" in reaction.note


@pytest.mark.parametrize("event", [NEXT_EPISODE, RERECORD_EPISODE, STOP_RECORDING])
def test_nothing_happens_after_the_recording_ended(event):
    reaction = react(event, Phase.ENDED)
    assert reaction.ignored and reaction.note == f"Ignored {event}: the recording has ended"


@pytest.mark.parametrize("phase", list(Phase))
def test_unknown_words_are_ignored_naming_the_known_ones(phase):
    reaction = react("next", phase)  # close to, but not, next_episode: words are compared whole
    assert reaction.ignored
    assert reaction.note == ("Ignored unknown recording event 'next'; known: next_episode, rerecord_episode, "
                             "stop_recording")
