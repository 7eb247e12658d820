"""Speech through the real espeak-ng (the Debian package; .ci/run installs it): WAV files, queueing,
interruption, and a clear error where there is no audio device (as on CI machines)."""

from __future__ import annotations

import queue
import time
import wave

import pytest

from lerobot_ros.speech.audio_device import NoAudioDeviceError, find_audio_output
from lerobot_ros.speech.espeak import Speaker, SpeechConfig, SpeechError

LONG = "The quick brown fox jumps over the lazy dog. " * 2000  # several seconds of synthesis


def wav_seconds(path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def speaker(tmp_path, **config):
    done: queue.Queue = queue.Queue()
    s = Speaker(SpeechConfig(output="wav", wav_dir=str(tmp_path), **config), on_done=done.put)
    return s, done


def test_texts_are_written_to_wav_files_in_order(tmp_path):
    s, done = speaker(tmp_path, interrupt_on_new=False)
    try:
        s.say("Okay, I will fold the towel first.")
        s.say("Done.")
        first, second = done.get(timeout=20), done.get(timeout=20)
    finally:
        s.close()
    assert [u.text for u in (first, second)] == ["Okay, I will fold the towel first.", "Done."]
    assert first.completed and first.wav.name == "say-0000-okay-i-will-fold-the-towel-first.wav"
    assert 1.0 < wav_seconds(first.wav) < 6.0  # about 2 s of speech at 175 words per minute
    assert 0.1 < wav_seconds(second.wav) < wav_seconds(first.wav)
    assert sorted(p.name for p in tmp_path.iterdir()) == [first.wav.name, second.wav.name]


def test_a_newer_text_interrupts_and_no_partial_file_is_left(tmp_path):
    s, done = speaker(tmp_path)
    try:
        s.say(LONG)
        s.say("Stop.")
        cut, spoken = done.get(timeout=20), done.get(timeout=20)
    finally:
        s.close()
    assert not cut.completed and cut.wav is None and cut.error == ""
    assert spoken.completed and spoken.text == "Stop."
    assert [p.name for p in tmp_path.iterdir()] == [spoken.wav.name]
    assert s.interrupted == 1 and s.completed == 1


def test_stop_interrupts_and_drops_the_queue(tmp_path):
    s, done = speaker(tmp_path, interrupt_on_new=False)
    try:
        s.say(LONG)
        s.say("never said")
        assert s.stop() == 2
        results = [done.get(timeout=20), done.get(timeout=20)]
    finally:
        s.close()
    assert [(u.text[:5], u.completed) for u in results] == [("The q", False), ("never", False)]
    assert list(tmp_path.iterdir()) == []


def test_bad_voice_and_empty_text_are_clear_errors(tmp_path):
    with pytest.raises(SpeechError, match="voice 'nosuchvoice'"):
        Speaker(SpeechConfig(output="wav", wav_dir=str(tmp_path), voice="nosuchvoice"))
    s, _ = speaker(tmp_path)
    try:
        with pytest.raises(ValueError, match="empty"):
            s.say("  ")
    finally:
        s.close()


def test_without_an_audio_device_audio_output_is_refused_with_the_way_out(monkeypatch):
    # This machine has no sound card (no /proc/asound/cards); no sound server is reachable without these.
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")
    with pytest.raises(NoAudioDeviceError, match="output:=wav"):
        find_audio_output()
    with pytest.raises(NoAudioDeviceError):
        Speaker(SpeechConfig(output="audio"))


def test_auto_output_falls_back_to_wav_files_without_an_audio_device(monkeypatch, tmp_path):
    """policy.launch.py's default (issue 13): a robot computer without sound still speaks into files."""
    monkeypatch.delenv("PULSE_SERVER", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/nonexistent")
    try:
        find_audio_output()
        pytest.skip("this machine has an audio device")
    except NoAudioDeviceError:
        pass
    done = []
    speaker = Speaker(SpeechConfig(output="auto", wav_dir=str(tmp_path)), on_done=done.append)
    try:
        assert speaker.output == "wav" and speaker.audio_output is None and "no audio device" in speaker.fallback
        speaker.say("hello")
        deadline = time.monotonic() + 20
        while not done and time.monotonic() < deadline:
            time.sleep(0.05)
        assert done and done[0].completed and done[0].wav.is_file()
    finally:
        speaker.close()
