"""Speak queued texts with espeak-ng, interruptibly, optionally writing each one to a WAV file.

One worker thread runs one espeak-ng process at a time. A newer text interrupts the one being
spoken (``interrupt_on_new``; otherwise texts wait their turn), and :meth:`Speaker.stop` interrupts
and empties the queue: the process is terminated, so speech stops within milliseconds. WAV files
are written under a temporary name and renamed when complete, so a file that exists is whole.
"""

from __future__ import annotations

import collections
import logging
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .audio_device import NoAudioDeviceError, find_audio_output

log = logging.getLogger(__name__)

OUTPUTS = ("audio", "wav", "both", "auto")


class SpeechError(RuntimeError):
    """espeak-ng is missing or refused a text (bad voice, unwritable WAV folder)."""


@dataclass(frozen=True)
class SpeechConfig:
    # audio: the sound device; wav: files only (no device needed); both; auto: audio when a device is
    # found, else wav (policy.launch.py's default: a robot computer without sound still runs the policy)
    output: str = "audio"
    wav_dir: str = ""  # where WAV files go (output wav, both or auto); empty: <temp dir>/lerobot_ros_speech
    voice: str = "en"
    words_per_minute: int = 175
    amplitude: int = 100  # 0..200
    interrupt_on_new: bool = True
    executable: str = "espeak-ng"

    def __post_init__(self) -> None:
        if self.output not in OUTPUTS:
            raise ValueError(f"speech output {self.output!r}: choose one of {', '.join(OUTPUTS)}")
        if self.output != "audio" and not self.wav_dir:  # the machine's temp folder, not a fixed path
            object.__setattr__(self, "wav_dir", str(Path(tempfile.gettempdir()) / "lerobot_ros_speech"))


@dataclass(frozen=True)
class Utterance:
    """What became of one text: spoken/written in full, or interrupted; ``wav`` when one was written."""

    index: int
    text: str
    completed: bool
    wav: Path | None = None
    error: str = ""


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "speech"


class Speaker:
    """Checks espeak-ng (and the audio device unless output is wav) at construction."""

    def __init__(self, config: SpeechConfig, on_done: Callable[[Utterance], None] = lambda u: None):
        self.config = config
        self._on_done = on_done
        self.executable = shutil.which(config.executable)
        if self.executable is None:
            raise SpeechError(f"{config.executable} not found: install the Debian package espeak-ng "
                              "(apt-get install espeak-ng)")
        self.output = config.output  # auto resolved: audio, wav or both
        self.fallback = ""  # why auto fell back to WAV files
        if config.output == "auto":
            try:
                self.audio_output = find_audio_output()
                self.output = "audio"
            except NoAudioDeviceError as err:
                self.audio_output, self.output, self.fallback = None, "wav", str(err)
        else:
            self.audio_output = find_audio_output() if config.output != "wav" else None
        if self.output != "audio":
            Path(config.wav_dir).mkdir(parents=True, exist_ok=True)
        self._check_voice()
        self._lock = threading.Lock()
        self._queue: collections.deque[tuple[int, str]] = collections.deque()
        self._wake = threading.Condition(self._lock)
        self._process: subprocess.Popen | None = None
        self._current = -1
        self._interrupted: set[int] = set()
        self._count = 0
        self._closing = False
        self.completed = 0
        self.interrupted = 0
        self._thread = threading.Thread(target=self._run, name="speech", daemon=True)
        self._thread.start()

    def _check_voice(self) -> None:
        result = subprocess.run([self.executable, "-v", self.config.voice, "-w", os.devnull, "x"],
                                capture_output=True, text=True, timeout=10)
        if result.returncode != 0:
            raise SpeechError(f"espeak-ng voice {self.config.voice!r}: {result.stderr.strip() or result.stdout.strip()}"
                              " (list the voices with espeak-ng --voices)")

    def say(self, text: str) -> int:
        """Queue ``text``; returns its index. With ``interrupt_on_new`` it replaces what is playing."""
        text = " ".join(text.split())
        if not text:
            raise ValueError("nothing to say: the text is empty")
        with self._lock:
            if self.config.interrupt_on_new:
                self._interrupt_locked()
            index = self._count
            self._count += 1
            self._queue.append((index, text))
            self._wake.notify()
        return index

    def stop(self) -> int:
        """Interrupt what is playing and drop the queue; returns how many texts were cut or dropped."""
        with self._lock:
            return self._interrupt_locked()

    def _interrupt_locked(self) -> int:
        # Queued texts stay queued, marked: the worker reports each as interrupted without speaking it.
        dropped = sum(index not in self._interrupted for index, _ in self._queue)
        self._interrupted.update(index for index, _ in self._queue)
        if self._process is not None and self._process.poll() is None:
            self._interrupted.add(self._current)
            self._process.terminate()
            dropped += 1
        return dropped

    def close(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            self._closing = True
            self._interrupt_locked()
            self._wake.notify()
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._queue and not self._closing:
                    self._wake.wait()
                if self._closing:
                    return
                index, text = self._queue.popleft()
            self._on_done(self._speak(index, text))

    def _speak(self, index: int, text: str) -> Utterance:
        base = [self.executable, "-v", self.config.voice, "-s", str(self.config.words_per_minute),
                "-a", str(self.config.amplitude), "--stdin"]
        wav = None
        if self.output != "audio":
            wav = Path(self.config.wav_dir) / f"say-{index:04d}-{_slug(text)}.wav"
            partial = wav.with_name(f".partial-{wav.name}")
            error = self._run_espeak(index, base + ["-w", str(partial)], text)
            if index in self._interrupted or error:
                partial.unlink(missing_ok=True)
                return self._finish(index, text, False, None, error)
            os.replace(partial, wav)
        if self.output != "wav":
            error = self._run_espeak(index, base, text)
            if index in self._interrupted or error:
                return self._finish(index, text, False, wav, error)
        return self._finish(index, text, True, wav, "")

    def _run_espeak(self, index: int, command: list[str], text: str) -> str:
        """Run one espeak-ng process (terminated by an interruption); returns its error, if any."""
        with self._lock:
            if index in self._interrupted:
                return ""
            self._current = index
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                             stderr=subprocess.PIPE, text=True)
            process = self._process
        _, stderr = process.communicate(text)
        with self._lock:
            self._process = None
        if index in self._interrupted:
            return ""
        if process.returncode != 0 or stderr.strip():
            return f"espeak-ng failed (exit {process.returncode}): {stderr.strip()}"
        return ""

    def _finish(self, index: int, text: str, completed: bool, wav: Path | None, error: str) -> Utterance:
        with self._lock:
            self._interrupted.discard(index)
            if completed:
                self.completed += 1
            elif not error:
                self.interrupted += 1
        if error:
            log.error("say %r: %s", text[:80], error)
        return Utterance(index, text, completed, wav, error)
