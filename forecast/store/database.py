"""Opening the store: find it, check it is a cropcast store, create or migrate it, wait for locks.

Guarantees:

* A file is written only after it was checked without writing: it must start with DuckDB's
  magic bytes and, opened read-only, hold the ``cropcast_schema`` table at a version this
  cropcast knows. Anything else (a CSV, a damaged file, somebody else's DuckDB database) is
  an :class:`~forecast.errors.InputError` and the file is left as it was.
* A new store is built under a temporary name beside the final one and hard-linked into
  place, so the path never names a half-made store; when two processes create one at once,
  one wins and the other opens it.
* A store ``cropcast ingest`` made for its first file is removed again when that file's
  prices do not go in (a refused file, a Ctrl-C): :meth:`Store.remove_if_unfilled`. Only
  the very file it made, only while nothing is in it, and only while holding the write
  lock; a store that existed before is never removed.
* DuckDB lets one process write a database at a time, and an open reader blocks a writer.
  Connections are opened per operation and closed at once; opening retries for up to
  ``wait`` seconds, then fails with :class:`StoreBusyError`. Nothing is ever half written:
  every change runs in one transaction (:meth:`Store.writing`).
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from forecast.errors import CropcastError, InputError
from forecast.store.schema import (
    CURRENT_VERSION,
    VERSION_TABLE,
    current_tables,
    migrate,
    schema_version,
    user_tables,
)

#: The store's file name in the working folder when neither --db nor $CROPCAST_DB says.
DEFAULT_NAME = "cropcast.duckdb"
#: Environment variable naming the store.
ENV_VAR = "CROPCAST_DB"
#: Seconds to wait for another process to release the store.
DEFAULT_WAIT = 30.0

_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
_LEAVE_IT = "cropcast did not change it"


class StoreNotWritable(InputError):
    """The store, or its folder, is read-only for this user: a permission, not damage."""


class StoreBusyError(CropcastError):
    """Another process holds the store longer than we were willing to wait.

    Exits 75 (``EX_TEMPFAIL``): trying again later is the fix, so scripts can tell.
    """

    exit_code = 75


def resolve_location(db: str | Path | None = None) -> tuple[Path, bool]:
    """Where the store is: ``(path, explicit)``.

    ``db`` (the ``--db`` option) first, then ``$CROPCAST_DB``, then ``./cropcast.duckdb``.
    ``explicit`` is False only for the default, which commands use only when it exists.
    """
    if db is not None and str(db) != "":
        return Path(db).expanduser(), True
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser(), True
    return Path(DEFAULT_NAME), False


def _duckdb():
    import duckdb

    return duckdb


def _is_lock_error(exc: Exception) -> bool:
    text = str(exc)
    return "Could not set lock" in text or "Conflicting lock" in text


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def damaged(path: Path, exc: Exception) -> InputError:
    """The one-line error for a store DuckDB cannot read."""
    return InputError(
        f"cannot use the store ({_first_line(exc)})",
        str(path),
        f"If it is damaged, restore it from a backup or give another --db; {_LEAVE_IT}",
    )


def _is_permission(exc: BaseException) -> bool:
    """A store, or its folder, this user may not write (DuckDB says so in its message)."""
    if isinstance(exc, PermissionError):
        return True
    text = str(exc)
    return "Permission denied" in text or "Read-only file system" in text


def not_writable(path: Path) -> StoreNotWritable:
    """The one-line error for a store (or its folder, where DuckDB keeps its .wal file)
    this user may not write: a permission, not damage, and nothing was changed."""
    return StoreNotWritable(
        "cannot write the store: permission denied (the file, or its folder, where DuckDB "
        "writes a .wal file beside it, is read-only for you)",
        str(path),
        "Check their permissions, or give another --db; the store is unchanged",
    )


#: What DuckDB (or the system) says when a write ran out of room.
_FULL_MARKS = ("No space left on device", "Disk quota exceeded", "File too large")


def _is_full(exc: BaseException) -> bool:
    import errno

    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return True
    return any(mark in str(exc) for mark in _FULL_MARKS)


def out_of_room(path: Path) -> StoreNotWritable:
    """The one-line error for a store write that ran out of disk: DuckDB rolled the
    transaction back, so nothing changed (it read "unexpected TransactionException")."""
    return StoreNotWritable(
        "cannot write the store: no space left on the disk that holds it (or its .wal "
        "file beside it)",
        str(path),
        "Free some space, or give another --db; the store is unchanged",
    )


def _is_damage(exc: Exception) -> bool:
    """DuckDB errors that come from the file, not from cropcast's own SQL."""
    duckdb = _duckdb()
    if isinstance(exc, duckdb.IOException | duckdb.SerializationException):
        return not _is_lock_error(exc)
    text = str(exc)
    return any(
        mark in text
        for mark in ("Corrupt", "checksum", "not a valid DuckDB", "Could not read", "INTERNAL")
    )


