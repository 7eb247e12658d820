"""What training checks of its dataset before building a policy: that it has episodes, and that
every file reads.

Without it a dataset with no episodes failed on its (absent) statistics, with a fix that does not
help, and a truncated data file failed as a pyarrow traceback (issue 21). Reading every data row
and demuxing every video packet (``check_dataset(decode=False)``) costs a few seconds for a dataset
of fifty episodes, nothing next to a training run; decoding every frame is left to ``dataset check``.
"""

from __future__ import annotations

from pathlib import Path

from ..dataset import check_dataset
from ..dataset.info import DatasetDamagedError


class NothingToTrainError(ValueError):
    """The dataset has no episodes."""


def check_trainable(root: Path) -> None:
    """Raise DatasetDamagedError (damaged files) or NothingToTrainError (no episodes), naming the fix."""
    found = check_dataset(root, decode=False)
    if not found.healthy:
        raise DatasetDamagedError(
            f"{root} is damaged ({len(found.problems)} problems; the first: {found.problems[0]}): see them with "
            f"`lerobot-ros dataset check {root}`, then set the damaged episodes aside with "
            f"`lerobot-ros dataset repair {root} --apply`")
    if not found.records:
        raise NothingToTrainError(f"{root} has no episodes (nothing to train on): record some with lerobot-ros "
                                  "record or convert bags with lerobot-ros convert first")
