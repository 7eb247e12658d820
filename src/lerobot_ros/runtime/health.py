"""policy_node's /diagnostics level: the model, its inputs, the operator's heartbeat, generated text."""

from __future__ import annotations

from typing import Sequence

from ..health import Health, Level, first_problem

STALE_ERROR_S = 1.0  # an input stale for longer than this raises the level from WARN to ERROR


def runtime_health(mode: str, failure: BaseException | None, stale: Sequence[str], stale_for_s: float,
                   heartbeat_stale: bool, last_rejected: str | None) -> Health:
    """``stale``: a description of each input the policy cannot use now (the arm holds), stale for
    ``stale_for_s`` past its limit; ``heartbeat_stale``: running without the operator's heartbeat;
    ``last_rejected``: the latest generated text that was rejected, if any."""
    return first_problem(
        (failure is not None, Level.ERROR, f"model failed: {failure}"),
        (bool(stale) and stale_for_s > STALE_ERROR_S, Level.ERROR, "; ".join(stale) + ": the arm holds"),
        (bool(stale), Level.WARN, "; ".join(stale) + ": the arm holds"),
        (heartbeat_stale, Level.WARN, "operator heartbeat stale: the arm holds"),
        (last_rejected is not None, Level.WARN, f"rejected generated text: {last_rejected}"),
        ok=mode)