def check_file(path: Path) -> None:
    """Refuse a path that is not a DuckDB file, reading only its first bytes."""
    if path.is_dir():
        raise InputError(
            "is a folder, not a cropcast store",
            str(path),
            "Give a file name, e.g. --db prices.duckdb",
        )
    try:
        with path.open("rb") as handle:
            head = handle.read(12)
    except OSError as exc:
        raise InputError(
            f"cannot read the store ({exc.strerror or exc})", str(path), "Check the path"
        ) from None
    if len(head) < 12 or head[8:12] != _MAGIC:
        raise InputError(
            "is not a cropcast store (not a DuckDB database file)",
            str(path),
            f"Give a store made by 'cropcast ingest', or a new file name; {_LEAVE_IT}",
        )


class Store:
    """A handle on one store file: where it is and how long to wait for it.

    It holds no open connection: :meth:`reading` and :meth:`writing` open one for a block and
    close it, so other processes get their turn. Build it with :func:`open_store`, which
    checks the file first.
    """

    def __init__(self, path: str | Path, *, wait: float = DEFAULT_WAIT, fills: bool = False):
        self.path = Path(path)
        self.wait = float(wait)
        self.checked = False  # set by check()
        #: (device, inode) of the store file made by this handle's made(), if any: the file
        #: it may remove again (remove_if_unfilled); another process may have made the one
        #: at the path.
        self._built: list[tuple[int, int]] = []
        #: This handle is to fill the store (store_to_fill, made()): a store that a first
        #: ingest made and removed again (remove_if_unfilled) while this one waited for it
        #: is made anew, not refused as missing.
        self._fills = fills

    def __repr__(self) -> str:
        return f"Store({str(self.path)!r})"

    def _connect(self, read_only: bool):
        duckdb = _duckdb()
        deadline = time.monotonic() + max(self.wait, 0.0)
        delay = 0.05
        while True:
            if self._fills and not self.path.exists():
                # Another first ingest made it, was stopped and removed it while this one
                # waited: this ingest makes it as it would have (its second file failed
                # "cannot read the store (No such file or directory)").
                _create(self.path, self._built)
            try:
                check_file(self.path)  # each try: the file may have been replaced meanwhile
            except InputError:
                if self._fills and not self.path.exists():
                    continue  # removed between the two looks: made again on the next try
                raise
            try:
                con = duckdb.connect(str(self.path), read_only=read_only)
            except duckdb.Error as exc:
                if self._fills and not self.path.exists():
                    # Removed between the check and the connect (a fresh install's slow
                    # start-up let a test's second ingest meet it): made again next try.
                    continue
                if _is_permission(exc):
                    raise not_writable(self.path) from None
                if not _is_lock_error(exc):
                    raise damaged(self.path, exc) from None
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreBusyError(
                        f"the store is in use by another cropcast process (waited {self.wait:g} s)",
                        str(self.path),
                        "Try again when it finishes",
                    ) from None
                time.sleep(min(delay, left))
                delay = min(delay * 2, 0.5)
                continue
            try:
                # fetchall: a result left half-read refuses a later con.register (DuckDB 1.5).
                [(where,)] = con.execute(
                    "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
                ).fetchall()
            except duckdb.Error as exc:
                con.close()
                raise damaged(self.path, exc) from None
            if where is None:  # DuckDB opened a data file (CSV, Parquet) as a view
                con.close()
                raise InputError(
                    "is not a cropcast store (DuckDB reads it as a data file)",
                    str(self.path),
                    f"Give a store made by 'cropcast ingest'; {_LEAVE_IT}",
                )
            return con

    @contextmanager
    def reading(self) -> Iterator:
        """A read-only DuckDB connection for one block; DuckDB read errors -> InputError."""
        con = self._connect(read_only=True)
        try:
            yield con
        except _duckdb().Error as exc:
            if _is_damage(exc):
                raise damaged(self.path, exc) from None
            raise
        finally:
            con.close()

    @contextmanager
    def writing(self) -> Iterator:
        """A connection inside one transaction: committed at the end, rolled back on error."""
        duckdb = _duckdb()
        con = self._connect(read_only=False)
        try:
            con.execute("BEGIN TRANSACTION")
            try:
                yield con
            except BaseException:
                with suppress(duckdb.Error):  # already gone: closing discards it anyway
                    con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")
        except duckdb.Error as exc:
            if _is_permission(exc):
                raise not_writable(self.path) from None
            if _is_full(exc):
                raise out_of_room(self.path) from None
            if _is_damage(exc):
                raise damaged(self.path, exc) from None
            raise
        finally:
            con.close()

    def made(self) -> Store:
        """This store, made first if its file does not exist yet (see :func:`store_to_fill`),
        and checked once: another ingest may have made it meanwhile."""
        self._fills = True
        if not self.path.exists():
            _create(self.path, self._built)
        if not self.checked:
            self.check()
        return self

    def remove_if_unfilled(self) -> bool:
        """Remove the store again when :meth:`made` made it and nothing has gone into it:
        a first ingest that failed or was interrupted then leaves no empty store behind
        (``data list`` said "the store holds no prices yet", and ./cropcast.duckdb stayed).

        Only the very file made here (another process may have made the one at the path),
        only while every table but the schema's is empty, and only with DuckDB's write lock
        held, in one try: a process holding the store is about to fill it, and one that
        filled it meanwhile keeps it. Returns whether the store was removed.
        """
        if not self._built:
            return False
        duckdb = _duckdb()
        try:
            if _identity(self.path) not in self._built:
                return False
            con = duckdb.connect(str(self.path))  # no waiting: whoever holds it fills it
        except (OSError, duckdb.Error):
            return False
        try:
            if _identity(self.path) not in self._built or _holds_anything(con):
                return False
            for item in (self.path, _wal(self.path)):  # the lock held: nobody opens it now
                item.unlink(missing_ok=True)
        except (OSError, duckdb.Error):
            return False
        finally:
            con.close()
        self._built.clear()
        self.checked = False  # a next file makes it again
        return True

    def check(self) -> int:
        """Check (read-only) that this is a cropcast store; migrate it when older.

        Returns the schema version found before any migration.
        """
        with self.reading() as con:
            version = schema_version(con)
            tables = user_tables(con)
        if version is None:
            found = f"it has tables {', '.join(tables[:5])}" if tables else "it has no tables"
            raise InputError(
                f"is a DuckDB database but not a cropcast store ({found}, "
                "no cropcast_schema table)",
                str(self.path),
                f"Give a store made by 'cropcast ingest', or a new file name; {_LEAVE_IT}",
            )
        if version > CURRENT_VERSION:
            raise InputError(
                f"the store has schema version {version}; this cropcast knows up to "
                f"{CURRENT_VERSION}",
                str(self.path),
                "Upgrade cropcast to read it",
            )
        if version < CURRENT_VERSION:
            with self.writing() as con:
                migrate(con)  # re-reads the version: another process may have done it
        elif missing := sorted(current_tables() - set(tables)):
            # A table dropped by hand: every command would stop on it with DuckDB's words.
            raise InputError(
                f"the store is damaged: table(s) {', '.join(missing)} missing",
                str(self.path),
                f"Restore it from a backup or give another --db; {_LEAVE_IT}",
            )
        self.checked = True
        return version


