"""say_node's parameters, as data: importable without rclpy, so the docs and parameter-file
checks need no ROS install; nodes/say_node.py declares them (docs/architecture.md, "Parameters")."""

from __future__ import annotations

from ..speech.espeak import OUTPUTS
from .param import Param

PARAMS = [
    Param("output", "audio", "Where speech goes: the audio device, WAV files only (no device needed), both, "
          "or auto (the audio device if there is one, else WAV files)",
          choices=OUTPUTS),
    Param("wav_dir", "", "Folder for WAV files (output wav, both or auto); empty: <temp dir>/lerobot_ros_speech"),
    Param("voice", "en", "espeak-ng voice (espeak-ng --voices lists them)"),
    Param("words_per_minute", 175, "Speaking rate", min=80, max=500),
    Param("amplitude", 100, "Volume", min=0, max=200),
    Param("interrupt_on_new", True, "A newer text interrupts the one being spoken (else texts wait their turn)"),
    Param("topic", "say", "The text topic (std_msgs/String)"),
    Param("diagnostics_rate_hz", 1.0, "Rate of /diagnostics", min=0.1, max=10.0),
]
