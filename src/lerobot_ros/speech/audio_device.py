"""Is there anywhere to play sound? espeak-ng exits 0 even when it cannot open an audio device, so
say_node checks first and fails with a clear message instead of speaking into the void."""

from __future__ import annotations

import os
from pathlib import Path


class NoAudioDeviceError(RuntimeError):
    """No sound card and no sound server; the message says what was looked for and the way out."""


def find_audio_output() -> str:
    """A description of the audio output espeak-ng would use; raises NoAudioDeviceError if none."""
    pulse = os.environ.get("PULSE_SERVER")
    if pulse:
        return f"PulseAudio server {pulse}"
    runtime_dir = os.environ.get("XDG_RUNTIME_DIR")
    if runtime_dir:
        for socket in ("pulse/native", "pipewire-0"):
            if (Path(runtime_dir) / socket).exists():
                return f"sound server {Path(runtime_dir) / socket}"
    cards = Path("/proc/asound/cards")
    if cards.is_file():
        listing = cards.read_text().strip()
        if listing and "no soundcards" not in listing:
            return f"ALSA card {listing.splitlines()[0].strip()}"
    raise NoAudioDeviceError(
        "no audio device: /proc/asound/cards lists no sound card and no PulseAudio/PipeWire server is "
        "reachable (PULSE_SERVER, $XDG_RUNTIME_DIR/pulse/native); connect one, or set output:=wav to only "
        "write WAV files")