def _identity(path: Path) -> tuple[int, int]:
    """Which file ``path`` names: (device, inode); a hard link or rename keeps it."""
    info = path.stat()
    return info.st_dev, info.st_ino


def _wal(path: Path) -> Path:
    """DuckDB's write-ahead log beside the database ``path``."""
    return path.with_name(path.name + ".wal")


def _holds_anything(con) -> bool:
    """Whether any table of the open store but the schema's has a row."""
    return any(
        con.execute(f'SELECT EXISTS (SELECT 1 FROM "{name}")').fetchone()[0]
        for name in user_tables(con)
        if name != VERSION_TABLE
    )


def _create(path: Path, built: list[tuple[int, int]] | None = None) -> None:
    """Make a new, fully migrated store at ``path`` without ever exposing a half-made one.

    ``built`` gets the new file's identity (:func:`_identity`) before it goes into place,
    so a Ctrl-C just after still finds it ours.
    """
    try:
        _create_at(path, built)
    except (OSError, _duckdb().Error) as exc:
        if _is_permission(exc):
            raise not_writable(path) from None
        if _is_full(exc):
            raise out_of_room(path) from None
        # A folder only its kernel adds files to (/proc): DuckDB "cannot open" the new file.
        raise StoreNotWritable(
            f"cannot make a store there ({_first_line(exc)})",
            str(path),
            "Give a --db in a folder you can write to",
        ) from None


