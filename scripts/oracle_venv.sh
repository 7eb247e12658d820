#!/usr/bin/env bash
# Create the LeRobot reference ("oracle") venv once, outside the clone, so every clone on this machine
# reuses it: lerobot 0.6.1 on Python 3.12 (lerobot >= 0.5 needs 3.12). The dataset interop tests run
# LeRobot's own reader and writer in it (tests/dataset/test_interop_lerobot.py).
# Idempotent: a marker file written after a successful install and import check makes reruns instant.
# A half-built venv (no marker) is removed and rebuilt.
set -euo pipefail
LEROBOT_VERSION=0.6.1
ORACLE_VENV=${LEROBOT_ORACLE_VENV:-$HOME/.cache/lerobot-oracle-$LEROBOT_VERSION}
MARKER="$ORACLE_VENV/.lerobot-oracle-ready"

# LeRobot's servo SDKs (its feetech and dynamixel extras): the units interop test runs LeRobot's own
# SO101Follower on our simulated bus. Added to a venv built before they were needed.
ensure_motor_sdks() {
  if ! "$ORACLE_VENV/bin/python" -c "import scservo_sdk, dynamixel_sdk" 2>/dev/null; then
    "$ORACLE_VENV/bin/pip" install -q "lerobot[dataset,feetech,dynamixel]==$LEROBOT_VERSION" \
      2> >(grep -v "is ignored: it is neither" >&2)
  fi
}

# LeRobot's pi extra (transformers 5.4-5.5, scipy): the pi0.5 equivalence test runs LeRobot's own
# PI05Policy (tests/policies/test_pi052_equivalence.py). Added to a venv built before it was needed.
ensure_pi_extra() {
  if ! "$ORACLE_VENV/bin/python" -c "import transformers, scipy" 2>/dev/null; then
    "$ORACLE_VENV/bin/pip" install -q "lerobot[dataset,feetech,dynamixel,pi]==$LEROBOT_VERSION" \
      2> >(grep -v "is ignored: it is neither" >&2)
  fi
}

if [ -f "$MARKER" ]; then
  ensure_motor_sdks
  ensure_pi_extra
  exit 0
fi

find_python312() {
  if [ -n "${ORACLE_PYTHON:-}" ]; then echo "$ORACLE_PYTHON"; return; fi
  if command -v pyenv >/dev/null 2>&1 && [ -x "$(pyenv root)/versions/3.12.1/bin/python" ]; then
    echo "$(pyenv root)/versions/3.12.1/bin/python"; return
  fi
  if command -v python3.12 >/dev/null 2>&1; then command -v python3.12; return; fi
  echo ""
}
PY312=$(find_python312)
if [ -z "$PY312" ]; then
  echo "oracle_venv: no Python 3.12 found (lerobot $LEROBOT_VERSION needs it); install one with" \
       "pyenv (pyenv install 3.12.1) or set ORACLE_PYTHON=/path/to/python3.12" >&2
  exit 1
fi

echo "oracle_venv: creating $ORACLE_VENV with lerobot[dataset,feetech,dynamixel,pi]==$LEROBOT_VERSION (about 3 min, 5.4 GB)"
rm -rf "$ORACLE_VENV"
"$PY312" -m venv "$ORACLE_VENV"
export PIP_DISABLE_PIP_VERSION_CHECK=1
if ! "$ORACLE_VENV/bin/pip" install -q "lerobot[dataset,feetech,dynamixel,pi]==$LEROBOT_VERSION" \
    2> >(grep -v "is ignored: it is neither" >&2); then
  echo "oracle_venv: pip could not install lerobot[dataset]==$LEROBOT_VERSION; check access to the" \
       "PyPI registry, then rerun scripts/oracle_venv.sh (or make oracle)" >&2
  rm -rf "$ORACLE_VENV"
  exit 1
fi
HF_HUB_OFFLINE=1 "$ORACLE_VENV/bin/python" -c \
  "from lerobot.datasets.lerobot_dataset import LeRobotDataset; import av, scservo_sdk, dynamixel_sdk, transformers"
touch "$MARKER"
echo "oracle_venv: $ORACLE_VENV ready"
