"""Which samples each process trains on, as a pure function of (seed, step): resumable and
independent of how many processes share the work.

All processes read one global stream of sample indices: epoch ``e`` is a permutation of the
dataset seeded with ``seed + e``, its indices offset by ``e * len`` (so the recipe sees a new index
each epoch, see ``samples.py``). Optimizer step ``s`` takes the global batch at positions
``[s*G, (s+1)*G)`` with ``G = batch_size * grad_accum * world_size``, cut into micro-batches of
``batch_size``; micro-batch ``m = a * world_size + rank`` goes to ``rank`` as its ``a``-th
accumulation step. One process with ``grad_accum = world_size`` therefore sees exactly the
micro-batches of a ``world_size``-process run, which is what makes their loss curves comparable,
and a resumed run starts at its step without reading the batches before it. (torch's
``DistributedSampler`` splits each epoch by rank and cannot start mid-epoch, so it gives neither.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class BatchLayout:
    batch_size: int  # per micro-batch
    grad_accum: int
    world_size: int
    rank: int

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.grad_accum * self.world_size

    def micro_index(self, accum_step: int) -> int:
        """The global index of this rank's ``accum_step``-th micro-batch within an optimizer step."""
        return accum_step * self.world_size + self.rank


class StepSampler(torch.utils.data.Sampler[int]):
    """Endless per-rank indices from optimizer step ``start_step`` on, micro-batch after micro-batch."""

    def __init__(self, length: int, layout: BatchLayout, seed: int, start_step: int = 0):
        if length < 1:
            raise ValueError("cannot sample from an empty dataset")
        self.length = length
        self.layout = layout
        self.seed = seed
        self.start_step = start_step
        self._perm_epoch = -1
        self._perm = np.empty(0, dtype=np.int64)

    def position(self, p: int) -> int:
        epoch, offset = divmod(p, self.length)
        if epoch != self._perm_epoch:
            self._perm = np.random.default_rng(self.seed + epoch).permutation(self.length)
            self._perm_epoch = epoch
        return int(self._perm[offset]) + epoch * self.length

    def step_indices(self, step: int) -> list[list[int]]:
        """This rank's micro-batches (lists of sample indices) at optimizer step ``step``."""
        layout = self.layout
        out = []
        for a in range(layout.grad_accum):
            first = step * layout.global_batch + layout.micro_index(a) * layout.batch_size
            out.append([self.position(p) for p in range(first, first + layout.batch_size)])
        return out

    def __iter__(self) -> Iterator[int]:
        step = self.start_step
        while True:
            for micro in self.step_indices(step):
                yield from micro
            step += 1


def micro_seed(seed: int, step: int, micro_index: int) -> int:
    """The torch seed of one micro-batch's forward pass (flow-matching noise and time)."""
    return (seed * 1_000_003 + step * 1009 + micro_index) % (2**63 - 1)
