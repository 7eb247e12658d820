"""Runs ``lerobot-ros`` commands in this process, as a user would type them, and checks their errors.

``run_cli`` calls the real entry point (``lerobot_ros.cli.main.main``) with stdout and stderr
captured; an exception that escapes it is what the user would have seen as a traceback, so its
traceback is appended to ``err`` instead of failing the test elsewhere. ``assert_one_line_error``
is the CLI contract of issue 21: exit status non-zero, one line on stderr naming what it must name,
no traceback.
"""

from __future__ import annotations

import contextlib
import io
import traceback
from dataclasses import dataclass

from lerobot_ros.cli.main import main


@dataclass
class CliResult:
    status: int | str | None
    out: str
    err: str


def run_cli(*args: object) -> CliResult:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = main([str(a) for a in args])
        except SystemExit as exit_:  # argparse's usage errors
            status = exit_.code
        except BaseException:  # noqa: BLE001 - the user would see this traceback
            status = "raised"
            err.write(traceback.format_exc())
    return CliResult(status, out.getvalue(), err.getvalue())


def assert_one_line_error(result: CliResult, *must_name: str) -> str:
    """The error line, after checking: non-zero exit, no traceback, one line, naming ``must_name``."""
    assert "Traceback" not in result.err + result.out, result.err
    assert result.status not in (0, None, "raised"), (result.status, result.out, result.err)
    lines = [line for line in result.err.splitlines() if line.strip()]
    assert len(lines) == 1, result.err
    for text in must_name:
        assert str(text) in lines[0], (text, lines[0])
    return lines[0]
