"""Route the core's Python ``logging`` records to a node's rclpy logger (console, /rosout, log files)."""

from __future__ import annotations

import logging


class RclpyLogHandler(logging.Handler):
    def __init__(self, node_logger):
        super().__init__()
        self._logger = node_logger

    def emit(self, record: logging.LogRecord) -> None:
        message = self.format(record)
        # rclpy pins one severity per call site, hence one call per level.
        if record.levelno >= logging.ERROR:
            self._logger.error(message)
        elif record.levelno >= logging.WARNING:
            self._logger.warning(message)
        elif record.levelno >= logging.INFO:
            self._logger.info(message)
        else:
            self._logger.debug(message)


def bridge_core_logging(node) -> None:
    """Send ``lerobot_ros.*`` log records through ``node``'s logger."""
    core = logging.getLogger("lerobot_ros")
    core.handlers[:] = [RclpyLogHandler(node.get_logger())]
    core.setLevel(logging.INFO)
    core.propagate = False
