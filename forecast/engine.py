"""Run per-series jobs: in process, in worker processes (joblib/loky), or on a Dask cluster.

Per-series fitting is embarrassingly parallel, so one function maps a job over the series and
the engine only decides where each call runs:

``local``
    In this process, one series after another.
``processes`` (the default)
    One worker process per core through loky, the process pool joblib uses.
``dask``
    A ``dask.distributed`` cluster: the scheduler at ``scheduler=`` ("tcp://HOST:PORT"), a
    ``distributed.Client`` you already have, or a ``LocalCluster`` of ``n_jobs`` single-thread
    worker processes started for the run and closed after it. Dask is imported only here,
    only then: it is an optional extra (``pip install ".[dask]"`` in a checkout).

What every engine guarantees
----------------------------
* **Same numbers.** Each job runs with BLAS pinned to one thread, in this process too, so a
  series gives the same floats on every engine and job count. Results stream back in
  completion order; callers sort them by key.
* **Small messages, flat memory.** A job carries only its own series. Series are pulled
  lazily from the caller's iterator in chunks, and at most two chunks per worker are in
  flight, so memory does not grow with the number of series. Chunks grow until one takes
  about :data:`TARGET_CHUNK_SECONDS`: a slow model ships one series a task (even load), a
  fast one ships dozens (little per-task overhead).
* **Warm starts.** ``started(...)`` brings the workers up and has them import what the jobs
  will need while the caller is still reading its data, instead of after. On Linux the
  process pool forks its workers from a fork server that imported those modules once,
  so a worker is ready in milliseconds rather than after a second of imports of its own.
* **No series goes missing.** The job function returns a bad series' error as data; if it
  raises anyway, ``on_error(item, error)`` turns that item into a result (without
  ``on_error`` the error is raised). When a worker process dies (killed, out of memory,
  a crash in C code), the series it held are retried once more each, alone, so one
  poisonous series cannot take innocent ones down with it; a series still failing is given
  to ``on_error`` as a :class:`WorkerLostError`. A run that lost a worker logs one warning
  on the ``forecast.engine`` logger at its end (the command line prints it as a note):
  finished anyway, it should still say so, as the cause (memory) may strike again. Dask's
  scheduler reruns a lost worker's tasks by itself, so there the run compares its workers
  at the end with those at the start. A Dask cluster left with no worker for
  :data:`DASK_NO_WORKERS_SECONDS` ran nothing more: the series not yet run go to
  ``on_error`` as a :class:`NoWorkerError` (no worker died under them, nothing is retried),
  and the run ends with one warning naming the cluster and what to do.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import sys
import time
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from itertools import chain, islice
from typing import Any

from forecast.errors import CropcastError, UsageError

ENGINES = ("local", "processes", "dask")
log = logging.getLogger(__name__)

#: Wall time a chunk of series should take in a worker: long enough that per-task
#: overhead (pickling, a scheduler round trip) is a few percent, short enough that the
#: last chunks of a run leave no core idle for long. A Dask task costs its scheduler
#: milliseconds of CPU, so Dask chunks are longer.
TARGET_CHUNK_SECONDS = {"processes": 0.3, "dask": 1.0}
#: Most series in one chunk, whatever the model costs.
MAX_CHUNK = 128
#: Chunks in flight per worker: one running, one queued so a worker never waits on us.
IN_FLIGHT_PER_WORKER = 2

_BLAS_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
#: Settings for the LocalCluster cropcast starts itself, where Dask's housekeeping would
#: otherwise compete with the fits for two cores: the workers' sampling profiler (a stack
#: walk every 10 ms, for a dashboard nobody is watching), the 20 ms event-loop tick, the
#: system monitor and work stealing (tasks wait in the scheduler's queue until a worker
#: is free, so there is nothing to steal). A cluster the user runs keeps its own settings.
_QUIET_DASK = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.scheduler.work-stealing": False,
}
_INSTALL_DASK = 'Install it with: pip install "dask[distributed]"'
#: What ``distributed.Client`` can connect to: HOST:PORT with an optional protocol
#: (tcp, tls, ws, wss, ucx), the host a name (Docker's may hold '_'), an IPv4 address or a
#: bracketed IPv6 one.
_SCHEDULER_ADDRESS = re.compile(
    r"(?:(?:tcp|tls|ws|wss|ucx)://)?(?:[A-Za-z0-9](?:[A-Za-z0-9_.\-]*[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])"
    r":\d{1,5}"
)
#: How long to try reaching a Dask scheduler before giving up with one clear error.
DASK_CONNECT_TIMEOUT = "10s"
#: Seconds a Dask cluster may have no worker at all before its jobs in flight are given up
#: as lost (a LocalCluster's nannies stop restarting workers that keep dying; a cluster's
#: workers may all be retired): the run then ends, their series reported, not hung.
DASK_NO_WORKERS_SECONDS = 20.0


class WorkerLostError(CropcastError):
    """A worker process died while running a job, on every attempt."""


class SeriesNotRunError(CropcastError):
    """A Dask cluster had no worker for some series, and what they were for cannot stand
    on naive stand-ins (a farmers' bulletin, a chart): exit 75, try again when it has
    workers."""

    exit_code = 75

    def __init__(self, made: str, n: int | None = None, total: int | None = None):
        counted = f"{n:,} of {total:,} series were" if n else "series were"
        super().__init__(
            f"{counted} not run (the Dask cluster had no worker), so {made}",
            None,
            "Run again when the cluster has workers, or without --scheduler and --engine dask",
        )


class NoWorkerError(WorkerLostError):
    """A Dask cluster had no worker for :data:`DASK_NO_WORKERS_SECONDS`: the job never ran.

    ``cluster`` says which cluster and for how long, ``fix`` what to do; ``summary(n)`` is
    the run's one line for the ``n`` series it left unrun.
    """

    def __init__(self, cluster: str, fix: str):
        self.cluster = cluster
        super().__init__(f"{cluster}, so the series was not run", None, fix)

    def summary(self, n: int) -> str:
        were = "was" if n == 1 else "were"
        return (
            f"{self.cluster}, so {n:,} series {were} not run: {self.fix[0].lower()}{self.fix[1:]}"
        )


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def check_engine(engine: str, n_jobs: int | None = None, scheduler: Any = None) -> None:
    """Check the engine options before any work starts; raise ``UsageError`` if they are bad.

    Cheap: it looks for Dask without importing it.
    """
    if engine not in ENGINES:
        raise UsageError(
            f"unknown engine '{engine}'", "--engine", f"Choose one of: {', '.join(ENGINES)}"
        )
    if n_jobs is not None and n_jobs < 1:
        raise UsageError(f"--jobs {n_jobs} must be at least 1", "--jobs", "Use e.g. --jobs 2")
    if scheduler is not None and engine != "dask":
        raise UsageError(
            "a scheduler address needs the dask engine",
            "--scheduler",
            "Add --engine dask, or leave --scheduler out",
        )
    if isinstance(scheduler, str) and not scheduler.strip():
        raise UsageError("empty scheduler address", "--scheduler", "Use e.g. tcp://10.0.0.5:8786")
    if isinstance(scheduler, str) and not _is_scheduler_address(scheduler.strip()):
        # Dask would raise deep inside Client() and leave a half-made client that hangs
        # the exit for 20 s; an address it cannot parse is refused here instead.
        raise UsageError(
            f"'{scheduler}' is not a Dask scheduler address",
            "--scheduler",
            "Use PROTOCOL://HOST:PORT as 'dask scheduler' prints it, e.g. tcp://10.0.0.5:8786",
        )
    if engine == "dask":
        from importlib.util import find_spec

        if find_spec("distributed") is None:
            raise UsageError("dask is not installed", "--engine dask", _INSTALL_DASK)


def _is_scheduler_address(text: str) -> bool:
    """HOST:PORT as ``distributed.Client`` takes it, with a port a socket can have."""
    return bool(_SCHEDULER_ADDRESS.fullmatch(text)) and int(text.rsplit(":", 1)[1]) < 65536


def run_jobs(
    func: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    engine: str = "processes",
    n_jobs: int | None = None,
    scheduler: Any = None,
    chunk_size: int | None = None,
    retries: int = 1,
    on_error: Callable[[Any, BaseException], Any] | None = None,
    series_in: Callable[[Any], int] | None = None,
) -> Iterator[Any]:
    """Yield ``func(item)`` for every item, in completion order.

    Parameters
    ----------
    func
        A picklable callable (a module-level function or a ``functools.partial`` of one)
        that should not raise for a bad series: it returns the error as data, so one odd
        series never stops a batch.
    items
        The jobs' inputs, e.g. ``iter_series(prices)``; read lazily, a chunk at a time. When
        they have a ``len()`` (a list, ``iter_series``), the last chunks shrink so that the
        workers finish together.
    engine
        ``"local"``, ``"processes"`` or ``"dask"``.
    n_jobs
        Worker processes (default: every core). ``processes`` with one job runs in process.
        For ``dask`` it sizes the ``LocalCluster``; a running cluster keeps its own size.
    scheduler
        ``dask`` only: a scheduler address such as ``"tcp://10.0.0.5:8786"``, or a
        ``distributed.Client`` (left open). ``None`` starts a ``LocalCluster`` for the run.
    chunk_size
        Items per task; ``None`` sizes chunks from measured job times.
    retries
        How many more times an item is tried after its worker process died under it.
    on_error
        ``on_error(item, error)`` returns the result to yield for an item whose job raised
        or whose worker kept dying (``WorkerLostError``). Without it those errors raise.
    series_in
        How many series an item holds, for the notes that count them (default: one).

    Raises
    ------
    UsageError
        For bad options, or ``dask`` when it is not installed.
    WorkerLostError
        When a worker died on an item every time and there is no ``on_error``.
    """
    check_engine(engine, n_jobs, scheduler)
    if chunk_size is not None and chunk_size < 1:
        raise UsageError(f"chunk size {chunk_size} must be at least 1", "chunk_size")
    if retries < 0:
        raise UsageError(f"retries {retries} must be 0 or more", "retries")
    n_jobs = default_jobs() if n_jobs is None else n_jobs
    total = len(items) if hasattr(items, "__len__") else None  # a list, or iter_series
    items = iter(items)
    if engine == "local" or (engine == "processes" and n_jobs == 1):
        yield from _run_local(func, items, on_error)
        return
    # Look ahead far enough to know whether every worker would get something to do.
    head = list(islice(items, n_jobs))
    if not head:
        return
    items = chain(head, items)
    workers = min(n_jobs, len(head))
    if engine == "processes" and workers == 1:
        yield from _run_local(func, items, on_error)
        return
    sizer = _ChunkSizer(chunk_size, TARGET_CHUNK_SECONDS[engine], total, workers)
    pool = _LokyPool(workers) if engine == "processes" else _DaskPool(workers, scheduler)
    with pool:
        yield from _run_pool(pool, func, items, sizer, retries, on_error, series_in)


@contextmanager
def started(
    engine: str | None = "processes",
    n_jobs: int | None = None,
    scheduler: Any = None,
    modules: Iterable[str] = (),
) -> Iterator[dict]:
    """Start the workers now and import ``modules`` in them, while the caller does other work.

    Yields the keyword arguments for :func:`run_jobs` (``engine``, ``n_jobs``,
    ``scheduler``): for a Dask ``LocalCluster`` started here, ``scheduler`` is its client,
    and the cluster closes when the block ends. The process pool outlives the block (loky
    keeps it for the next run), so nothing needs closing there. Starting is never required:
    ``run_jobs`` starts what it needs, only later and colder.
    """
    engine = engine or "processes"
    check_engine(engine, n_jobs, scheduler)
    n_jobs = default_jobs() if n_jobs is None else n_jobs
    modules = tuple(modules)
    run_on = {"engine": engine, "n_jobs": n_jobs, "scheduler": scheduler}
    if engine == "processes" and n_jobs > 1:
        _start_fork_server(modules)
        warming = _Background(_LokyPool(n_jobs).warm, modules)
        wait = None
        try:
            yield run_on
        except KeyboardInterrupt:
            wait = STOP_SECONDS
            raise
        finally:
            # The pool outlives the block, but its start-up must not: a run that ended
            # before the workers were up (one series, a bad file) would otherwise leave
            # the start-up thread racing the interpreter's exit, which can hang it.
            _finish_start(warming, wait, close=False)
        return
    elif engine == "dask" and isinstance(scheduler, str):
        _reach_scheduler(scheduler.strip())
    elif engine == "dask" and scheduler is None:
        _start_fork_server(("distributed", *modules))
        # Imported here, before the start-up thread: Dask's process-start threads import it
        # on their first worker, and after a Ctrl-C that landed in one of this thread's
        # imports 0.6-1.1 s into a run they waited there for Python's import lock (held,
        # though by none of the live threads), so the command waited STOP_SECONDS and left
        # the cluster behind (4 runs of 4 at 0.7 s; 22 of 22 at 0.5-1.2 s now stop in
        # 0.6-1.3 s, its workers closed).
        import multiprocessing.popen_forkserver  # noqa: F401

        pending = _Background(_open_local_cluster, n_jobs, modules)
        wait = None
        try:
            yield {**run_on, "scheduler": pending}
        except KeyboardInterrupt:
            wait = STOP_SECONDS
            raise
        finally:  # the run itself said whether a worker was lost
            _finish_start(pending, wait, close=True)
        return
    yield run_on


#: How long the first look at a scheduler address may wait for an answer.
SCHEDULER_PROBE_SECONDS = 5.0
#: How long a connected scheduler may take to send its handshake (one does at once; a busy
#: one's event loop may be late).
SCHEDULER_HANDSHAKE_SECONDS = 10.0


def _reach_scheduler(address: str) -> None:
    """Open a TCP connection to the scheduler at ``address`` and close it, before the
    command reads its file: a wrong address or a scheduler not running is then one error
    line at once, not after the reading and Dask's 10 s of retries ("timed out", even for a
    port that refused at once). Protocols not over TCP (ucx) are left to Dask.

    Over plain TCP a Dask scheduler speaks first: its handshake arrives as soon as the
    connection is made. A port that accepts and then says nothing (the dashboard's HTTP
    port, 8787, waiting for a request) would hang Dask's client for good, its own timeout
    notwithstanding, so the probe waits for that first byte."""
    import socket

    protocol, _, rest = address.rpartition("://")
    if protocol not in ("", "tcp", "tls", "ws", "wss"):
        return
    host, _, port = rest.rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), SCHEDULER_PROBE_SECONDS) as s:
            if protocol in ("", "tcp"):
                s.settimeout(SCHEDULER_HANDSHAKE_SECONDS)
                with suppress(TimeoutError):
                    if s.recv(1):
                        return
                # The option names the wrong thing (the dashboard): a usage error, exit 2.
                raise UsageError(
                    f"the address {address} answered, but not as a Dask scheduler"
                    " (it said nothing, as a web server does)",
                    "--scheduler",
                    "Check the port: 'dask scheduler' prints its address when it starts"
                    " (8786 by default; 8787 is its dashboard)",
                )
    except OSError as exc:
        why = exc.strerror or ("no answer" if isinstance(exc, TimeoutError) else str(exc))
        raise CropcastError(
            f"cannot reach the Dask scheduler at {address}: {why.lower()}",
            "--scheduler",
            "Check the address 'dask scheduler' printed, and that it is still running",
        ) from None


class _Background:
    """A start-up running in a thread while the caller goes on; ``result()`` waits for it.

    ``started`` always waits for it before its block ends: a loky start-up still running
    when the interpreter shuts down can hang the exit (a run of one series did). After a
    Ctrl-C it waits ``STOP_SECONDS`` at most: a Ctrl-C 0.7-0.9 s into a Dask run could
    leave the start-up stuck for good (its imports waiting for Python's import lock), and
    the command with it. So the thread is a daemon, which the exit does not wait for.
    """

    def __init__(self, func: Callable, *args, name: str = "cropcast-start", start: bool = True):
        """``start=False``: the caller starts it (``start()``), inside its own ``try``."""
        import threading
        from concurrent.futures import Future

        self._future: Future = Future()
        #: Set as the thread begins: a Ctrl-C landing in ``start()`` may come after it.
        self.began = threading.Event()

        def run() -> None:
            self.began.set()
            try:
                self._future.set_result(func(*args))
            except BaseException as exc:  # the caller's result() raises it
                self._future.set_exception(exc)

        self._thread = threading.Thread(target=run, name=name, daemon=True)
        if start:
            self.start()

    def start(self) -> None:
        self._thread.start()

    def result(self, timeout: float | None = None):
        return self._future.result(timeout)


#: After a Ctrl-C, how long a command waits for its workers' start-up to finish (so as to
#: close what it started) before it leaves without.
STOP_SECONDS = 5.0


def _finish_start(start: _Background, wait: float | None, close: bool) -> None:
    """Wait for ``start`` (``wait`` seconds at most) and close what it started if
    ``close``; a start-up that failed has nothing to close (the run said why)."""
    try:
        started_ = start.result(wait)
    except TimeoutError:
        log.warning("the workers' start-up was still running %g s after Ctrl-C: left", wait)
        # Left running: Dask's own exit handler would wait 10 s more to close the cluster
        # that never started.
        spec = sys.modules.get("distributed.deploy.spec")
        close_clusters = getattr(spec, "close_clusters", None)  # None: still being imported
        if close_clusters is not None:
            atexit.unregister(close_clusters)
        return
    except Exception:
        return
    if close:
        with suppress(Exception):
            started_.close()


def _start_fork_server(modules: tuple[str, ...]) -> None:
    """Start the fork server now with ``modules`` preloaded (Linux; a no-op elsewhere).

    It imports them in its own process while this one reads its data; workers forked from
    it start with everything loaded. A server already running keeps the modules it has
    (the preload list is read once), and its workers import the rest themselves.
    """
    if _process_context() != "forkserver":
        return
    import multiprocessing
    import signal
    from multiprocessing import forkserver, resource_tracker

    multiprocessing.get_context("forkserver").set_forkserver_preload(
        ["forecast.fork_server", "forecast.engine", *modules]
    )
    # A terminal's Ctrl-C goes to the whole process group. The server only ignores SIGINT
    # once its preload is imported (seconds, while this process reads its file), so a
    # Ctrl-C then printed its KeyboardInterrupt traceback; and the processes it forks (the
    # loky workers, Dask's worker processes) printed theirs. SIGINT is blocked while it is
    # spawned: it and everything forked from it inherit the mask and never see a Ctrl-C;
    # this process alone handles it and stops them. A Ctrl-C meanwhile is held, not lost:
    # it is delivered here when the mask is restored. The resource tracker is started
    # first: starting it unblocks SIGINT (its own spawn blocks and then unblocks it).
    resource_tracker.ensure_running()
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        forkserver.ensure_running()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _local_cluster(distributed, workers: int):
    """A LocalCluster of ``workers`` single-thread processes.

    A worker that dies while the cluster starts (killed, out of memory) fails the whole
    start ("Nanny failed to start"), which ended the run with "unexpected RuntimeError":
    the start is tried once more (with a note), then it is one error line.
    """
    for attempt in (1, 2):
        try:
            return distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=":0",
                silence_logs=logging.CRITICAL,
            )
        except RuntimeError as exc:
            if not _a_worker_died(exc):  # a preload that fails, a bad setting: as it was
                raise
            if attempt == 2:
                raise CropcastError(
                    f"the local Dask cluster did not start, twice: {str(exc).rstrip('.')}",
                    "--engine dask",
                    "Run again, or use --engine processes",
                ) from None
            log.warning("a Dask worker died as the cluster started (%s): started it again", exc)


def _a_worker_died(exc: BaseException) -> bool:
    """Whether a LocalCluster's failed start was a worker process's death: Dask says
    "Nanny failed to start." for any failure (a missing preload module too), and "Nanny
    failed to start worker process" under it when the process was not running."""
    seen: BaseException | None = exc
    while seen is not None:
        if str(seen).startswith("Nanny failed to start worker process"):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _open_local_cluster(n_jobs: int, modules: tuple[str, ...]) -> _DaskPool:
    pool = _DaskPool(n_jobs, None).__enter__()
    pool.warm(modules)
    return pool


def _import_modules(modules: tuple[str, ...]) -> None:
    """Worker side: import what the jobs will need (a missing optional library is skipped)."""
    import importlib

    from threadpoolctl import threadpool_limits

    for name in modules:
        with suppress(ImportError):
            importlib.import_module(name)
    _freeze_imports()
    threadpool_limits(limits=1)


_frozen = False


def _freeze_imports() -> None:
    """Worker side, once: hide what is loaded so far from the garbage collector.

    pandas, scipy and statsmodels leave about 120,000 objects that live as long as the
    worker, and every full collection walks them all: 70 ms or more. loky forces one
    after a worker's first task, which held each worker's first series back by 0.2 s.
    Frozen objects are still freed when nothing refers to them; only the cycle search
    skips them. Never in the caller's own process (a Dask cluster of threads in it).
    """
    global _frozen
    import gc
    import multiprocessing

    if not _frozen and multiprocessing.parent_process() is not None:
        gc.freeze()
        _frozen = True


# --- in this process -----------------------------------------------------------------------


def _run_local(func, items: Iterator, on_error) -> Iterator:
    from contextlib import ExitStack

    from threadpoolctl import threadpool_limits

    # The same one-thread BLAS as the workers, so every engine gives the same numbers and
    # `--jobs 1` uses one core; restored afterwards, since this process is the caller's.
    with ExitStack() as limits:
        limits.enter_context(threadpool_limits(limits=1))
        loaded = len(sys.modules)
        for item in items:
            try:
                result = func(item)
            except Exception as exc:
                if on_error is None:
                    raise
                result = on_error(item, exc)
            if len(sys.modules) != loaded:
                # The job imported libraries (statsmodels brings scipy's own OpenBLAS), which
                # a limit only covers if they were loaded when it was set: set it again.
                limits.enter_context(threadpool_limits(limits=1))
                loaded = len(sys.modules)
            yield result


# --- in workers ------------------------------------------------------------------------------


@dataclass
class _Failure:
    """An error a job raised in a worker, shipped back as data with its traceback text."""

    error: BaseException
    trace: str


class RemoteTraceback(Exception):
    """The traceback of an error raised in a worker (set as the ``__cause__`` re-raised)."""

    def __str__(self) -> str:
        return f"\n\n{self.args[0]}"


def _failure(exc: Exception) -> _Failure:
    import pickle

    trace = traceback.format_exc()
    try:  # an exception that does not pickle must not lose the rest of its chunk
        pickle.dumps(exc)
    except Exception:
        exc = RuntimeError(f"{type(exc).__name__}: {exc}")
    return _Failure(exc, trace)


def _run_chunk(func, chunk: list) -> tuple[list, float]:
    """Worker side: run ``func`` on each item of a chunk; errors become ``_Failure`` values."""
    from threadpoolctl import threadpool_limits

    # Pinned for good in the worker (not restored): every library loaded so far, whatever
    # started the worker (loky, a Dask nanny, `dask worker` on another machine).
    threadpool_limits(limits=1)
    _freeze_imports()  # a worker that missed the warm-up task (it went to the other one)
    start = time.perf_counter()
    out = []
    for item in chunk:
        try:
            out.append(func(item))
        except Exception as exc:
            out.append(_failure(exc))
    return out, time.perf_counter() - start


class _ChunkSizer:
    """Items per chunk: fixed, or grown until a chunk takes about ``target`` seconds.

    When the number of items is known (``total``), chunks also shrink as the run nears its
    end, to at most a ``1 / (2 * workers)`` share of the items not yet sent (guided
    self-scheduling): otherwise the last big chunk of long series keeps one worker busy for
    a second while the others have finished.
    """

    def __init__(
        self, fixed: int | None, target: float = 0.3, total: int | None = None, workers: int = 1
    ):
        self.fixed = fixed
        self.target = target
        self.total = total
        self.workers = workers
        self.sent = 0
        self.per_item: float | None = None

    def size(self) -> int:
        if self.fixed is not None:
            return self.fixed
        if self.per_item is None:
            return 1  # nothing measured yet: one series a task balances best
        size = max(1, min(MAX_CHUNK, int(self.target / max(self.per_item, 1e-6))))
        if self.total is not None:
            left = max(self.total - self.sent, 0)
            size = min(size, max(1, -(-left // (2 * self.workers))))
        return size

    def sent_chunk(self, n_items: int) -> None:
        self.sent += n_items

    def record(self, n_items: int, seconds: float) -> None:
        per_item = seconds / max(n_items, 1)
        # The first chunk in a worker pays for lazy imports; a moving average forgets it.
        self.per_item = per_item if self.per_item is None else 0.7 * self.per_item + 0.3 * per_item


@dataclass
class _Chunk:
    items: list
    attempts: int = 0  # worker deaths these items have already been through


def _run_pool(
    pool, func, source: Iterator, sizer: _ChunkSizer, retries: int, on_error, series_in=None
):
    """The loop shared by process pools: keep workers fed, stream results, retry the lost."""

    def series(items: list) -> int:
        return len(items) if series_in is None else sum(map(series_in, items))

    in_flight: dict[Any, _Chunk] = {}
    suspects: deque[tuple[Any, int]] = deque()  # items whose worker died, with attempts so far
    exhausted = False
    death = None  # what the first lost task raised (loky loses every task in flight at once)
    held = 0  # the items the lost tasks held on their first attempt
    retried = False  # whether any of them was run again
    no_worker = None  # the NoWorkerError of items never run: the cluster had no worker
    unrun = 0  # how many items that was
    try:
        while True:
            while len(in_flight) < pool.max_in_flight:
                if not exhausted:
                    chunk = list(islice(source, sizer.size()))
                    sizer.sent_chunk(len(chunk))
                    if chunk:
                        in_flight[pool.submit(_run_chunk, func, chunk)] = _Chunk(chunk)
                        continue
                    exhausted = True
                # Suspects go one a task, one at a time, after the rest: a second death
                # then names its series, and the bystanders of the first (the other tasks
                # running or queued in the dead worker, or with loky the whole pool) are
                # not blamed.
                if suspects and exhausted and not in_flight:
                    item, attempts = suspects.popleft()
                    in_flight[pool.submit(_run_chunk, func, [item])] = _Chunk([item], attempts)
                    continue
                break
            if not in_flight:
                return
            for future in pool.wait(list(in_flight)):
                chunk = in_flight.pop(future)
                error = pool.error_of(future)
                if error is None:
                    results, seconds = future.result()
                    if chunk.attempts == 0:
                        sizer.record(len(chunk.items), seconds)
                    for item, result in zip(chunk.items, results, strict=True):
                        if isinstance(result, _Failure):
                            result = _handle_failure(item, result, on_error)
                        yield result
                elif isinstance(error, NoWorkerError):  # never ran: no worker died under it
                    no_worker = error
                    unrun += series(chunk.items)
                    for item in chunk.items:
                        if on_error is None:
                            raise error
                        yield on_error(item, error)
                elif pool.is_worker_death(error):
                    pool.after_death()
                    attempts = chunk.attempts + 1
                    death = death or type(error).__name__
                    held += series(chunk.items) if chunk.attempts == 0 else 0
                    # No retry on a cluster with no worker left: it would wait again.
                    again = 0 if pool.workerless else retries
                    for item in chunk.items:
                        if attempts <= again:
                            suspects.append((item, attempts))
                            retried = True
                            continue
                        # Out of memory, or a crash in C code: the job cannot say which.
                        lost = WorkerLostError(
                            f"its worker process died on each of {attempts} attempts "
                            f"({type(error).__name__})"
                        )
                        if on_error is None:
                            raise lost from error
                        yield on_error(item, lost)
                else:
                    raise pool.explain(error) from error
    finally:
        for future in in_flight:
            future.cancel()
        if death:
            log.warning(
                "a worker process died during the run (%s: out of memory, or a crash in C "
                "code); the %d series then in progress were %s",
                death,
                held,
                "run again, one at a time" if retried else "given up (no retries)",
            )
        if no_worker is not None:
            log.warning("%s", no_worker.summary(unrun))


def _handle_failure(item, failure: _Failure, on_error):
    if on_error is None:
        raise failure.error from RemoteTraceback(failure.trace)
    return on_error(item, failure.error)


def _process_context() -> str | None:
    """The start method of the process pool: a fork server on Linux, loky's own elsewhere.

    A fork server imports the models once and forks each worker from itself, ready to
    work; loky's default starts each worker as a fresh interpreter that imports them all
    again (most of a second of CPU a worker). macOS's fork is unsafe with its system
    libraries and Windows has none, so they keep the default.
    """
    import multiprocessing

    if sys.platform.startswith("linux") and "forkserver" in multiprocessing.get_all_start_methods():
        return "forkserver"
    return None


class _LokyPool:
    """Worker processes through loky, the process pool behind joblib.

    A worker death breaks the whole pool: every running task fails with it, and the pool is
    rebuilt before the next submission.
    """

    #: A process pool always has its workers (loky starts new ones after a death).
    workerless = False

    def __init__(self, workers: int):
        self.workers = workers
        self.max_in_flight = IN_FLIGHT_PER_WORKER * workers
        self.executor = None

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        # The reusable executor stays up for the next run (a notebook's second forecast
        # starts warm); its workers exit by themselves after idling.
        self.executor = None

    def _executor(self):
        from joblib.externals.loky import get_reusable_executor

        # The environment is set before a spawned worker imports numpy, which is when
        # OpenBLAS and OpenMP read it; _run_chunk pins whatever else got loaded (in a fork
        # server's workers, everything it preloaded). The fork server is started here if
        # `started` did not start it (alerts, bulletin, plot): loky's own start left it,
        # and the workers, printing tracebacks on a Ctrl-C.
        _start_fork_server(())
        return get_reusable_executor(
            max_workers=self.workers,
            timeout=300,
            env=dict.fromkeys(_BLAS_VARIABLES, "1"),
            context=_process_context(),
        )

    def warm(self, modules: tuple[str, ...]) -> None:
        """Start the workers and have them import ``modules``, without waiting for them."""
        for _ in range(self.workers):
            self.submit(_import_modules, modules)

    def submit(self, fn, *args):
        if self.executor is None:
            self.executor = self._executor()
        return self.executor.submit(fn, *args)

    def wait(self, futures):
        from concurrent.futures import FIRST_COMPLETED, wait

        return wait(futures, return_when=FIRST_COMPLETED).done

    def error_of(self, future) -> BaseException | None:
        return future.exception()

    def is_worker_death(self, error: BaseException) -> bool:
        from concurrent.futures.process import BrokenProcessPool

        return isinstance(error, BrokenProcessPool)

    def after_death(self) -> None:
        self.executor = None  # rebuilt, with fresh workers, at the next submit

    def explain(self, error: BaseException) -> BaseException:
        return error


class _DaskPool:
    """A dask.distributed cluster: the caller's, one at an address, or a LocalCluster.

    The scheduler reschedules a dead worker's tasks by itself; only a task that was on
    ``allowed-failures`` + 1 dying workers fails, with ``KilledWorker``.
    """

    def __init__(self, workers: int, scheduler: Any):
        self.workers = workers
        self.scheduler = scheduler
        self.client = None
        self.cluster = None
        self.own_client = False
        self.max_in_flight = IN_FLIGHT_PER_WORKER * workers
        self.workerless = False  # the cluster was found with no worker left (see wait)
        self.began = None  # the scheduler's clock when the run began (see _churned)
        self.own_cluster = False  # a LocalCluster cropcast started (here or in `started`)

    def __enter__(self):
        import logging

        try:
            import distributed
        except ImportError:
            raise UsageError("dask is not installed", "--engine dask", _INSTALL_DASK) from None
        self.distributed = distributed
        if isinstance(self.scheduler, _Background):  # a LocalCluster `started` is starting
            self.scheduler = self.scheduler.result().client
            self.own_cluster = True
        if isinstance(self.scheduler, distributed.Client):
            self.client = self.scheduler
        elif self.scheduler is not None:
            try:
                self.client = distributed.Client(
                    str(self.scheduler).strip(), timeout=DASK_CONNECT_TIMEOUT, set_as_default=False
                )
            except (OSError, TimeoutError, ValueError) as exc:
                raise CropcastError(
                    f"cannot reach the Dask scheduler: {exc}",
                    f"--scheduler {self.scheduler}",
                    "Start one with 'dask scheduler' and workers with 'dask worker ADDRESS'",
                ) from None
            except Exception as exc:  # something answered, and not as Dask does
                raise UsageError(
                    f"the address answered, but not as a Dask scheduler ({type(exc).__name__})",
                    f"--scheduler {self.scheduler}",
                    "Check the port: 'dask scheduler' prints its address when it starts",
                ) from None
            self.own_client = True
            # Its reconnection attempts are cropcast's to report, in one line (error_of).
            logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
            self._check_workers_run_cropcast()
            with suppress(Exception):  # its clock, not ours: the scheduler's events use it
                self.began = self.client.run_on_scheduler(time.time)
        else:
            import dask

            # One single-thread process per job, like the loky pool. Its HTTP server on
            # any free port (8787 may be taken), and no logging on a command line: a worker
            # that died is cropcast's to report (retried, or one summary line), not Dask's.
            # Workers fork from the fork server where there is one, as the pool's do.
            method = _process_context() or dask.config.get(
                "distributed.worker.multiprocessing-method"
            )
            _start_fork_server(("distributed",))  # deaf to Ctrl-C, if not started already
            with dask.config.set(
                {"distributed.worker.multiprocessing-method": method, **_QUIET_DASK}
            ):
                self.cluster = _local_cluster(distributed, self.workers)
                self.own_cluster = True
            try:
                self.client = distributed.Client(self.cluster, set_as_default=False)
            except BaseException:
                self.cluster.close()
                raise
            self.own_client = True
        self.completed = distributed.as_completed(loop=self.client.loop)
        self.workers_at_start = self.client.nthreads()
        self.max_in_flight = IN_FLIGHT_PER_WORKER * max(sum(self.workers_at_start.values()), 1)
        return self

    def _check_workers_run_cropcast(self) -> None:
        """Refuse a cluster whose workers cannot import cropcast, before any job goes.

        A worker without it does not fail the job: it dies unpickling the message that
        carries it, and the run waited for a worker, then said the cluster had none and to
        start some (the user had). ``importlib.import_module`` is pickled by name, so this
        check reaches a worker without cropcast and comes back as its ImportError.
        """
        import importlib

        try:
            answers = self.client.run(importlib.import_module, __name__, on_error="return")
        except Exception:  # no answer at all: the run's own checks will say what is wrong
            return
        cannot = {
            address: error for address, error in answers.items() if isinstance(error, BaseException)
        }
        if not cannot:
            return
        address, error = sorted(cannot.items())[0]
        which = (
            f"{len(cannot):,} of the {len(answers):,} Dask workers cannot"
            if len(cannot) < len(answers)
            else "the Dask workers cannot"
            if len(answers) > 1
            else "the Dask worker cannot"
        )
        self.close()
        raise CropcastError(
            f"{which} import cropcast ({address}: {type(error).__name__}: {error})",
            f"--scheduler {self.scheduler}",
            "Install cropcast, the same version, where the workers run (see the README's "
            "Dask section), then start them again",
        )

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self._say_lost_workers()
        self.close()

    def close(self) -> None:
        """Close what this pool opened (its client, its LocalCluster), saying nothing.

        The close runs in a thread of its own: a Ctrl-C that lands in Dask's own wait for
        it (the last second of a run, once the output is written) made Dask cancel the
        close half-way, the cluster left 'closing' for good, and Dask's exit handler then
        waited 10 s for it after "interrupted" (3 runs of 3 with a Ctrl-C 0-20 ms after the
        output was written). A Ctrl-C now waits for the close to finish (a second or less,
        STOP_SECONDS at most), then stops the command as usual. One landing as the thread
        starts waits for it too, when it began: left there, the close ran beside Dask's
        own at exit, which printed a traceback (4 runs of 25).
        """
        closing = _Background(self._close, name="cropcast-close", start=False)
        try:
            closing.start()
            closing.result()
        except KeyboardInterrupt:
            if closing.began.wait(0.2):  # it closes: let it finish (a second or less)
                with suppress(Exception):  # its error, or still closing: the Ctrl-C first
                    closing.result(STOP_SECONDS)
            raise

    def _close(self) -> None:
        if self.own_client:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()

    def _say_lost_workers(self) -> None:
        """The scheduler runs a lost worker's tasks again by itself, so a run only sees a
        death when a task outlives ``allowed-failures`` workers: compare the workers now
        with those at the start, and warn as the process pool does."""
        try:
            now = set(self.client.nthreads())
        except Exception:  # a scheduler gone by now has nothing more to say
            return
        gone = set(self.workers_at_start) - now
        # With no worker left, nothing ran their series again: the run's no-worker line
        # says what happened to them (this one said "ran again on the others", of none).
        if gone and now:
            log.warning(
                "%d of the %d Dask workers left during the run (killed, out of memory, or "
                "retired by the cluster); the scheduler ran their series again on the others",
                len(gone),
                len(self.workers_at_start),
            )

    def warm(self, modules: tuple[str, ...]) -> None:
        """Have every worker import ``modules`` now, without waiting for them."""
        # One task pinned to each worker; the futures are kept, or Dask would forget the
        # tasks as soon as they were garbage collected.
        self.warming = [
            self.client.submit(_import_modules, modules, workers=[address], pure=False)
            for address in self.client.scheduler_info()["workers"]
        ]

    def submit(self, fn, *args):
        # pure=False: two equal chunks are still two jobs, never merged by key.
        future = self.client.submit(fn, *args, pure=False)
        self.completed.add(future)
        return future

    def wait(self, futures):
        # Every future in flight was added to `completed` when it was submitted. Waited for
        # as `as_completed` itself waits (a tenth of a second at a time), checking each second
        # that the cluster still has a worker: a cluster left with none hung the run for good,
        # saying nothing. Once found empty, later jobs are given up at once while it stays so.
        alone_since = time.monotonic() - DASK_NO_WORKERS_SECONDS if self.workerless else None
        checked = time.monotonic()
        waiting = set(futures)
        while self.completed.queue.empty():
            now = time.monotonic()
            if alone_since is not None or now - checked >= 1:
                checked = now
                if self._has_workers():
                    alone_since, self.workerless = None, False
                elif alone_since is None:
                    alone_since = now
                elif now - alone_since >= DASK_NO_WORKERS_SECONDS:
                    self.workerless = True
                    for future in futures:
                        future.cancel()
                    return list(futures)
            with self.completed.thread_condition:
                self.completed.thread_condition.wait(timeout=0.1)
        # Only the futures asked about: ones given up earlier come through later, cancelled,
        # and were already answered.
        done = [next(self.completed), *self.completed.next_batch(block=False)]
        return [future for future in done if future in waiting] or self.wait(futures)

    def _has_workers(self) -> bool:
        try:
            return bool(self.client.nthreads())
        except Exception:  # the scheduler is gone: no workers either
            return False

    def error_of(self, future) -> BaseException | None:
        """The future's error; a job given up with no worker left is a :class:`NoWorkerError`
        (never run: no worker died under it), and one the client cancelled (its scheduler
        gone) is said in one line, not as a bug."""
        if self.workerless and future.cancelled():
            return self._no_worker()
        if future.cancelled():
            return CropcastError(
                "lost the Dask scheduler during the run (it stopped, or the network failed)",
                f"--scheduler {self.scheduler}"
                if isinstance(self.scheduler, str)
                else "--engine dask",
                "Check the scheduler and run again",
            )
        return future.exception()

    def _no_worker(self) -> NoWorkerError:
        """What a job given up for want of a worker says: which cluster, what to do."""
        alone = f"had no worker for {DASK_NO_WORKERS_SECONDS:g} s"
        if self.own_cluster:  # its nannies stopped restarting workers that kept dying
            return NoWorkerError(
                f"the Dask cluster cropcast started {alone} (its workers kept dying: out of "
                "memory, or a crash in C code)",
                "Run again with fewer --jobs, or with --engine processes",
            )
        address = self.scheduler.strip() if isinstance(self.scheduler, str) else None
        with suppress(Exception):
            address = address or self.client.scheduler.address
        where = f"at {address} " if address else ""
        churned = self._churned()
        if churned:  # workers came, and died on their first jobs
            return NoWorkerError(
                f"the Dask cluster {where}{alone}: {churned} joined during the run and left "
                "(a worker that cannot import cropcast dies on its first job)",
                "Check 'pip show cropcast' where they run, and their logs, then run again",
            )
        return NoWorkerError(
            f"the Dask cluster {where}{alone}",
            f"Start workers with 'dask worker {address or 'ADDRESS'}' and run again",
        )

    def _churned(self) -> str:
        """The workers that joined the cluster during the run and left it, from the
        scheduler's event log: "1 worker", or "". Workers are asked whether they can import
        cropcast as the run begins (_check_workers_run_cropcast); one started later, without
        it, died on its first job, and the run said only that the cluster had no worker and
        to start some, which the user had."""
        if self.began is None:
            return ""
        try:
            events = self.client.get_events("all")
        except Exception:  # the scheduler is gone: nothing more to learn
            return ""
        joined, left = set(), set()
        for when, event in events:
            if when < self.began or not isinstance(event, dict):
                continue
            if event.get("action") == "add-worker":
                joined.add(event.get("worker"))
            elif event.get("action") == "remove-worker":
                left.add(event.get("worker"))
        n = len(joined & left)
        return f"{n} worker{'s' if n != 1 else ''}" if n else ""

    def is_worker_death(self, error: BaseException) -> bool:
        return isinstance(error, self.distributed.KilledWorker)

    def after_death(self) -> None:
        pass

    def explain(self, error: BaseException) -> BaseException:
        if isinstance(error, ModuleNotFoundError) and "forecast" in str(error):
            return CropcastError(
                f"a Dask worker cannot run cropcast jobs ({error})",
                "--engine dask",
                "Install cropcast, the same version, where the workers run",
            )
        return error


__all__ = [
    "ENGINES",
    "RemoteTraceback",
    "NoWorkerError",
    "WorkerLostError",
    "check_engine",
    "default_jobs",
    "run_jobs",
    "started",
]
