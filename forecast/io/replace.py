"""Writing a user's output file whole or not at all.

A table written in place and cut short (a full disk, a file-size limit, Ctrl-C) is the old
file destroyed and a truncated one left, which reads back as valid: a CSV cut mid-row is
read as fewer series. So every output goes to a temporary file beside it, which replaces the
old one only when it was written whole.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from forecast.errors import CropcastError


@contextmanager
def replaced(path: str | Path, where: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write; it becomes ``path`` when the block
    ends well, and is removed otherwise, leaving what was at ``path`` as it was.

    A write that fails for want of room or rights (``OSError``) is a ``CropcastError``
    naming the file, said by ``where`` (the option that named it).
    """
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield temporary
        os.replace(temporary, path)
    except BaseException as exc:
        with suppress(OSError):
            temporary.unlink()
        if isinstance(exc, OSError) and not isinstance(
            exc, (FileNotFoundError, NotADirectoryError, IsADirectoryError)
        ):
            why = (exc.strerror or str(exc)).lower()
            kept = "what was there is unchanged" if path.exists() else "nothing was written"
            raise CropcastError(
                f"could not write {path}: {why}; {kept}",
                where,
                "Free some space or write it elsewhere",
            ) from None
        raise
