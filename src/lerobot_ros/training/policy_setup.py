"""The policy to train and the sample pipeline that feeds it, from a ``TrainConfig`` and a dataset.

Two models train here (``TrainConfig.policy_type``): SmolVLA2 and PI052 (pi0.5 with a language
head). Three ways to get the policy: resume (the last checkpoint's ``pretrained_model``), fine-tune
(``policy_path``: a checkpoint folder or Hub id, e.g. a community SmolVLA or pi05 checkpoint, whose
language head is then switched on), or fresh (a config whose features are the dataset's, over the
VLM named by ``vlm``). Fresh and fine-tuned policies normalize with the dataset's ``meta/stats.json``.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..dataset import DatasetReader
from .checkpoint import PRETRAINED
from .config import TrainConfig
from .episodes import ACTION, STATE, EpisodeData, action_chunk, load_episodes
from .frames import FrameSource
from .samples import PolicyDataset, SampleSpec
from .split import split_episodes

log = logging.getLogger(__name__)

FAST_FOLDER = "fast_tokenizer"
FAST_FIT_CHUNKS = 4096  # action chunks the FAST BPE is trained on (spread over the dataset)


POLICY_TYPES = ("smolvla2", "pi052")
# config.json types each model loads: SmolVLA2Policy reads LeRobot's smolvla, PI052Policy its pi05.
CHECKPOINT_TYPES = {"smolvla2": ("smolvla", "smolvla2"), "pi052": ("pi05", "pi052")}
QUANTILES = ("q01", "q99")


def policy_class(policy_type: str):
    """The model class that trains as ``policy_type``."""
    if policy_type == "pi052":
        from ..policies.pi052 import PI052Policy

        return PI052Policy
    if policy_type == "smolvla2":
        from ..policies.smolvla2 import SmolVLA2Policy

        return SmolVLA2Policy
    raise ValueError(f"policy type {policy_type!r} is not one of {', '.join(POLICY_TYPES)}")


def checkpoint_policy_type(name_or_path: str | Path) -> str:
    """Which of our models loads a checkpoint, from its config.json type."""
    from ..policies.smolvla2.checkpoint import resolve_folder

    path = resolve_folder(name_or_path) / "config.json"
    kind = json.loads(path.read_text()).get("type") if path.is_file() else None
    for policy_type, kinds in CHECKPOINT_TYPES.items():
        if kind in kinds:
            return policy_type
    raise ValueError(f"{name_or_path}: policy type {kind!r} is none of the trainable ones "
                     f"({', '.join(t for kinds in CHECKPOINT_TYPES.values() for t in kinds)})")


def dataset_stats(reader: DatasetReader, min_state_std: float = 0.0) -> dict[str, dict[str, np.ndarray]]:
    """The policy's normalization statistics: the dataset's mean/std (and q01/q99, which pi0.5
    normalizes with) of state and action, with the state's spread raised to at least
    ``min_state_std`` (the q01..q99 span to twice that).

    A joint that never moved in the data has std ~0; LeRobot's (x - mean) / (std + 1e-8) then turns
    the joint's noise at run time (a servo's 1.5 mrad quantization) into inputs of ~1e5 that the
    policy never saw. With the floor such a joint stays near 0 after normalization, as in training.
    The action keeps its std: a constant action joint is predicted as its mean either way.
    """
    if reader.stats is None or STATE not in reader.stats or ACTION not in reader.stats:
        raise ValueError(f"{reader.root}: meta/stats.json lacks {STATE!r}/{ACTION!r} statistics; run "
                         f"`lerobot-ros dataset recompute-stats {reader.root}`")
    stats = {key: {name: np.asarray(reader.stats[key][name]) for name in ("mean", "std", *QUANTILES)
                   if name in reader.stats[key]} for key in (STATE, ACTION)}
    state_std = stats[STATE]["std"]
    low = np.flatnonzero(state_std < min_state_std)
    if len(low):
        names = reader.info.features[STATE].names or [str(i) for i in range(len(state_std))]
        log.warning("%s: %s barely moved in the data (std %s); normalizing with std %g instead", reader.root,
                    ", ".join(names[i] for i in low), ", ".join(f"{state_std[i]:.2g}" for i in low), min_state_std)
        stats[STATE]["std"] = np.maximum(state_std, min_state_std)
    if all(name in stats[STATE] for name in QUANTILES):
        low_q, high_q = stats[STATE]["q01"].astype(np.float64), stats[STATE]["q99"].astype(np.float64)
        middle, half = (low_q + high_q) / 2, np.maximum((high_q - low_q) / 2, min_state_std)
        stats[STATE]["q01"], stats[STATE]["q99"] = middle - half, middle + half
    return stats


def fresh_policy_config(config: TrainConfig, reader: DatasetReader):
    if config.policy_type == "pi052":
        from ..policies.pi052 import PI052Config as Config
    else:
        from ..policies.smolvla2 import SmolVLA2Config as Config

    features = reader.info.features
    cameras = list(features.video_keys)
    renamed = [config.rename_map.get(k, k) for k in cameras]
    settings = dict(
        image_features=renamed,
        image_shapes={new: [3, *features[old].shape[:2]] for old, new in zip(cameras, renamed)},
        state_dim=int(np.prod(features[STATE].shape)),
        action_dim=int(np.prod(features[ACTION].shape)),
        fps=reader.info.fps,
    )
    if config.vlm is not None:
        settings["vlm_model_name"] = config.vlm
    settings.update(config.policy_overrides)
    return Config(**settings)


def build_policy(config: TrainConfig, reader: DatasetReader, resume_from: Path | None):
    if resume_from is not None:
        return policy_class(config.policy_type).from_pretrained(resume_from / PRETRAINED)
    stats = dataset_stats(reader, config.min_state_std)
    if config.policy_path is not None:
        found = checkpoint_policy_type(config.policy_path)
        if found != config.policy_type:
            raise ValueError(f"{config.policy_path} is a {found} checkpoint: train it with --policy {found}")
        policy = policy_class(found).from_pretrained(config.policy_path)
        if found == "pi052":
            policy.enable_language_head()
            policy.config.fps = policy.config.fps or reader.info.fps
        for key, size in ((STATE, policy.config.state_dim), (ACTION, policy.config.action_dim)):
            if len(stats[key]["mean"]) != size:
                raise ValueError(f"{config.policy_path} has {key} of size {size}, the dataset "
                                 f"{len(stats[key]['mean'])}: fine-tune a checkpoint made for this robot, or "
                                 "train a fresh policy (--vlm)")
        policy.set_stats(stats)
        return policy
    return policy_class(config.policy_type)(fresh_policy_config(config, reader), dataset_stats=stats)


@dataclass
class SamplePipeline:
    chat: object  # ChatTokenizer
    spec: SampleSpec
    train: PolicyDataset
    val: PolicyDataset | None
    fast: object | None  # FastActionTokenizer when the FAST loss is on

    def save_extras(self, pretrained_dir: Path) -> None:
        """What the checkpoint needs beside ``save_pretrained``: the fitted FAST tokenizer."""
        if self.fast is not None:
            self.fast.save_pretrained(Path(pretrained_dir) / FAST_FOLDER)


def _fast_tokenizer(config: TrainConfig, policy, episodes: list[EpisodeData], mean, std, resume_from, env):
    """The FAST tokenizer: the checkpoint's when resuming or fine-tuning, otherwise fitted on the
    training episodes' normalized action chunks (by rank 0; the other ranks load its file)."""
    from ..policies.fast import FastActionTokenizer

    for folder in (resume_from and resume_from / PRETRAINED, config.policy_path):
        if folder is not None and (Path(folder) / FAST_FOLDER).is_dir():
            return FastActionTokenizer.from_pretrained(Path(folder) / FAST_FOLDER)
    fitted = Path(config.output_dir) / FAST_FOLDER
    if env.is_main:
        frames = [(ep, f) for ep in episodes for f in range(ep.length)]
        picks = np.linspace(0, len(frames) - 1, min(FAST_FIT_CHUNKS, len(frames))).round().astype(int)
        chunks = np.stack([(action_chunk(*frames[i], policy.config.chunk_size)[0] - mean) / std for i in picks])
        FastActionTokenizer(vocab_size=policy.config.fast_vocab_size).fit(chunks).save_pretrained(fitted)
    env.barrier()
    return FastActionTokenizer.from_pretrained(fitted)


