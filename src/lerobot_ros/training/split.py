"""Hold out whole episodes for validation: frames of one episode are near-copies of each other, so a
frame-level split would measure memorisation, not generalisation."""

from __future__ import annotations

import numpy as np


def split_episodes(num_episodes: int, val_fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, val) episode indices. At least one episode stays in training; with a non-zero
    fraction and two or more episodes, at least one is held out. The choice depends only on the
    seed, so a resumed run holds out the same episodes."""
    if num_episodes < 1:
        raise ValueError("the dataset has no episodes to train on")
    n_val = 0
    if val_fraction > 0 and num_episodes >= 2:
        n_val = min(max(1, round(num_episodes * val_fraction)), num_episodes - 1)
    order = np.random.default_rng(seed).permutation(num_episodes)
    val = sorted(int(e) for e in order[:n_val])
    train = sorted(int(e) for e in order[n_val:])
    return train, val
