"""A status line on the terminal while a file is read and cleaned (see forecast.progress).

A national file (a million rows) takes half a minute to read and clean, and the command
said nothing all that while. Only on a terminal, never with --quiet, and only for work that
has gone on for ``SHOW_AFTER``: a small file's second shows nothing, so nothing flickers.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from forecast.progress import listening

#: Seconds a read or clean runs before the status line shows.
SHOW_AFTER = 1.0


@contextmanager
def reading_status(quiet: bool = False) -> Iterator[None]:
    """Show on stderr what reading and cleaning say they do, while the block runs."""
    from rich.console import Console

    console = Console(stderr=True)
    if quiet or not console.is_terminal:
        # Heard by nobody: a group's status (`cropcast store ...` runs its command inside
        # the group's) must not show what a --quiet command reads.
        with listening(_nobody):
            yield
        return
    status = _Status(console)
    with listening(status.tell):
        try:
            yield
        finally:
            status.stop()


def _nobody(what: str) -> None:
    return None


class _Status:
    """A Rich status line, started by a timer ``SHOW_AFTER`` after work begins and stopped
    the moment that work is over: the command's own progress bar may follow at once, and
    Rich shows one live display at a time."""

    def __init__(self, console):
        self.console, self.lock = console, threading.Lock()
        self.text, self.live, self.timer = "", None, None
        self.shown = False  # once shown, the next step shows at once (no second wait)

    def tell(self, what: str) -> None:
        with self.lock:
            self.text = what
            if not what:
                self._stop()
            elif self.live is not None:
                self.live.update(what)
            elif self.shown:
                self._start()
            elif self.timer is None:
                self.timer = threading.Timer(SHOW_AFTER, self._show_late)
                self.timer.daemon = True
                self.timer.start()

    def stop(self) -> None:
        with self.lock:
            self._stop()

    def _show_late(self) -> None:
        with self.lock:
            self.timer = None
            if self.text and self.live is None:
                self._start()

    def _start(self) -> None:
        self.live = self.console.status(self.text)
        self.live.start()
        self.shown = True

    def _stop(self) -> None:
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None
        if self.live is not None:
            self.live.stop()
            self.live = None
