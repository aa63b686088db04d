"""Helpers the CLI tests share: run a command in process, read its one error line."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def run(*args):
    """``cropcast ARGS...`` in this process; arguments may be paths or numbers."""
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result) -> str:
    """The single line a failed command printed on stderr (never a traceback)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]
