"""Video shards with PyAV: encode an episode segment, append it to a shard by stream copy, cut a
shard back to a committed end, probe stream info, and decode an episode's frames.

Timing is exact by construction. A segment is encoded with frame ``i`` at pts ``i`` in 1/fps; the
mp4 muxer stores it in a finer time base (e.g. 1/10240 at 10 fps) where one frame is an integer
number of ticks. Appending shifts the segment's packets by the shard's end in ticks, so episode
``k`` of a shard starts exactly at ``from_timestamp = end of episode k-1`` and frame ``i`` of it is
at ``from_timestamp + i/fps``: the timestamps LeRobot's decoder looks up (tolerance 1e-4 s).
Packets are copied, never re-encoded, so earlier episodes decode bit for bit the same after every
append (LeRobot concatenates the same way).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

CODEC_ALIASES = {"av1": "libsvtav1", "h264": "libx264", "hevc": "libx265"}
LIBSVTAV1_DEFAULT_PRESET = 12


@dataclass(frozen=True)
class VideoEncoding:
    """Encoder settings; the defaults are LeRobot's (``RGBEncoderConfig``).

    ``codec`` is an FFmpeg encoder name: ``libsvtav1`` (LeRobot's default, AV1), ``libx264`` (much
    faster to encode; ``h264`` is accepted as an alias), ``libx265``. ``preset`` defaults to 12 for
    libsvtav1 and to the encoder's own default otherwise. For x264/x265 B-frames are turned off:
    with B-frames a segment's first decode timestamp is negative, which would overlap the previous
    episode's last one when segments are concatenated by stream copy.
    """

    codec: str = "libsvtav1"
    pix_fmt: str = "yuv420p"
    g: int | None = 2
    crf: int | None = 30
    preset: int | str | None = None
    fast_decode: int = 0
    extra_options: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        codec = CODEC_ALIASES.get(self.codec, self.codec)
        try:
            av.codec.Codec(codec, "w")
        except av.codec.codec.UnknownCodecError as err:
            raise ValueError(
                f"video codec {self.codec!r} has no encoder in this PyAV build; use libsvtav1 or libx264"
            ) from err
        object.__setattr__(self, "codec", codec)
        if self.preset is None and codec == "libsvtav1":
            object.__setattr__(self, "preset", LIBSVTAV1_DEFAULT_PRESET)

    @classmethod
    def from_info(cls, info: dict) -> VideoEncoding:
        """The encoding a video feature's ``info`` (as written in info.json) records."""
        return cls(
            codec=info.get("video.codec", "libsvtav1"),
            pix_fmt=info.get("video.pix_fmt", "yuv420p"),
            g=info.get("video.g"),
            crf=info.get("video.crf"),
            preset=info.get("video.preset"),
            fast_decode=info.get("video.fast_decode", 0),
            extra_options=info.get("video.extra_options") or {},
        )

    def codec_options(self) -> dict[str, str]:
        opts: dict[str, object] = {}
        if self.g is not None:
            opts["g"] = self.g
        if self.crf is not None:
            opts["crf"] = self.crf
        if self.preset is not None:
            opts["preset"] = self.preset
        if self.codec == "libsvtav1":
            opts["svtav1-params"] = f"fast-decode={max(0, min(2, self.fast_decode))}"
        elif self.codec in ("libx264", "libx265"):
            opts["bf"] = 0
            if self.fast_decode:
                opts["tune"] = "fastdecode"
        for key, value in self.extra_options.items():
            opts.setdefault(key, value)
        return {k: str(v) for k, v in opts.items()}

    def info(self) -> dict:
        """The keys LeRobot records in a video feature's ``info`` that the encoder decides
        (the stream's own probe adds size, fps and channels after the first episode)."""
        return {
            "video.codec": av.codec.Codec(self.codec, "w").canonical_name,
            "video.pix_fmt": self.pix_fmt,
            "video.g": self.g,
            "video.crf": self.crf,
            "video.preset": self.preset,
            "video.fast_decode": self.fast_decode,
            "video.video_backend": "pyav",
            "video.extra_options": dict(self.extra_options),
        }


def undo_realtime_scheduling() -> None:
    """Put every thread of this process back on normal (SCHED_OTHER) scheduling.

    SVT-AV1 (libsvtav1, LeRobot's default encoder), run as root, as in many robot containers,
    switches its threads and the thread that opened it to SCHED_FIFO priority 99. A recorder would
    then busy-starve the machine, and every process it starts (nodes, tests) would inherit real-time
    priority. Called once the encoder is open and again after it is flushed.
    """
    if not hasattr(os, "sched_setscheduler"):
        return
    normal = os.sched_param(0)
    for entry in os.listdir("/proc/self/task"):
        tid = int(entry)
        try:
            if os.sched_getscheduler(tid) != os.SCHED_OTHER:
                os.sched_setscheduler(tid, os.SCHED_OTHER, normal)
        except ProcessLookupError:  # the thread ended while we looked
            continue


