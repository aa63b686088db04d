"""Writing a user's output file whole or not at all.

A table written in place and cut short (a full disk, a file-size limit, Ctrl-C) is the old
file destroyed and a truncated one left, which reads back as valid: a CSV cut mid-row is
read as fewer series. So an output goes to a temporary file beside it, which replaces the
old one only when it was written whole, keeping the old file's permissions.

Where replacing would change what the path is, the output is written in place, as before:
a symlink's target is what is replaced (the link stays a link; the old file's mode and
owner are kept); another user's file (unless we are root, who can give it back), a file
with other hard links, a file the folder does not let us put another beside, and a file
that cannot be replaced (bind-mounted into a container) are written through, and an error
then says the file may be cut short. A device or a pipe, or a link to one (``-o
/dev/stdout``; as root, replacing ``/dev/null`` made it a file), is appended to, in one go
once the output is whole: stdout sent to a log (``>> bulletins.log``) keeps the log's lines.
"""

from __future__ import annotations

import errno
import os
import shutil
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from forecast.errors import CropcastError, UsageError

#: Errors of a write that ran out of room: no space, a file-size limit, a quota.
FULL = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
#: Errors of a folder that refuses a new file in it: no rights, a read-only disk, or (in
#: /proc and /sys, which only their kernel adds to) "no such file or directory".
REFUSED = (errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOENT)


def folder_refused(exc: OSError, path: Path) -> bool:
    """Whether writing the new file ``path`` failed because its folder, which is there,
    takes no new file (:data:`REFUSED`)."""
    return exc.errno in REFUSED and not path.exists() and path.parent.is_dir()


@contextmanager
def replaced(path: str | Path, where: str | None = None) -> Iterator[Path]:
    """Yield the path to write for ``path``: a temporary file beside it that becomes
    ``path`` when the block ends well and is removed otherwise, leaving what was at
    ``path`` as it was; or ``path`` itself where replacing it would change what it is.

    A write that fails for want of room or rights (``OSError``) is a ``CropcastError``
    naming the file, said by ``where`` (the option that named it).
    """
    try:
        before = Path(path).stat()  # through a symlink, to what it names
    except OSError:
        before = None
    through = before is not None and (not stat.S_ISREG(before.st_mode) or before.st_nlink > 1)
    # Another user's file (a shared, group-writable one): only root could give the new file
    # its owner back; anyone else would take it over and lock its owner out.
    through = through or (before is not None and os.geteuid() not in (0, before.st_uid))
    # /dev/stdout redirected to a file (>> app.log) names that file, as does a link to it
    # (out.csv -> /dev/stdout): written as a stream, appended, so the log keeps its lines
    # (opened for writing, then replaced through the link, the log lost them).
    if _leads_to_a_stream(path):
        with _one_line(Path(path), where, kept=False), _appended(Path(path)) as temporary:
            yield temporary
        return
    # A symlinked file's target is what is replaced; a device is written as named
    # (/dev/stdout names a pipe that has no path of its own).
    target = Path(path) if through else Path(os.path.realpath(path))
    temporary = target.with_name(f".{target.name[:150]}.{os.getpid()}.tmp")
    if not through:
        try:
            temporary.touch(mode=0o600, exist_ok=False)  # no wider than the old file
        except OSError as exc:
            if exc.errno in FULL:  # no room for a new file: the old one stays
                with _one_line(target, where, kept=True):
                    raise
            through = True  # a folder that takes no new file, a name too long: in place
    if through:
        with _one_line(target, where, kept=False):
            yield target
        return
    try:
        with _one_line(target, where, kept=True):
            yield temporary
            os.chmod(temporary, stat.S_IMODE(before.st_mode) if before else _new_file_mode())
            if before is not None and (before.st_uid, before.st_gid) != (
                os.geteuid(),
                os.getegid(),
            ):
                with suppress(OSError):  # root rewriting another user's file keeps it theirs,
                    os.chown(temporary, before.st_uid, before.st_gid)  # and a group its group
                with suppress(OSError):
                    os.chown(temporary, -1, before.st_gid)
            try:
                os.replace(temporary, target)
                return
            except OSError:  # bind-mounted, or another file system's rules: in place
                pass
        with _one_line(target, where, kept=False):
            shutil.copyfile(temporary, target)
    finally:
        with suppress(OSError):
            temporary.unlink()


def _leads_to_a_stream(path: str | Path) -> bool:
    """Whether ``path`` is, or links to, a name under /dev or /proc (a device, a pipe, a
    process's open file), link by link: resolved at once, /dev/stdout names the file
    stdout was sent to, and that would be replaced."""
    here = Path(path).absolute()
    for _ in range(40):  # a loop of links ends here
        if str(here).startswith(("/dev/", "/proc/")):
            return True
        if not here.is_symlink():
            return False
        here = Path(os.path.normpath(here.parent / os.readlink(here)))
    return False


@contextmanager
def _appended(target: Path) -> Iterator[Path]:
    """Yield a temporary file (in the system's temporary folder) whose bytes are appended
    to ``target`` when the block ends well: a stream takes them in one go, whole."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="cropcast-") as folder:
        temporary = Path(folder) / target.name
        yield temporary
        with open(temporary, "rb") as written, open(target, "ab") as out:
            shutil.copyfileobj(written, out)


def _new_file_mode() -> int:
    """The mode a new file gets here (0o666 less the umask), as a plain write gives it."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def _one_line(path: Path, where: str | None, kept: bool) -> Iterator[None]:
    """An ``OSError`` while writing ``path`` as one ``CropcastError``: what, and a fix
    that fits it (room for a full disk, the path and rights otherwise)."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, (FileNotFoundError, NotADirectoryError, IsADirectoryError)):
            raise  # the command's own one line names the path the user gave
        why = (exc.strerror or str(exc)).lower()
        if folder_refused(exc, path):
            # A new file its folder would not take: the folder the user chose is what to
            # change, a usage error as a folder that cannot be made is (exit 2).
            raise UsageError(
                f"could not write {path}: the folder {path.parent} cannot be written ({why})",
                where,
                "Write into a folder you can write to",
            ) from None
        if kept:
            why += "; what was there is unchanged" if path.exists() else "; nothing was written"
        elif path.is_file():
            why += "; the file may be cut short: write it again when this is fixed"
        fix = (
            "Free some space or write it elsewhere"
            if exc.errno in FULL
            else "Check the path and that you may write there"
        )
        raise CropcastError(f"could not write {path}: {why}", where, fix) from None