def _create_at(path: Path, built: list[tuple[int, int]] | None) -> None:
    duckdb = _duckdb()
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}.new")
    leftovers = [temp, _wal(temp)]
    for item in leftovers:
        item.unlink(missing_ok=True)
    _remove_dead_makings(path)
    try:
        con = duckdb.connect(str(temp))
        try:
            con.execute("BEGIN TRANSACTION")
            migrate(con)
            con.execute("COMMIT")
            con.execute("CHECKPOINT")
        finally:
            con.close()
        if built is not None:
            built.append(_identity(temp))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        except OSError:  # a file system without hard links
            if not path.exists():
                os.replace(temp, path)
    finally:
        for item in leftovers:
            item.unlink(missing_ok=True)


def _remove_dead_makings(path: Path) -> None:
    """Remove the half-made stores (``.NAME.PID.new``) of processes no longer running: one
    killed while making the store left its file behind. A living one's is its own."""
    for item in path.parent.glob(f".{glob.escape(path.name)}.*.new*"):
        pid = item.name[len(path.name) + 2 :].split(".")[0]
        if pid.isdigit() and not _running(int(pid)):
            item.unlink(missing_ok=True)


def _running(pid: int) -> bool:
    if os.name == "nt":  # os.kill(pid, 0) would end the process there: leave its file
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process, or a platform without signal 0
        return True
    return True


def store_to_fill(db: str | Path | None = None, *, wait: float = DEFAULT_WAIT) -> Store:
    """The store ``cropcast ingest`` adds to: checked when it exists; when it does not, a
    handle on the file to be, made (:meth:`Store.made`) only when a file's prices are ready
    to go in. A first ingest whose every file was refused then leaves no empty store
    behind. One refused or interrupted after the store was made is removed again
    (:meth:`Store.remove_if_unfilled`), but only while empty and not held by another
    process, which could have just opened it to fill it."""
    path, _ = resolve_location(db)
    store = Store(path, wait=wait, fills=True)
    if path.exists():
        store.check()  # (it waits for a first ingest into it; see Store._connect)
    return store


def open_store(
    db: str | Path | None = None, *, create: bool = False, wait: float = DEFAULT_WAIT
) -> Store:
    """The checked store at ``db`` (or ``$CROPCAST_DB``, or ``./cropcast.duckdb``).

    Parameters
    ----------
    db
        The store file.
    create
        Make an empty store when the file does not exist (``cropcast ingest`` does).
    wait
        Seconds to wait for another process that holds the store.

    Raises
    ------
    InputError
        No store there (and ``create`` is False), or the file is not a cropcast store, is
        damaged, or was made by a newer cropcast. The file is left untouched.
    StoreBusyError
        Another process held the store for longer than ``wait``.
    """
    path, _ = resolve_location(db)
    if not path.exists():
        if not create:
            raise InputError(
                "no cropcast store here",
                str(path),
                f"Make one with: cropcast ingest FILE --db {path}",
            )
        _create(path)
    store = Store(path, wait=wait)
    store.check()
    return store
