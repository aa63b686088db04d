"""Reading and cleaning tell how far they are; the command line shows it on a terminal."""

from __future__ import annotations

import io
import time

import pandas as pd
import pytest
from rich.console import Console

from forecast.clean import clean
from forecast.commands import status
from forecast.errors import InputError
from forecast.io import read_prices
from forecast.progress import listening


def _price_file(tmp_path, rows: int = 24):
    path = tmp_path / "prices.csv"
    lines = ["date,commodity,market,price_type,unit,currency,price"]
    lines += [
        f"20{10 + i // 12}-{i % 12 + 1:02d}-01,Rice,An Giang,Retail,kg,VND,{8000 + 10 * i}"
        for i in range(rows)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_reading_and_cleaning_tell_each_step_in_order_and_when_they_are_over(tmp_path):
    heard: list[str] = []
    with listening(heard.append):
        clean(read_prices(_price_file(tmp_path)))
    assert heard[:2] == ["reading prices.csv", ""]
    steps = [line for line in heard[2:] if line]
    assert steps[0].startswith("cleaning prices.csv: ") and steps[0].endswith("(1 of 15)")
    assert any(": outliers (" in line for line in steps)
    assert [int(line.split("(")[-1].split()[0]) for line in steps[:-1]] == list(range(1, 16))
    assert heard[-1] == ""  # over: the status line goes
    heard.clear()
    clean(read_prices(_price_file(tmp_path)))
    assert heard == []  # nobody listening: told nobody


def test_cleaning_that_fails_still_says_it_is_over(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "date,commodity,market,price_type,unit,currency,price\n"
        "2020-01-01,Rice,A,Retail,kg,VND,free\n",
        encoding="utf-8",
    )
    heard: list[str] = []
    with listening(heard.append), pytest.raises(InputError):
        clean(read_prices(path))
    assert heard[-1] == ""


def _terminal():
    out = io.StringIO()
    return Console(file=out, force_terminal=True, width=100), out


def test_the_status_line_shows_long_work_and_is_gone_when_it_ends(monkeypatch):
    monkeypatch.setattr(status, "SHOW_AFTER", 0.05)
    console, out = _terminal()
    shown = status._Status(console)
    shown.tell("cleaning big.csv: outliers (13 of 15)")
    time.sleep(0.3)
    assert shown.live is not None and "outliers (13 of 15)" in out.getvalue()
    shown.tell("cleaning big.csv: gaps (14 of 15)")
    shown.tell("")
    assert shown.live is None  # stopped at once: a progress bar may start now
    shown.tell("reading next.csv")  # shown once: the next work shows at once
    assert shown.live is not None
    shown.stop()
    assert shown.live is None


def test_work_shorter_than_the_wait_shows_nothing(monkeypatch):
    monkeypatch.setattr(status, "SHOW_AFTER", 0.5)
    console, out = _terminal()
    shown = status._Status(console)
    shown.tell("reading small.csv")
    shown.tell("")
    time.sleep(0.7)
    assert shown.live is None and out.getvalue() == ""


def test_a_note_on_a_terminal_wraps_at_words_and_piped_stays_one_line(monkeypatch):
    import sys

    from forecast.commands.shared import say_note

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    text = "12 of 26 series end a year or more before the latest price (2025-11): " * 3
    monkeypatch.setenv("COLUMNS", "60")
    for stream, wrapped in ((Terminal(), True), (io.StringIO(), False)):
        monkeypatch.setattr(sys, "stderr", stream)
        say_note(text.strip())
        lines = stream.getvalue().splitlines()
        assert " ".join(line.strip() for line in lines) == f"note: {text.strip()}"
        if wrapped:  # at words, under 60 columns, the text's lines under its first word
            assert len(lines) > 3 and all(len(line) < 60 for line in lines)
            assert all(line.startswith("      ") and line[6] != " " for line in lines[1:])
        else:
            assert len(lines) == 1


def test_a_quiet_command_inside_a_group_shows_no_status(monkeypatch):
    """A group's command runs inside the group's own status (`bulletin` reads its file in
    the group's callback): a --quiet command must still show nothing."""
    import rich.console

    from forecast.progress import tell

    out = io.StringIO()

    class Terminal(rich.console.Console):
        def __init__(self, **kwargs):
            super().__init__(file=out, force_terminal=True, width=100)

    monkeypatch.setattr(rich.console, "Console", Terminal)
    monkeypatch.setattr(status, "SHOW_AFTER", 0.01)
    with status.reading_status(quiet=False):
        with status.reading_status(quiet=True):
            tell("cleaning quiet.csv: outliers (13 of 15)")
            time.sleep(0.2)
            tell("")
        assert "quiet.csv" not in out.getvalue()
        tell("reading loud.csv")
        time.sleep(0.2)
        tell("")
    assert "loud.csv" in out.getvalue()


def test_a_pasted_command_in_a_wrapped_note_stays_whole(monkeypatch):
    import sys

    from forecast.commands.shared import late_prices_removal, say_note

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    command = late_prices_removal(
        "Beans | Bandarawela | Retail | LKR/kg",
        [pd.Timestamp("2025-04-01"), pd.Timestamp("2025-05-01")],
        "/tmp/my store.duckdb",
    )
    monkeypatch.setenv("COLUMNS", "60")
    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    say_note(f"1 series has a last price a year or more after the others; {command}")
    lines = stream.getvalue().splitlines()
    pasted = [line.strip() for line in lines if line.strip().startswith("cropcast store remove")]
    assert len(pasted) == 1 and pasted[0].endswith("--yes"), lines
    assert "'/tmp/my store.duckdb'" in pasted[0] and "--date 2025-04 --date 2025-05" in pasted[0]
