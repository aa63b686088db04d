"""How far a long read or clean has got, told to whoever listens.

Reading and cleaning a national file (a million rows, 40,000 series) take half a minute, and a
command that said nothing all that while looked hung. The library prints nothing itself: it
tells a listener what it is doing, if one is set (the command line shows it on a terminal).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

#: Called with what runs now ("cleaning prices.csv: outliers (10 of 15)"), and with "" when
#: it is over.
_listener: ContextVar[Callable[[str], None] | None] = ContextVar("_listener", default=None)


def tell(what: str) -> None:
    """Tell the listener, if any, what runs now ("" when it is over)."""
    listener = _listener.get()
    if listener is not None:
        listener(what)


@contextmanager
def telling(what: str) -> Iterator[None]:
    """Tell ``what`` while the block runs, and that it is over when it ends, however."""
    tell(what)
    try:
        yield
    finally:
        tell("")


@contextmanager
def listening(listener: Callable[[str], None]) -> Iterator[None]:
    """Send what reading and cleaning tell to ``listener`` while the block runs."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)
