"""With ``enable_fast_action_loss`` the run fits a FAST tokenizer on the training chunks, trains the
FAST loss, and ships the tokenizer in every checkpoint; its tokens encode the chunk exactly as the
policy normalizes it."""

from __future__ import annotations

import json

import numpy as np

from lerobot_ros.dataset import DatasetReader
from lerobot_ros.policies.fast import FastActionTokenizer
from lerobot_ros.policies.smolvla2 import SmolVLA2Policy
from lerobot_ros.training import tiny_train_config, train
from lerobot_ros.training.checkpoint import PRETRAINED
from lerobot_ros.training.distributed import setup
from lerobot_ros.training.policy_setup import FAST_FOLDER, build_sample_pipeline


def test_fast_tokens_follow_the_policy_normalization(annotated_dataset, tmp_path):
    config = tiny_train_config(annotated_dataset, tmp_path / "run", steps=4, log_every=1, val_every=4)
    config.policy_overrides["enable_fast_action_loss"] = True
    result = train(config)

    records = [json.loads(line) for line in result.log.read_text().splitlines()]
    assert len(records) == 5 and all(r["fast_loss"] > 0 for r in records)
    saved = result.checkpoint / PRETRAINED / FAST_FOLDER
    policy = SmolVLA2Policy.from_pretrained(result.checkpoint / PRETRAINED)
    pipeline = build_sample_pipeline(config, DatasetReader(annotated_dataset), policy, result.checkpoint, setup("cpu"))
    assert pipeline.fast is not None
    tokenizer = FastActionTokenizer.from_pretrained(saved)
    chunk = policy.config.chunk_size
    bound = 0.5 * np.sqrt(chunk) / tokenizer.config.scale  # FAST's rounding error per dimension (L2)
    for index in (0, 17, 33):
        sample = pipeline.train[index]
        normalized = policy.normalizer.normalize("action", sample["action"]).numpy()
        decoded = tokenizer.decode(sample["action.fast_tokens"], chunk, policy.config.action_dim)
        assert np.linalg.norm(decoded - normalized, axis=0).max() <= bound + 1e-6
