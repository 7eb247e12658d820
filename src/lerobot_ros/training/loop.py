"""The training run: data, policy, AdamW + cosine schedule, bf16 autocast on CUDA, gradient clipping,
validation, checkpoints, resume, the JSON-lines log and the loss plot; DistributedDataParallel when
started by ``torchrun``.

Every micro-batch's forward pass runs under ``torch.manual_seed(micro_seed(seed, step, m))``, with
``m`` the micro-batch's global index within the step (``sampler.py``): the flow-matching noise and
time of a sample depend on the run's seed and position only, so a resumed run repeats the
uninterrupted one, and a run on N processes repeats a one-process run with N accumulation steps.
"""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel

from ..dataset import DatasetReader
from . import checkpoint as ckpt
from .batch import Collate, to_device
from .config import TrainConfig
from .dataset_check import check_trainable
from .distributed import Distributed, setup
from .metrics import RunLog
from .optim import make_optimizer, make_scheduler
from .policy_setup import build_policy, build_sample_pipeline
from .step_sampler import BatchLayout, StepSampler, micro_seed
from .sources import resolve_dataset

VAL_SEED_OFFSET = 7_777_777  # validation batches and noise: fixed for the whole run


@dataclass(frozen=True)
class TrainResult:
    output_dir: Path
    checkpoint: Path  # the last checkpoint folder; its pretrained_model/ is the trained policy
    step: int
    log: Path
    plot: Path


def train(config: TrainConfig) -> TrainResult:
    env = setup(config.device)
    try:
        return _Run(config, env).run()
    finally:
        env.close()


