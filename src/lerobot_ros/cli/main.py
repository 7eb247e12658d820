"""``lerobot-ros``: the entry point of every lerobot_ros command-line tool.

A subcommand is a module exposing ``NAME``, ``HELP``, ``add_arguments(parser)`` and
``run(args) -> int`` (the exit status); registering one means adding it to :data:`SUBCOMMANDS`.
A failure the user can cause ends in one line and exit status 1, never a traceback (``errors.py``).
Subcommand modules import heavy dependencies (rclpy, torch) inside ``run`` so that ``--help`` and
the other subcommands stay fast.
"""

from __future__ import annotations

import argparse
import sys
from types import ModuleType
from typing import Sequence

from . import calibrate, convert, dataset, errors, evaluate, export, record, replay, train

SUBCOMMANDS: tuple[ModuleType, ...] = (calibrate, dataset, record, train, evaluate, convert, export, replay)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lerobot-ros", description="LeRobot for ROS 2: command-line tools.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in SUBCOMMANDS:
        sub = commands.add_parser(module.NAME, help=module.HELP, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except Exception as error:
        if not errors.caused_by_user(error):
            raise
        return errors.report(error)


if __name__ == "__main__":
    sys.exit(main())
