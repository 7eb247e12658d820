"""Train a tiny SmolVLA2 or PI052 on a dataset folder in a minute or two on a CPU: for end-to-end
tests and ``make demo``, which need a real checkpoint of the real model class but cannot download one.

The tiny VLM (``policies/smolvla2/tiny.py``, ``policies/pi052/tiny.py``) gets a tokenizer trained on
the dataset's own tasks and language rows, so its prompts take few tokens.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ..dataset import DatasetReader
from .checkpoint import PRETRAINED
from .config import OptimizerConfig, TrainConfig
from .episodes import load_episodes

TINY_LR = 3e-3  # a tiny model trained for a few hundred steps needs a far larger step than SmolVLA2


def dataset_corpus(root: Path) -> list[str]:
    """Every task and language text of the dataset, for the tiny tokenizer's training text."""
    reader = DatasetReader(root)
    corpus = list(reader.tasks.tasks)
    for episode in load_episodes(reader).values():
        for row in [*episode.persistent, *(r for rows in episode.events.values() for r in rows)]:
            if row.content:
                corpus.append(row.content)
            for call in row.tool_calls:
                corpus.append(str(call.get("function", {}).get("arguments", {}).get("text", "")))
    return corpus


def tiny_policy_overrides(vlm_folder: Path, policy_type: str = "smolvla2", **overrides) -> dict:
    """The fields where the model's ``tiny_config`` differs from its default config (features excluded)."""
    from ..policies.config_json import FEATURE_FIELDS

    if policy_type == "pi052":
        from ..policies.pi052 import PI052Config as Config
        from ..policies.pi052 import tiny_config
    else:
        from ..policies.smolvla2 import SmolVLA2Config as Config
        from ..policies.smolvla2 import tiny_config

    tiny = tiny_config(vlm_folder, state_dim=1, action_dim=1, cameras=[], **overrides)
    default = Config()
    dataset_fields = {*FEATURE_FIELDS, "fps", "vlm_model_name"}  # set from the dataset and --vlm
    return {f.name: getattr(tiny, f.name) for f in dataclasses.fields(tiny)
            if f.name not in dataset_fields and getattr(tiny, f.name) != getattr(default, f.name)}


def tiny_train_config(dataset: str | Path, output_dir: str | Path, *, steps: int = 300, batch_size: int = 8,
                      lr: float = TINY_LR, chunk_size: int = 10, policy_type: str = "smolvla2",
                      **fields) -> TrainConfig:
    """A ``TrainConfig`` for a tiny model on ``dataset`` (its VLM written to ``output_dir/tiny_vlm``)."""
    if policy_type == "pi052":
        from ..policies.pi052 import write_tiny_paligemma as write_tiny
    else:
        from ..policies.smolvla2 import write_tiny_vlm as write_tiny

    output_dir = Path(output_dir)
    vlm = write_tiny(output_dir / "tiny_vlm", corpus=dataset_corpus(Path(dataset)))
    settings = dict(
        dataset=str(dataset), output_dir=str(output_dir), vlm=str(vlm), policy_type=policy_type,
        policy_overrides=tiny_policy_overrides(vlm, policy_type, chunk_size=chunk_size, n_action_steps=chunk_size),
        steps=steps, batch_size=batch_size, num_workers=0, val_every=max(steps // 2, 1), val_batches=2,
        log_every=10, save_every=steps, device="cpu", progress=False,
        optimizer=OptimizerConfig(lr=lr, warmup_steps=steps // 10, decay_steps=steps, decay_lr=lr / 10,
                                  auto_scale_schedule=False),
    )
    settings.update(fields)
    return TrainConfig(**settings)


def train_tiny_checkpoint(dataset: str | Path, output_dir: str | Path, **options) -> Path:
    """Train a tiny SmolVLA2 (or PI052: ``policy_type="pi052"``) on ``dataset``; returns the checkpoint folder ``from_pretrained`` loads.

    ``output_dir`` must not hold an earlier run's checkpoints (the run would refuse to mix into it).

    ``options`` go to :func:`tiny_train_config` (``steps``, ``batch_size``, ``lr``, ``chunk_size``,
    ``policy_type`` or any ``TrainConfig`` field).
    """
    from .loop import train

    result = train(tiny_train_config(dataset, output_dir, **options))
    return result.checkpoint / PRETRAINED