def with_every_parameter(loss: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
    """``loss`` plus zero times every parameter: the same value, and a (zero) gradient for each.

    A micro-batch of text-only samples leaves the action expert out of the graph, one without text
    targets the LM head; DistributedDataParallel would then wait for their gradients forever unless
    it searched the graph for unused parameters after every forward (find_unused_parameters, an
    extra traversal per step). Zeros instead keep the graph static; they cost one reduction and
    one addition per parameter, and the summed gradient is unchanged.
    """
    return loss + 0.0 * sum(param.sum() for param in params)


class _Run:
    def __init__(self, config: TrainConfig, env: Distributed):
        self.config = config
        self.env = env
        self.output_dir = Path(config.output_dir)
        self.resume_from = self._resume_checkpoint()
        if env.is_main:
            self.output_dir.mkdir(parents=True, exist_ok=True)
            config.save(self.output_dir)
            self.dataset_root = resolve_dataset(config.dataset)
            check_trainable(self.dataset_root)  # before the policy is built: no episodes, damaged files
        env.barrier()
        if not env.is_main:
            self.dataset_root = resolve_dataset(config.dataset)
        torch.manual_seed(config.seed)
        self.reader = DatasetReader(self.dataset_root)
        policy = build_policy(config, self.reader, self.resume_from)
        self.policy = policy.to(env.device)
        self.pipeline = build_sample_pipeline(config, self.reader, policy, self.resume_from, env)
        self.optim_config = config.optimizer_for(policy.config)
        self.optimizer = make_optimizer(self.policy, self.optim_config)
        self.scheduler = make_scheduler(self.optimizer, self.optim_config, config.steps)
        self.start_step = 0
        if self.resume_from is not None:
            self.start_step = ckpt.load_training_state(self.resume_from, self.optimizer, self.scheduler)
        self.model = self.policy
        self.trainable = [param for param in self.policy.parameters() if param.requires_grad]
        if env.enabled:
            ids = [env.device.index] if env.device.type == "cuda" else None
            # Every micro-batch gives every trainable parameter a gradient (with_every_parameter), so
            # DDP need not search the graph for unused parameters after each forward; gradients are
            # written straight into the all-reduce buckets. (static_graph=True would also fix the
            # bucket order, but torch's reducer rejects it when the first step accumulates under
            # no_sync, as --grad-accum does.)
            self.model = DistributedDataParallel(
                self.policy, device_ids=ids, find_unused_parameters=False, gradient_as_bucket_view=True,
                bucket_cap_mb=config.ddp_bucket_mb)
        if config.val_batches < env.world_size:
            raise ValueError(f"val_batches ({config.val_batches}) must be at least the number of processes "
                             f"({env.world_size}): each process validates its share of the batches")
        self.layout = BatchLayout(config.batch_size, config.grad_accum_steps, env.world_size, env.rank)
        self.log = RunLog(self.output_dir, self.start_step if self.resume_from else None) if env.is_main else None

    def _resume_checkpoint(self) -> Path | None:
        if not self.config.resume:
            if ckpt.last_checkpoint(self.output_dir) is not None:
                raise FileExistsError(f"{self.output_dir} already holds a run's checkpoints: continue it with "
                                      "--resume, or pick another --output-dir")
            return None
        found = ckpt.last_checkpoint(self.output_dir)
        if found is None:
            raise FileNotFoundError(f"--resume: no checkpoint in {self.output_dir / ckpt.CHECKPOINTS}; "
                                    "start without --resume")
        return found

    # --- data -------------------------------------------------------------------------------------

    def _loader(self, dataset, sampler, workers: int) -> torch.utils.data.DataLoader:
        return torch.utils.data.DataLoader(
            dataset, batch_size=self.config.batch_size, sampler=sampler, num_workers=workers,
            collate_fn=Collate(self.pipeline.chat, self.pipeline.spec.image_keys),
            pin_memory=self.env.device.type == "cuda", persistent_workers=False,
            prefetch_factor=4 if workers else None)

    def _autocast(self):
        enabled = self.env.device.type == "cuda" and self.config.bf16
        return torch.autocast(self.env.device.type, dtype=torch.bfloat16, enabled=enabled)

    # --- steps ------------------------------------------------------------------------------------

    def _train_step(self, step: int, batches) -> dict[str, float]:
        """One optimizer step over ``grad_accum_steps`` micro-batches; the mean loss parts."""
        self.model.train()
        parts: dict[str, float] = defaultdict(float)
        accum = self.config.grad_accum_steps
        for a in range(accum):
            batch = to_device(next(batches), self.env.device)
            torch.manual_seed(micro_seed(self.config.seed, step, self.layout.micro_index(a)))
            sync = a == accum - 1 or not self.env.enabled
            with (contextlib.nullcontext() if sync else self.model.no_sync()):
                with self._autocast():
                    loss, loss_parts = self.model(batch)
                if self.env.enabled:
                    loss = with_every_parameter(loss, self.trainable)
                (loss / accum).backward()
            for key, value in {"loss": float(loss.detach()), **loss_parts}.items():
                parts[key] += float(value) / accum
        grad_norm = torch.nn.utils.clip_grad_norm_(self.optimizer.param_groups[0]["params"],
                                                   self.optim_config.grad_clip_norm)
        parts["lr"] = self.optimizer.param_groups[0]["lr"]  # the rate this step used
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        parts["grad_norm"] = float(grad_norm)
        return parts

    @torch.no_grad()
    def validate(self) -> dict[str, float] | None:
        """Mean loss over ``val_batches`` fixed micro-batches of held-out episodes, with fixed noise.

        Micro-batch ``k`` (its samples and its seed depend on ``k`` only) runs on rank
        ``k % world_size``, so the number does not depend on the number of processes.
        """
        if self.pipeline.val is None:
            return None
        self.model.eval()
        seed = self.config.seed + VAL_SEED_OFFSET
        sampler = StepSampler(len(self.pipeline.val), BatchLayout(self.config.batch_size, 1, 1, 0), seed)
        mine = list(range(self.env.rank, self.config.val_batches, self.env.world_size))
        sums: dict[str, float] = defaultdict(float)
        for k in mine:
            loader = self._loader(self.pipeline.val, sampler.step_indices(k)[0], workers=0)
            torch.manual_seed(micro_seed(seed, k, 0))
            with self._autocast():
                loss, parts = self.policy(to_device(next(iter(loader)), self.env.device))
            for key, value in {"loss": float(loss), **parts}.items():
                sums[key] += float(value)
        keys = sorted(set(sums) | {"loss"})
        totals = self.env.sum(torch.tensor([sums[k] for k in keys], dtype=torch.float64, device=self.env.device))
        return dict(zip(keys, (totals / self.config.val_batches).tolist()))

    def save(self, step: int) -> None:
        if self.env.is_main:
            folder = ckpt.save_checkpoint(self.output_dir, step, self.policy, self.optimizer, self.scheduler,
                                          self.dataset_root, self.config.rename_map)
            self.pipeline.save_extras(folder / ckpt.PRETRAINED)
            self.log.plot()
        self.env.barrier()

    # --- the run ----------------------------------------------------------------------------------

    def run(self) -> TrainResult:
        from tqdm import tqdm

        config, env = self.config, self.env
        sampler = StepSampler(len(self.pipeline.train), self.layout, config.seed, self.start_step)
        batches = iter(self._loader(self.pipeline.train, sampler, config.num_workers))
        bar = tqdm(total=config.steps, initial=self.start_step, disable=not (env.is_main and config.progress),
                   desc="train", unit="step", dynamic_ncols=True)
        window: dict[str, float] = defaultdict(float)
        window_steps, window_start, run_start = 0, time.perf_counter(), time.perf_counter()
        for step in range(self.start_step, config.steps):
            parts = self._train_step(step, batches)
            last_lr = parts.pop("lr")
            for key, value in parts.items():
                window[key] += value
            window_steps += 1
            done = step + 1
            if done % config.log_every == 0 or done == config.steps:
                elapsed = time.perf_counter() - window_start
                keys = sorted(window)
                means = env.mean(torch.tensor([window[k] / window_steps for k in keys], dtype=torch.float64,
                                              device=env.device)).tolist()
                record = {"step": done, "split": "train", **dict(zip(keys, means)), "lr": last_lr,
                          "samples_per_s": window_steps * self.layout.global_batch / elapsed,
                          "elapsed_s": time.perf_counter() - run_start}
                if env.is_main:
                    self.log.write(record)
                    bar.set_postfix(loss=f"{record['loss']:.4f}", lr=f"{record['lr']:.2e}")
                window.clear()
                window_steps = 0
            if done % config.val_every == 0 or done == config.steps:
                val = self.validate()
                if val is not None and env.is_main:
                    self.log.write({"step": done, "split": "val", **val})
            if done % config.save_every == 0 or done == config.steps:
                self.save(done)
            if window_steps == 0:
                window_start = time.perf_counter()
            bar.update(1)
        bar.close()
        last = ckpt.last_checkpoint(self.output_dir)
        return TrainResult(self.output_dir, last, max(self.start_step, config.steps),
                           self.output_dir / "log.jsonl", self.output_dir / "loss_curves.png")
