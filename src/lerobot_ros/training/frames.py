"""Camera frames for training samples, decoded with PyAV through ``dataset/video.py``.

Decoding one frame costs a seek to the previous keyframe and a few frame decodes (LeRobot's GOP of
2 makes that cheap), decoding a whole episode costs its length in decodes but serves every later
sample of that episode from memory. So: when every decoded frame of the dataset fits in
``cache_mb`` (per loader worker), whole episodes are decoded on first use and kept (LRU); when it
does not, a random sample would almost never hit the cache, and each sample decodes just its frame.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from ..dataset import DatasetReader
from ..dataset.layout import video_file
from ..dataset.video import decode_frames


class FrameSource:
    def __init__(self, reader: DatasetReader, cache_mb: int):
        self.reader = reader
        self.video_keys = list(reader.info.features.video_keys)
        self.budget = cache_mb * 1024 * 1024
        self.cache_whole_episodes = self.dataset_bytes() <= self.budget
        self._cache: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
        self._cached_bytes = 0

    def dataset_bytes(self) -> int:
        per_frame = sum(int(np.prod(self.reader.info.features[key].shape)) for key in self.video_keys)
        return per_frame * self.reader.num_frames

    def frame(self, episode: int, frame_index: int, key: str) -> np.ndarray:
        """Frame ``frame_index`` of ``episode`` from camera ``key``: (H, W, 3) uint8 RGB."""
        if self.cache_whole_episodes:
            return self._episode(episode, key)[frame_index]
        record = self.reader.episodes[episode]
        span = record.videos[key]
        fps = self.reader.info.fps
        path = video_file(self.reader.root, key, span.slot)
        return decode_frames(path, span.from_timestamp + frame_index / fps, 1, fps)[0]

    def _episode(self, episode: int, key: str) -> np.ndarray:
        frames = self._cache.get((episode, key))
        if frames is not None:
            self._cache.move_to_end((episode, key))
            return frames
        frames = self.reader.video_frames(episode, key)
        self._cache[(episode, key)] = frames
        self._cached_bytes += frames.nbytes
        while self._cached_bytes > self.budget and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached_bytes -= dropped.nbytes
        return frames
