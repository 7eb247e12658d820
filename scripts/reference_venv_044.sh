#!/usr/bin/env bash
# Create the LeRobot 0.4.4 reference venv once, outside the clone (~/.cache), so every clone on this
# machine reuses it: the last LeRobot release for Python 3.11. It is the second reference reader and
# writer for datasets (tests/dataset), LeRobot's own writer in benchmarks/record.py and convert.py,
# and the SmolVLA the numerical equivalence test compares our SmolVLA2 against (tests/policies).
# lerobot 0.4.4 pins torch<2.11, torchvision<0.26 and transformers<5: torch 2.9.1 + torchvision 0.24.1
# is a pair that imports together here. Idempotent through a marker written after an import check.
set -euo pipefail
LEROBOT_VERSION=0.4.4
REF_VENV=${LEROBOT_REF_VENV:-$HOME/.cache/lerobot-ref-$LEROBOT_VERSION}
MARKER="$REF_VENV/.lerobot-ref-ready"
PYTHON=${REF_PYTHON:-python3}

if [ -f "$MARKER" ]; then
  exit 0
fi
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
  echo "reference_venv_044: lerobot $LEROBOT_VERSION needs Python 3.11; set REF_PYTHON=/path/to/python3.11" >&2
  exit 1
fi

echo "reference_venv_044: creating $REF_VENV with lerobot[smolvla]==$LEROBOT_VERSION (about 5 min, 7 GB)"
rm -rf "$REF_VENV"
"$PYTHON" -m venv "$REF_VENV"
export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! "$REF_VENV/bin/pip" install -q torch==2.9.1 torchvision==0.24.1 \
      "lerobot[smolvla,feetech,dynamixel]==$LEROBOT_VERSION" \
      2> >(grep -v "is ignored: it is neither" >&2); then
  echo "reference_venv_044: pip could not install lerobot $LEROBOT_VERSION; check access to the PyPI" \
       "registry, then rerun scripts/reference_venv_044.sh (or make oracle)" >&2
  rm -rf "$REF_VENV"
  exit 1
fi
HF_HUB_OFFLINE=1 "$REF_VENV/bin/python" -c \
  "from lerobot.datasets.lerobot_dataset import LeRobotDataset; \
from lerobot.policies.smolvla.modeling_smolvla import SmolVLAPolicy; import av, torchvision"
touch "$MARKER"
echo "reference_venv_044: $REF_VENV ready"
