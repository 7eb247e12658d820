"""teleop_node's /diagnostics levels: the leader arm's bus and the command stream to the follower."""

from __future__ import annotations

from ..health import Health, Level, first_problem
from .teleop_session import Phase, TeleopStatus


def leader_health(status: TeleopStatus, leader: str, port: str) -> Health:
    """ERROR while the leader is lost (the follower holds), WARN after failed reads."""
    return first_problem(
        (status.phase is Phase.FAULTED, Level.ERROR,
         f"{leader} on {port} not answering ({status.last_error}); follower stopped and holding"),
        (bool(status.leader_failures), Level.WARN, f"{leader}: communication errors; last: {status.last_error}"))


def stream_health(status: TeleopStatus, leader: str, follower_joint_states_topic: str) -> Health:
    """WARN while waiting for the follower, ERROR while the leader is lost; else the phase."""
    return first_problem(
        (status.phase is Phase.WAITING, Level.WARN, f"waiting for the follower's {follower_joint_states_topic}"),
        (status.phase is Phase.FAULTED, Level.ERROR, f"{leader} lost; follower holding"),
        ok=status.phase.value)
