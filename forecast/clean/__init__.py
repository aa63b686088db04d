"""Cleaning: RawPrices -> PriceTable, with a written account of every row changed or refused.

``clean(raw, CleanOptions(...))`` runs named pure steps (see :mod:`forecast.clean.pipeline`)
and returns a :class:`CleanResult`: ``prices`` (a valid PriceTable), ``report`` (a
:class:`CleanReport`) and ``rejected`` (the refused rows as written, each with one reason).
"""

from forecast.clean.options import CleanOptions
from forecast.clean.pipeline import CleanResult, clean
from forecast.clean.report import CleanReport

__all__ = ["CleanOptions", "CleanReport", "CleanResult", "clean"]
