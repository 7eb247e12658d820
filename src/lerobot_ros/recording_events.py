"""Recording events: the words on ``recording/events`` (std_msgs/String) that steer an episode recorder.

Teleop devices send them, recorder_node and ``lerobot-ros record`` act on them
(recording/session_events.py); a module of their own, below both, so neither imports the other.
"""

NEXT_EPISODE = "next_episode"  # end the current episode and save it
RERECORD_EPISODE = "rerecord_episode"  # drop the current episode and record it again
STOP_RECORDING = "stop_recording"  # save and stop recording
RECORDING_EVENTS = (NEXT_EPISODE, RERECORD_EPISODE, STOP_RECORDING)
