"""Training SmolVLA2 on LeRobotDataset v3.0 folders (docs/training.md).

``train(TrainConfig(...))`` runs a training (one process, or every process of a ``torchrun``);
``train_tiny_checkpoint(folder, out)`` trains a tiny model quickly for end-to-end tests and demos.
The modules, in data order: ``sources`` (folder or Hub id), ``episodes`` (numeric columns and
language rows), ``frames`` (decoded camera frames), ``samples`` (the torch Dataset: recipe + chat
tokenizer), ``batch`` (collate, device), ``sampler`` (who trains on what, per step), ``split``
(validation episodes), ``policy_setup``, ``optim``, ``checkpoint``, ``metrics``, ``distributed``,
``loop``.
"""

from .config import OptimizerConfig, TrainConfig
from .loop import TrainResult, train
from .quick import tiny_train_config, train_tiny_checkpoint

__all__ = ["OptimizerConfig", "TrainConfig", "TrainResult", "tiny_train_config", "train", "train_tiny_checkpoint"]