def build_sample_pipeline(config: TrainConfig, reader: DatasetReader, policy, resume_from: Path | None,
                          env) -> SamplePipeline:
    from ..policies.chat import ChatTokenizer
    from ..policies.recipes import load_recipe, shipped_recipe_path

    recipe = load_recipe(config.recipe or shipped_recipe_path(f"{config.policy_type}_hirobot"))
    chat = ChatTokenizer(policy.tokenizer, policy.config.tokenizer_max_length)
    sources = {policy_key: dataset_key for dataset_key, policy_key in config.rename_map.items()}
    spec = SampleSpec(tuple(policy.config.image_features), policy.config.chunk_size, sources)
    train_ids, val_ids = split_episodes(reader.num_episodes, config.val_fraction, config.seed)
    episodes = load_episodes(reader)
    fast = None
    if getattr(policy.config, "enable_fast_action_loss", False):
        # The policy's own action normalization as (x - mean) / std, so FAST sees what it sees:
        # SmolVLA2's (x - mean) / (std + eps), PI052's quantiles as their middle and half span.
        if hasattr(policy, "action_affine"):
            center, scale = policy.action_affine()
        else:
            stats = policy.stats()[ACTION]
            center, scale = stats["mean"], stats["std"] + policy.normalizer.eps
        mean = center.cpu().numpy().astype(np.float32)
        std = scale.cpu().numpy().astype(np.float32)
        tokenizer = _fast_tokenizer(config, policy, [episodes[e] for e in train_ids], mean, std, resume_from, env)
        fast = (tokenizer, mean, std)
    frames = FrameSource(reader, config.frame_cache_mb)

    def dataset(ids: list[int]) -> PolicyDataset:
        return PolicyDataset([episodes[e] for e in ids], frames, recipe, chat, spec, reader.info.fps,
                             config.max_render_attempts, fast)

    return SamplePipeline(chat, spec, dataset(train_ids), dataset(val_ids) if val_ids else None,
                          fast[0] if fast else None)
