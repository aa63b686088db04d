"""Checks of a command's arguments that import nothing heavy.

A command checks its arguments before it starts worker processes, and starts those before
it imports pandas and the models: the workers' own imports (about two seconds of scipy and
statsmodels) then run while this process imports and reads. So these checks stay in a
module that needs only the standard library.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Integral, Real
from pathlib import Path

from forecast.errors import InputError, UsageError


def check_levels(levels: Sequence[float]) -> tuple[float, ...]:
    """Validate interval levels (percent, strictly between 0 and 100, each once). One
    number is one level: ``predict(3, levels=80)`` raised "'int' object is not iterable"."""
    if isinstance(levels, Real) and not isinstance(levels, bool):
        levels = (levels,)
    if isinstance(levels, str | bytes) or not isinstance(levels, Iterable):
        raise UsageError(
            f"interval levels {levels!r} are not numbers", "--levels", "Use e.g. --levels 80,95"
        )
    out = []
    for level in levels:
        if isinstance(level, bool) or not isinstance(level, Real) or level != level:
            raise UsageError(
                f"interval level {level!r} is not a number", "--levels", "Use e.g. --levels 80,95"
            )
        value = float(level)
        if not 0 < value < 100:
            raise UsageError(
                f"interval level {level} is outside (0, 100)", "--levels", "Use e.g. --levels 80,95"
            )
        if value < 1:  # Prophet's interval_width=0.8 habit: an 0.8 % range is never meant
            # Its percent, where that is a level taken (0.001 is no 0.1 %, refused too).
            percent = f"{100 * value:g}" if 100 * value >= 1 else "80,95"
            raise UsageError(
                f"interval level {level} is a fraction, and levels are in percent",
                "--levels",
                f"Use e.g. --levels {percent}",
            )
        value = int(value) if value.is_integer() else value
        if value in out:  # two lower_80 columns would be ambiguous in the output
            raise UsageError(
                f"interval level {value:g} is given twice", "--levels", "Give each level once"
            )
        out.append(value)
    return tuple(out)


#: The longest horizon taken: 1,000 periods is 83 years of months or 19 of weeks, more
#: than any price forecast can say anything about; much longer ran dates past what pandas
#: can hold (the year 2262) and failed with an unexpected error.
MAX_HORIZON = 1000


def check_horizon(h: int) -> int:
    """A horizon is a whole number of periods, at least 1 and at most :data:`MAX_HORIZON`.
    Returned as an int (6.0 is 6)."""
    # A text "3" read "horizon 3 must be a whole number", which it looks like; a bool is a
    # mistake, not a horizon of 1; NaN failed inside int().
    if isinstance(h, bool) or not isinstance(h, Real) or h != h:
        raise UsageError(
            f"horizon {h!r} is not a number ({type(h).__name__})",
            "--horizon",
            "Use e.g. --horizon 12",
        )
    if abs(h) == float("inf") or int(h) != h or h < 1:
        raise UsageError(
            f"horizon {h} must be a whole number of periods >= 1",
            "--horizon",
            "Use e.g. --horizon 12",
        )
    if h > MAX_HORIZON:
        raise UsageError(
            f"horizon {h} is longer than cropcast forecasts ({MAX_HORIZON:,} periods at most)",
            "--horizon",
            "Use e.g. --horizon 12",
        )
    return int(h)


def check_whole_number(value: object, name: str, flag: str, example: int) -> int:
    """A count such as ``--windows``: a whole number >= 1 (numpy integers too)."""
    # bool is an int subclass; Windows(horizon=True) is a mistake, not a horizon of 1.
    if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
        raise UsageError(
            f"{name} {value!r} must be a whole number >= 1", flag, f"Use e.g. {flag} {example}"
        )
    return int(value)


def check_path(path: str | Path) -> Path:
    """Return ``path`` as a Path, refusing a missing file, a folder or an empty file."""
    path = Path(path)
    if not path.exists():
        raise InputError("file not found", str(path), "Check the path and the file name")
    if path.is_dir():
        raise InputError("is a folder, not a file", str(path), "Give the path of one price file")
    if not path.is_file():  # a pipe (<(zcat F), /dev/stdin): its size says nothing
        raise InputError(
            "is a pipe or a device, not a file (cropcast reads a file more than once)",
            str(path),
            "Save it to a file first, e.g. zcat prices.csv.gz > prices.csv",
        )
    if path.stat().st_size == 0:
        raise InputError(
            "the file is empty (0 bytes)",
            path.name,
            "Download or export it again; the copy you have holds no data",
        )
    return path


__all__ = ["check_horizon", "check_levels", "check_path", "check_whole_number"]