class SegmentEncoder:
    """Encodes one episode of one camera into its own mp4, frame by frame as frames arrive."""

    def __init__(self, path: Path, fps: int, height: int, width: int, encoding: VideoEncoding):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._container = av.open(str(path), "w")
        self._stream = self._container.add_stream(encoding.codec, rate=fps, options=encoding.codec_options())
        self._stream.pix_fmt = encoding.pix_fmt
        self._stream.width = width
        self._stream.height = height
        self._stream.time_base = Fraction(1, fps)
        self._time_base = Fraction(1, fps)
        self.frames = 0

    def add(self, frame: np.ndarray) -> None:
        video_frame = av.VideoFrame.from_ndarray(frame, format="rgb24")
        video_frame.pts = self.frames
        video_frame.time_base = self._time_base
        for packet in self._stream.encode(video_frame):
            self._container.mux(packet)
        if self.frames == 0:  # the codec (and its threads) opened on this first frame
            undo_realtime_scheduling()
        self.frames += 1

    def close(self) -> None:
        """Flush the encoder and write the mp4 trailer."""
        for packet in self._stream.encode(None):
            self._container.mux(packet)
        self._container.close()
        undo_realtime_scheduling()

    def abort(self) -> None:
        self._container.close()
        self.path.unlink(missing_ok=True)


@dataclass(frozen=True)
class Appended:
    """Where an appended segment landed in its shard, in seconds."""

    from_timestamp: float
    to_timestamp: float


def _copy_packets(src: Path, out: av.container.OutputContainer, out_stream, offset: int,
                  end_ticks: int | None = None) -> int:
    """Remux ``src``'s video packets into ``out`` shifted by ``offset`` ticks; return the end tick.

    With ``end_ticks`` set, packets at or after it (in ``src``'s own ticks) are dropped.
    """
    end = offset
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        if stream.time_base != out_stream.time_base:
            raise ValueError(
                f"{src}: time base {stream.time_base} differs from the shard's {out_stream.time_base}; "
                "all episodes of a shard must be encoded at the same fps"
            )
        for packet in container.demux(stream):
            if packet.dts is None:
                continue
            if end_ticks is not None and packet.pts >= end_ticks:
                break
            packet.pts += offset
            packet.dts += offset
            end = max(end, packet.pts + packet.duration)
            packet.stream = out_stream
            out.mux(packet)
    return end


def _open_output(path: Path, template: Path):
    out = av.open(str(path), "w", format="mp4", options={"movflags": "faststart"})
    with av.open(str(template)) as container:
        stream = container.streams.video[0]
        out_stream = out.add_stream_from_template(stream, opaque=True)
        out_stream.time_base = stream.time_base
    return out, out_stream


def concatenate(shard: Path | None, segment: Path, out_path: Path, shard_end_s: float) -> Appended:
    """Write ``shard`` (if any) followed by ``segment`` to ``out_path`` by stream copy.

    ``shard_end_s`` is the committed end of ``shard`` (the last episode's ``to_timestamp``): the
    segment starts there, whatever the file's own length says.
    """
    out, out_stream = _open_output(out_path, shard or segment)
    tb = out_stream.time_base
    try:
        offset = 0
        if shard is not None:
            offset = round(Fraction(shard_end_s) / tb)
            _copy_packets(shard, out, out_stream, 0, end_ticks=offset)
        end = _copy_packets(segment, out, out_stream, offset)
    finally:
        out.close()
    return Appended(float(offset * tb), float(end * tb))


def truncate(shard: Path, end_s: float, out_path: Path) -> None:
    """Copy ``shard`` to ``out_path`` without the packets at or after ``end_s`` (a crash's tail)."""
    out, out_stream = _open_output(out_path, shard)
    try:
        _copy_packets(shard, out, out_stream, 0, end_ticks=round(Fraction(end_s) / out_stream.time_base))
    finally:
        out.close()


def duration_s(path: Path) -> float:
    """End of the last frame of the file's video stream, in seconds."""
    end = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for packet in container.demux(stream):
            if packet.dts is not None:
                end = max(end, packet.pts + packet.duration)
        return float(end * stream.time_base)


def stream_info(path: Path) -> dict:
    """The stream-derived keys of a video feature's ``info`` (LeRobot's ``get_video_info``)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        return {
            "video.height": stream.height,
            "video.width": stream.width,
            "video.codec": stream.codec_context.codec.canonical_name,
            "video.pix_fmt": stream.codec_context.pix_fmt,
            "video.fps": int(stream.base_rate),
            "video.channels": 3,
            "has_audio": bool(container.streams.audio),
        }


def decode_frames(path: Path, from_s: float, count: int, fps: int) -> np.ndarray:
    """Decode ``count`` frames starting at ``from_s`` in ``path``: (count, H, W, 3) uint8 RGB.

    Raises ValueError if the file does not hold exactly one frame at each ``from_s + i/fps``.
    """
    frames: list[np.ndarray] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = stream.time_base
        start = round(Fraction(from_s) / tb)
        step = Fraction(1, fps) / tb
        if step.denominator != 1:
            raise ValueError(f"{path}: time base {tb} cannot represent {fps} fps frames exactly")
        stop = start + count * int(step)
        container.seek(start, backward=True, any_frame=False, stream=stream)
        for frame in container.decode(stream):
            if frame.pts is None or frame.pts < start:
                continue
            if frame.pts >= stop:
                break
            expected = start + len(frames) * int(step)
            if frame.pts != expected:
                raise ValueError(f"{path}: frame at tick {frame.pts}, expected {expected} (a missing frame)")
            frames.append(frame.to_ndarray(format="rgb24"))
    if len(frames) != count:
        raise ValueError(f"{path}: {len(frames)} frames from {from_s:.4f} s, expected {count}")
    return np.stack(frames)
