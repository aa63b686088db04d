"""Run per-series jobs: in process, or in worker processes (joblib/loky).

Per-series fitting is embarrassingly parallel. A job carries only its own series, so the
whole table is never pickled per task, and results stream back as they finish so a progress
bar can follow them. Each worker is pinned to one BLAS thread: with one process per core,
more threads only fight over the same cores.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from forecast.errors import UsageError

ENGINES = ("local", "processes")


def default_jobs() -> int:
    """All the cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS, Windows
        return os.cpu_count() or 1


def run_jobs(
    func: Callable[[Any], Any],
    items: Iterable[Any],
    *,
    engine: str = "processes",
    n_jobs: int | None = None,
) -> Iterator[Any]:
    """Yield ``func(item)`` for every item, in completion order.

    ``func`` must be a module-level function and must not raise for a bad series: it returns
    its error as data, so one odd series never stops a batch.
    """
    if engine not in ENGINES:
        raise UsageError(
            f"unknown engine '{engine}'", "--engine", f"Choose one of: {', '.join(ENGINES)}"
        )
    n_jobs = default_jobs() if n_jobs is None else n_jobs
    if n_jobs < 1:
        raise UsageError(f"--jobs {n_jobs} must be at least 1", "--jobs", "Use e.g. --jobs 2")
    items = list(items)
    if engine == "local" or n_jobs == 1 or len(items) <= 1:
        from threadpoolctl import threadpool_limits

        # The same one-thread BLAS as the workers, so every engine gives the same numbers.
        with threadpool_limits(limits=1):
            for item in items:
                yield func(item)
        return
    from joblib import Parallel, delayed, parallel_config

    with parallel_config(backend="loky", inner_max_num_threads=1):
        parallel = Parallel(n_jobs=min(n_jobs, len(items)), return_as="generator_unordered")
        yield from parallel(delayed(func)(item) for item in items)
