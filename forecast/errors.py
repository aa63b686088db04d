"""Errors a user can act on.

Every error cropcast raises on bad input is a ``CropcastError``: it carries what is wrong,
where, and how to fix it, so the CLI can print one clear line and exit non-zero instead of a
traceback. Code that catches errors catches these, never a bare ``Exception``.
"""

from __future__ import annotations


class CropcastError(Exception):
    """A problem the user can fix: ``what`` went wrong, ``where``, and ``fix``.

    ``exit_code`` is what the CLI exits with: 1 for bad data, 2 for bad usage.
    """

    exit_code = 1

    def __init__(self, what: str, where: str | None = None, fix: str | None = None):
        self.what = what
        self.where = where
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        text = self.what
        if self.where:
            text = f"{self.where}: {text}"
        if self.fix:
            text = f"{text}. {self.fix}"
        return text


class InputError(CropcastError):
    """A file that cannot be read as prices: missing, empty, binary, wrong columns."""


class SchemaError(CropcastError):
    """A table that breaks the PriceTable contract: names the column, the rule and example rows."""

    def __init__(self, column: str, rule: str, examples: str = "", fix: str | None = None):
        self.column = column
        self.rule = rule
        self.examples = examples
        what = f"column '{column}' breaks the rule: {rule}"
        if examples:
            what = f"{what}; e.g. {examples}"
        super().__init__(what, None, fix)


class UsageError(CropcastError):
    """A bad option value: unknown model, horizon <= 0, levels outside (0, 100)."""

    exit_code = 2


class NotFittedError(CropcastError, ValueError):
    """``predict`` was called before ``fit``."""

    exit_code = 2
