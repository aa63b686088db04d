"""forecast.engine: same results on every engine, lazy chunks, no series lost to a dead worker."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast import engine as engine_module
from forecast.engine import WorkerLostError, check_engine, run_jobs
from forecast.errors import CropcastError, UsageError
from forecast.table import KEY, iter_series

# --- job functions (module level, so worker processes can import them) ---------------------


def square(x: int) -> int:
    if x == 7:
        raise ValueError("seven is unlucky")
    return x * x


def slow_square(x: int) -> int:
    time.sleep(0.005)
    return x * x


def kill_on(x: int, victim: int, marker_dir: str | None) -> int:
    """Kill the worker on ``victim``: once (a marker file remembers it), or every time."""
    if x == victim:
        marker = os.path.join(marker_dir, "killed") if marker_dir else None
        if marker is None or not os.path.exists(marker):
            if marker is not None:
                open(marker, "w").close()
            os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.01)
    return x * x


def worker_state(_) -> tuple:
    """What a job sees of its worker: objects hidden from the collector, and Dask's profiler."""
    import gc

    try:
        import dask

        profiling = dask.config.get("distributed.worker.profile.enabled", None)
    except ImportError:
        profiling = None
    return gc.get_freeze_count(), profiling


def lost(item, error) -> tuple:
    return ("lost", item, type(error).__name__)


def kill_then_forecast(item, spec, victim: tuple, marker_dir: str | None):
    from forecast.forecasting import forecast_series

    if item[0] == victim:
        kill_on(0, 0, marker_dir)
    return forecast_series(item, spec)


# --- options -------------------------------------------------------------------------------


def test_bad_options_are_usage_errors():
    with pytest.raises(UsageError, match="unknown engine 'threads'"):
        check_engine("threads")
    with pytest.raises(UsageError, match="at least 1"):
        list(run_jobs(square, [1, 2], engine="processes", n_jobs=0))
    with pytest.raises(UsageError, match="needs the dask engine"):
        check_engine("processes", 2, "tcp://127.0.0.1:8786")


def test_missing_dask_says_how_to_install(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "distributed" else real(name, *a),
    )
    with pytest.raises(UsageError) as info:
        check_engine("dask", 2)
    assert 'pip install "dask[distributed]"' in str(info.value)


def test_importing_the_engine_does_not_import_dask():
    import subprocess
    import sys

    code = "import sys, cli, forecast.engine; print('distributed' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=os.getcwd()
    )
    assert out.stdout.strip() == "False"


_BLAS_IN_JOBS = """
import json, sys
from threadpoolctl import threadpool_info
from forecast.engine import run_jobs
assert "scipy" not in sys.modules  # the first job loads scipy's own OpenBLAS

def job(i):
    import scipy.linalg  # noqa: F401
    return sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})

inside = list(run_jobs(job, range(3), engine="local"))
after = sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
print(json.dumps({"inside": inside, "after": after}))
"""


def test_jobs_in_process_run_blas_on_one_thread_even_for_libraries_a_job_loads():
    """`--jobs 1` must use one core: scipy's OpenBLAS, loaded by the first fit, was left
    at two threads, whose busy-waiting took a second core. The caller's limits come back."""
    import json
    import subprocess
    import sys

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", _BLAS_IN_JOBS], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["inside"][1:] == [[1], [1]]  # after the job that loaded scipy
    assert seen["after"] == [2]


_SINGLE_THREADED = """
import json, sys
from threadpoolctl import threadpool_info
from forecast.models.simple import single_threaded
with single_threaded():
    pass  # a controller made before scipy is loaded
import scipy.linalg  # noqa: F401
with single_threaded():
    inside = sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
after = sorted({p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"})
print(json.dumps({"inside": inside, "after": after, "libraries": len(threadpool_info())}))
"""


def test_a_fit_limits_blas_libraries_loaded_after_the_first_fit():
    import json
    import subprocess
    import sys

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "2"}
    out = subprocess.run(
        [sys.executable, "-c", _SINGLE_THREADED], capture_output=True, text=True, env=env
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["libraries"] >= 2  # numpy's and scipy's OpenBLAS
    assert seen["inside"] == [1]
    assert seen["after"] == [2]


_SLOW_TEARDOWN = """
import forecast.fork_server  # noqa: F401  (as the fork server imports it, first)


class Module:
    def __del__(self):
        print("torn down", flush=True)


kept = Module()  # a module global, torn down at a normal exit
raise SystemExit  # how the fork server leaves when its last client is gone
"""


def test_the_fork_server_leaves_without_tearing_its_modules_down():
    """It holds the command's stdout and stderr: a pipe waited 0.2-0.3 s for its teardown."""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _SLOW_TEARDOWN], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "torn down" not in out.stdout
    plain = subprocess.run(
        [sys.executable, "-c", _SLOW_TEARDOWN.replace("import forecast.fork_server", "pass  #")],
        capture_output=True,
        text=True,
    )
    assert "torn down" in plain.stdout  # the probe does see a teardown when there is one


def test_the_fork_server_preloads_its_quick_exit_first(monkeypatch):
    import multiprocessing

    from forecast import engine

    seen = {}
    context = multiprocessing.get_context("forkserver")
    monkeypatch.setattr(engine, "_process_context", lambda: "forkserver")
    monkeypatch.setattr(type(context), "set_forkserver_preload", lambda self, m: seen.update(m=m))
    monkeypatch.setattr("multiprocessing.forkserver.ensure_running", lambda: None)
    engine._start_fork_server(("statsmodels.tsa.forecasting.theta",))
    assert seen["m"][0] == "forecast.fork_server"
    assert "statsmodels.tsa.forecasting.theta" in seen["m"]


# --- every item exactly once -----------------------------------------------------------------


@pytest.mark.parametrize(
    "engine, n_jobs, chunk_size",
    [("local", None, None), ("processes", 1, None), ("processes", 2, None), ("processes", 2, 3)],
)
def test_every_item_once_and_errors_through_on_error(engine, n_jobs, chunk_size):
    out = list(
        run_jobs(
            square, range(40), engine=engine, n_jobs=n_jobs, chunk_size=chunk_size, on_error=lost
        )
    )
    assert len(out) == 40
    assert ("lost", 7, "ValueError") in out
    assert sorted(v for v in out if isinstance(v, int)) == [x * x for x in range(40) if x != 7]


def test_an_error_without_on_error_is_raised_with_the_worker_traceback():
    with pytest.raises(ValueError, match="unlucky") as info:
        list(run_jobs(square, range(10), engine="processes", n_jobs=2))
    assert "in square" in str(info.value.__cause__)


def test_items_are_read_lazily_in_bounded_chunks():
    """Memory stays flat: only a few chunks of items are ever taken ahead of the results."""
    taken = 0

    def items():
        nonlocal taken
        for x in range(200):
            taken += 1
            yield x

    ahead = []
    for n_done, _ in enumerate(run_jobs(slow_square, items(), n_jobs=2, chunk_size=4), 1):
        ahead.append(taken - n_done)
    # Two workers, two chunks each of four items in flight, plus the look-ahead of two.
    assert max(ahead) <= 2 * 2 * 4 + 2
    assert n_done == 200


def test_chunks_grow_for_fast_jobs_and_stay_single_for_slow_ones():
    sizer = engine_module._ChunkSizer(None)
    assert sizer.size() == 1
    for _ in range(20):
        sizer.record(10, 0.001)  # 0.1 ms a series
    assert sizer.size() == engine_module.MAX_CHUNK
    sizer = engine_module._ChunkSizer(None)
    sizer.record(1, 2.0)  # two seconds a series
    assert sizer.size() == 1


def test_known_length_shrinks_the_last_chunks_so_workers_finish_together():
    sizer = engine_module._ChunkSizer(None, total=100, workers=2)
    sizer.record(1, 0.0001)  # fast: time alone would ship MAX_CHUNK a task
    sizes = []
    while sizer.sent < 100:
        size = min(sizer.size(), 100 - sizer.sent)
        sizes.append(size)
        sizer.sent_chunk(size)
    assert sum(sizes) == 100
    assert sizes[0] == 25  # a quarter of what is left: two workers, two shares each
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-3:] == [1, 1, 1]
    # Unknown length: only the time target counts.
    unsized = engine_module._ChunkSizer(None, workers=2)
    unsized.record(1, 0.0001)
    assert unsized.size() == engine_module.MAX_CHUNK


def test_run_jobs_shrinks_the_last_chunks_of_a_list(monkeypatch):
    sent = []
    record = engine_module._ChunkSizer.sent_chunk

    def spy(self, n_items):
        sent.append((self.total, self.workers, n_items))
        record(self, n_items)

    monkeypatch.setattr(engine_module._ChunkSizer, "sent_chunk", spy)
    items = list(range(10, 310))  # square() refuses 7
    assert sorted(run_jobs(square, items, n_jobs=2)) == [x * x for x in items]
    chunks = [n for _, _, n in sent if n]
    assert {(total, workers) for total, workers, _ in sent} == {(300, 2)}
    assert sum(chunks) == 300
    assert max(chunks) <= -(-300 // 4)  # never more than a quarter of what was left
    assert chunks[-3:] == [1, 1, 1]  # fast jobs, yet single series at the end


def test_iter_series_knows_how_many_series_it_holds():
    table = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01", "2024-03-01"]),
            "commodity": ["Rice", "Rice", "Maize", "Maize"],
            "market": ["A", "A", "B", "B"],
            "price_type": "Retail",
            "unit": "KG",
            "currency": "VND",
            "price": [1.0, 2.0, 3.0, 4.0],
        }
    )
    series = iter_series(table)
    assert len(series) == 2
    assert [key[0] for key, _ in series] == ["Maize", "Rice"]
    assert len(series) == 2  # the number of series, not of those left


# --- a worker dies ---------------------------------------------------------------------------


@pytest.mark.slow
def test_processes_retry_the_series_of_a_killed_worker(tmp_path, caplog):
    job = partial(kill_on, victim=5, marker_dir=str(tmp_path))
    with caplog.at_level("WARNING", logger="forecast.engine"):
        out = list(run_jobs(job, range(30), engine="processes", n_jobs=2, on_error=lost))
    assert (tmp_path / "killed").exists()  # the worker really died once
    assert sorted(out) == [x * x for x in range(30)]
    # Finished, but not silently: the death is said, with what happened to its series.
    deaths = [r.getMessage() for r in caplog.records if "worker process died" in r.getMessage()]
    assert deaths and all("run again, one at a time" in m for m in deaths), deaths


@pytest.mark.slow
def test_processes_report_a_series_that_kills_every_worker_and_keep_the_rest():
    job = partial(kill_on, victim=5, marker_dir=None)
    out = list(run_jobs(job, range(30), engine="processes", n_jobs=2, on_error=lost))
    assert len(out) == 30
    assert ("lost", 5, "WorkerLostError") in out
    # The bystanders of the first death were retried alone, not blamed.
    assert sorted(v for v in out if isinstance(v, int)) == [x * x for x in range(30) if x != 5]


@pytest.mark.slow
def test_without_on_error_a_lost_series_raises():
    job = partial(kill_on, victim=3, marker_dir=None)
    with pytest.raises(WorkerLostError, match="worker process died"):
        list(run_jobs(job, range(8), engine="processes", n_jobs=2))


# --- the parent's share of the work: lean and flat ---------------------------------------------


def _iter_series_by_groupby(prices):
    """iter_series as first written: a groupby (which copies the whole table, sorted)."""
    for key, group in prices.groupby(list(KEY), sort=True, observed=True):
        y = group.set_index("date")["price"].sort_index().astype(float)
        freq = "MS" if y.index.is_month_start.all() else "W-MON"
        y = y.reindex(pd.date_range(y.index[0], y.index[-1], freq=freq))
        y.index.name, y.name = "date", "price"
        yield tuple(key), y


def test_iter_series_gives_what_a_groupby_gives():
    from forecast.datasets import load_default_prices

    prices = load_default_prices()
    weekly = prices[prices["market"] == "An Giang"].copy()
    weekly["date"] = pd.Timestamp("2020-01-06") + pd.to_timedelta(range(len(weekly)), unit="W")
    weekly = weekly.drop(index=weekly.index[5:9]).assign(market="weekly")  # with a gap
    short = prices.groupby(list(KEY)).head(2)
    short = short.assign(market=short["market"] + " (two prices)")
    categorical = prices.astype({"commodity": "category"})
    cases = {
        "embedded": prices,
        "shuffled, weekly, short": pd.concat([prices, weekly, short]).sample(
            frac=1, random_state=0
        ),
        "categorical, unobserved": categorical[categorical["commodity"] != "Rice"],
        "seconds": prices.assign(date=prices["date"].dt.as_unit("s")),
        "empty": prices.iloc[:0],
    }
    for name, table in cases.items():
        expected, got = list(_iter_series_by_groupby(table)), list(iter_series(table))
        assert [k for k, _ in got] == [k for k, _ in expected], name
        for (_, y), (_, want) in zip(got, expected, strict=True):
            pd.testing.assert_series_equal(y, want, check_exact=True, check_freq=True)


def test_forecast_table_gives_what_it_gave_frame_by_frame():
    from forecast.datasets import load_default_prices
    from forecast.forecasting import ForecastSpec, forecast_prices, forecast_table

    prices = load_default_prices()
    lone = prices.tail(1).assign(market="Nowhere")  # one price: a 'last' forecast, NaN ranges
    run = forecast_prices(pd.concat([prices, lone]), ForecastSpec("naive", 6), engine="local")
    frames = []
    for result in run.series:
        frame = result.forecast.copy()
        for name, value in zip(KEY, result.key, strict=True):
            frame[name] = value
        frames.append(frame)
    expected = pd.concat(frames, ignore_index=True)[list(run.forecasts.columns)]
    pd.testing.assert_frame_equal(forecast_table(run.series, (80, 95)), expected)


# --- real series: identical forecasts on every engine -----------------------------------------


@pytest.fixture(scope="module")
def real_prices():
    """Eight embedded series, cut to their last 10 years so fits are quick."""
    from forecast.datasets import load_default_prices

    prices = load_default_prices()
    keys = prices[list(KEY)].drop_duplicates().iloc[::3].head(8)
    chosen = prices.merge(keys, on=list(KEY))
    return chosen[chosen["date"] >= chosen["date"].max() - pd.DateOffset(years=10)]


def _forecasts(prices, model, **engine):
    from forecast.forecasting import ForecastSpec, forecast_prices

    run = forecast_prices(prices, ForecastSpec(model=model, horizon=6), **engine)
    return run.forecasts


@pytest.mark.slow
@pytest.mark.parametrize("model", ["naive", "ets"])
def test_forecasts_match_on_local_and_processes(real_prices, model):
    expected = _forecasts(real_prices, model, engine="local")
    assert expected["forecast"].notna().all()
    for n_jobs in (1, 2):
        got = _forecasts(real_prices, model, engine="processes", n_jobs=n_jobs)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-9)


@pytest.mark.slow
def test_backtest_and_alerts_match_on_local_and_processes(real_prices):
    from forecast.anomaly import latest_alerts, latest_alerts_by_series
    from forecast.backtest import Windows
    from forecast.evaluation import backtest_prices

    def backtest(**engine):
        table, _ = backtest_prices(real_prices, ["naive", "ets"], Windows(6, 2), **engine)
        return table.drop(columns="seconds")

    pd.testing.assert_frame_equal(
        backtest(engine="processes", n_jobs=2), backtest(engine="local"), rtol=1e-9
    )
    expected = latest_alerts(real_prices)
    for engine, n_jobs in (("local", None), ("processes", 2)):
        got = latest_alerts_by_series(real_prices, engine=engine, n_jobs=n_jobs)
        pd.testing.assert_frame_equal(got, expected)


@pytest.mark.slow
def test_a_series_whose_worker_always_dies_gets_naive_and_a_note(real_prices):
    from forecast.forecasting import ForecastSpec, forecast_table, series_failed

    spec = ForecastSpec(model="drift", horizon=6, use_calendar=False)
    items = list(iter_series(real_prices))
    victim = items[2][0]
    job = partial(kill_then_forecast, spec=spec, victim=victim, marker_dir=None)
    out = list(
        run_jobs(
            job, items, engine="processes", n_jobs=2, on_error=partial(series_failed, spec=spec)
        )
    )
    assert sorted(r.key for r in out) == sorted(key for key, _ in items)
    by_key = {r.key: r for r in out}
    assert by_key[victim].model == "naive"
    assert "drift failed (WorkerLostError" in by_key[victim].note
    assert all(r.model == "drift" for key, r in by_key.items() if key != victim)
    assert len(forecast_table(out, spec.levels)) == len(items) * 6


# --- dask ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    import logging

    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        yield client


@pytest.mark.slow
def test_dask_forecasts_match_local(real_prices, dask_client):
    for model in ("naive", "ets"):
        expected = _forecasts(real_prices, model, engine="local")
        got = _forecasts(real_prices, model, engine="dask", scheduler=dask_client)
        pd.testing.assert_frame_equal(got, expected, rtol=1e-9)
    out = list(run_jobs(square, range(20), engine="dask", scheduler=dask_client, on_error=lost))
    assert ("lost", 7, "ValueError") in out and len(out) == 20


@pytest.mark.slow
def test_dask_reschedules_the_series_of_a_killed_worker(tmp_path, dask_client, caplog):
    calm = list(run_jobs(square, range(6), engine="dask", scheduler=dask_client))
    assert len(calm) == 6 and "Dask workers left" not in caplog.text
    job = partial(kill_on, victim=5, marker_dir=str(tmp_path))
    with caplog.at_level("WARNING", logger="forecast.engine"):
        out = list(run_jobs(job, range(30), engine="dask", scheduler=dask_client, on_error=lost))
    assert (tmp_path / "killed").exists()
    assert sorted(out) == [x * x for x in range(30)]
    # Dask ran the lost tasks again by itself: the run still says a worker died.
    assert "1 of the 2 Dask workers left during the run" in caplog.text


@pytest.mark.slow
def test_a_lost_worker_of_the_cluster_a_command_starts_is_said_once(tmp_path, caplog):
    """The run says it; closing the LocalCluster `started` made said it again."""
    pytest.importorskip("distributed")
    from forecast.engine import started

    job = partial(kill_on, victim=3, marker_dir=str(tmp_path))
    with caplog.at_level("WARNING", logger="forecast.engine"), started("dask", 2) as run_on:
        out = list(run_jobs(job, range(12), **run_on, on_error=lost))
    assert sorted(out) == [x * x for x in range(12)]
    assert caplog.text.count("Dask workers left during the run") == 1


@pytest.mark.slow
def test_dask_reports_a_series_that_kills_every_worker(monkeypatch):
    """With no failures allowed by the scheduler, cropcast's own retry and report take over."""
    pytest.importorskip("distributed")
    import dask

    job = partial(kill_on, victim=5, marker_dir=None)
    # The LocalCluster's scheduler runs in this process and reads this setting.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        out = list(run_jobs(job, range(12), engine="dask", n_jobs=2, chunk_size=3, on_error=lost))
    assert len(out) == 12
    assert ("lost", 5, "WorkerLostError") in out
    assert sorted(v for v in out if isinstance(v, int)) == [x * x for x in range(12) if x != 5]


def test_a_bad_scheduler_address_is_one_clear_error(monkeypatch):
    pytest.importorskip("distributed")
    from forecast.errors import CropcastError

    monkeypatch.setattr(engine_module, "DASK_CONNECT_TIMEOUT", "1s")

    with pytest.raises(CropcastError, match="cannot reach the Dask scheduler"):
        list(run_jobs(square, range(4), engine="dask", scheduler="tcp://127.0.0.1:1"))


def test_a_scheduler_that_refuses_is_said_at_once_before_the_file_is_read(tmp_path):
    pytest.importorskip("distributed")
    from forecast.engine import started
    from forecast.errors import CropcastError

    # Refused before the block runs: Dask's own client would retry for 10 s, then say
    # "timed out".
    with (
        pytest.raises(CropcastError, match="connection refused"),
        started("dask", 2, "tcp://127.0.0.1:1"),
    ):
        raise AssertionError("the block ran")
    # From the command line: before the file is read, so none of its notes come first.
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [f"2020-{m:02d}-01,Maize,Old,Retail,KG,XOF,{200 + m}" for m in range(1, 13)]
    rows += [f"2024-{m:02d}-01,Maize,New,Retail,KG,XOF,{250 + m}" for m in range(1, 13)]
    path = tmp_path / "two.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ok = cli("forecast", "-i", path, "-m", "naive", "-q", "-j", "1")
    assert "note:" in ok.stderr  # the old series is noted when the file is read
    refused = cli("forecast", "-i", path, "-q", "--engine", "dask", "--scheduler", "127.0.0.1:1")
    assert refused.exit_code != 0
    assert refused.stderr.startswith("error: --scheduler: cannot reach the Dask scheduler")
    assert "note:" not in refused.stderr and "Traceback" not in refused.output


def test_a_port_that_answers_and_says_nothing_is_not_taken_for_a_scheduler(monkeypatch):
    """--scheduler pointed at the dashboard's HTTP port: Dask's client waited for a
    handshake that never came, for good (its own 10 s timeout did not end it)."""
    pytest.importorskip("distributed")
    import socket

    from forecast.engine import started
    from forecast.errors import CropcastError

    monkeypatch.setattr(engine_module, "SCHEDULER_HANDSHAKE_SECONDS", 0.3)
    with socket.create_server(("127.0.0.1", 0)) as silent:  # accepts, then never writes
        address = f"tcp://127.0.0.1:{silent.getsockname()[1]}"
        with (
            pytest.raises(CropcastError, match="answered, but not as a Dask scheduler") as said,
            started("dask", 2, address),
        ):
            raise AssertionError("the block ran")
        # The option names the wrong port: a usage error, exit 2 (a review's script read 1,
        # "a file that cannot be used", for it).
        assert said.value.exit_code == 2


# --- the command line ------------------------------------------------------------------------


def cli(*args):
    from typer.testing import CliRunner

    from cli import app

    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_engine_options_fail_early_in_one_line(monkeypatch):
    result = cli("forecast", "--engine", "threads", "-q")
    assert result.exit_code == 2
    assert "unknown engine 'threads'" in result.stderr and "Traceback" not in result.output
    result = cli("backtest", "--engine", "processes", "--scheduler", "tcp://10.0.0.5:8786", "-q")
    assert result.exit_code == 2 and "Add --engine dask" in result.stderr

    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "distributed" else real(name, *a),
    )
    for command in ("forecast", "backtest", "alerts", "bulletin", "plot"):
        result = cli(command, "--engine", "dask")
        assert result.exit_code == 2, command
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert lines == [
            "error: --engine dask: dask is not installed. Install it with: "
            'pip install "dask[distributed]"'
        ], command


def test_more_jobs_than_cores_are_cut_to_the_cores(monkeypatch):
    """Review: --jobs 999 on one series started 999 workers: 150 s, gigabytes, and 872
    leaked semaphores when killed."""
    from forecast.commands.shared import engine_options

    monkeypatch.setattr(engine_module, "default_jobs", lambda: 2)
    cut = cli("forecast", "-s", "Cocoa", "-m", "naive", "-q", "--jobs", 999)
    assert cut.exit_code == 0, cut.output
    assert "--jobs" not in cut.stderr  # alerts and one-series runs start no workers anyway
    assert engine_options(None, 999, None, "processes")["n_jobs"] == 2
    assert engine_options(None, 2, None, "processes")["n_jobs"] == 2
    assert engine_options("local", 999, None, "processes")["n_jobs"] == 999  # no workers


def test_cli_alerts_and_bulletin_take_the_engine():
    default = cli("alerts", "--json")
    assert default.exit_code == 0, default.output
    on_engine = cli("alerts", "--json", "--engine", "processes", "--jobs", 2)
    assert on_engine.exit_code == 0, on_engine.output
    assert json.loads(on_engine.stdout) == json.loads(default.stdout)
    bulletin = [
        "bulletin",
        "-s",
        "Rice|An Giang",
        "--as-of",
        "2022-06",
        "-m",
        "naive",
        "-q",
        "-f",
        "txt",
    ]
    local = cli(*bulletin, "--engine", "local")
    processes = cli(*bulletin, "--engine", "processes", "--jobs", 2)
    assert local.exit_code == 0 and processes.exit_code == 0, local.output + processes.output
    assert local.stdout == processes.stdout


def test_cli_summarises_short_and_failed_series_apart_at_the_end(tmp_path, monkeypatch):
    from forecast import forecasting
    from forecast.datasets import load_default_prices

    prices = load_default_prices()
    rice = prices[(prices["market"] == "An Giang") & (prices["date"] >= "2015-01-01")]
    lone = rice.tail(1).assign(market="Nowhere")  # one price: no model can fit it
    broken = rice.assign(market="Broken", price=rice["price"] * 3)  # its model will fail
    marker = float(broken["price"].iloc[-1])
    path = tmp_path / "in.csv"
    pd.concat([rice, lone, broken]).to_csv(path, index=False)
    fit_predict = forecasting._fit_predict

    def failing(name, y, *args, **kwargs):
        if name == "ets" and y.dropna().iloc[-1] == pytest.approx(marker):
            raise RuntimeError("the optimiser gave up")
        return fit_predict(name, y, *args, **kwargs)

    monkeypatch.setattr(forecasting, "_fit_predict", failing)
    result = cli("forecast", "-i", path, "-m", "ets", "--jobs", 1, "-q", "-o", tmp_path / "f.csv")
    assert result.exit_code == 0, result.output
    lines = result.stderr.strip().splitlines()[-2:]
    assert lines[0].startswith("note: 1 of 3 series is too short to forecast (one price)"), lines
    assert "Rice | Nowhere" in lines[0]
    assert lines[1].startswith("1 of 3 series failed: Rice | Broken"), lines
    assert "ets failed (RuntimeError: the optimiser gave up); used naive" in lines[1]
    assert len(pd.read_csv(tmp_path / "f.csv")) == 3 * 12  # every series is still there


@pytest.mark.slow
def test_cli_forecasts_match_on_one_two_jobs_and_dask(real_prices, tmp_path):
    """The issue's check: --jobs 1, --jobs 2 and --engine dask --jobs 2 write the same file."""
    pytest.importorskip("distributed")
    path = tmp_path / "in.csv"
    real_prices.to_csv(path, index=False)
    outputs = []
    for i, options in enumerate((["--jobs", 1], ["--jobs", 2], ["--engine", "dask", "--jobs", 2])):
        out = tmp_path / f"f{i}.csv"
        result = cli("forecast", "--input", path, "-m", "ets", *options, "--quiet", "-o", out)
        assert result.exit_code == 0, result.output
        outputs.append(pd.read_csv(out))
    for other in outputs[1:]:
        pd.testing.assert_frame_equal(other, outputs[0], rtol=1e-9)


# --- warm starts -------------------------------------------------------------------------------


@pytest.mark.slow
def test_started_pool_gives_the_same_forecasts_as_a_cold_one(real_prices):
    from forecast.engine import started
    from forecast.models import model_imports

    expected = _forecasts(real_prices, "ets", engine="local")
    with started("processes", 2, None, model_imports("ets")) as run_on:
        assert run_on == {"engine": "processes", "n_jobs": 2, "scheduler": None}
        got = _forecasts(real_prices, "ets", **run_on)
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9)


def test_workers_hide_their_imports_from_the_collector_and_the_caller_does_not():
    import gc

    states = list(run_jobs(worker_state, range(8), engine="processes", n_jobs=2, chunk_size=1))
    # Every worker, whether or not a warm-up task reached it: pandas alone is thousands.
    assert all(frozen > 1000 for frozen, _ in states)
    assert list(run_jobs(worker_state, range(2), engine="local"))[0][0] == gc.get_freeze_count()
    assert gc.get_freeze_count() == 0


@pytest.mark.slow
def test_the_local_cluster_cropcast_starts_runs_without_dask_housekeeping():
    pytest.importorskip("distributed")
    from forecast.engine import started

    with started("dask", 2, None, ("forecast.models.simple",)) as run_on:
        states = list(run_jobs(worker_state, range(6), **run_on, chunk_size=1))
        client = run_on["scheduler"].result().client
        extensions = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.extensions))
    assert states and all(frozen > 1000 and profiling is False for frozen, profiling in states)
    assert "stealing" not in extensions and "events" in extensions  # seen, and not stealing


@pytest.mark.slow
def test_started_local_cluster_runs_jobs_and_closes_after_the_block(real_prices):
    pytest.importorskip("distributed")
    from forecast.engine import started

    expected = _forecasts(real_prices, "naive", engine="local")
    with started("dask", 2, None, ("forecast.models.simple",)) as run_on:
        pending = run_on["scheduler"]
        got = _forecasts(real_prices, "naive", **run_on)
        pool = pending.result()
        assert sum(pool.client.nthreads().values()) == 2
    pd.testing.assert_frame_equal(got, expected, rtol=1e-9)
    assert pool.cluster.status.name == "closed"


def test_a_ctrl_c_as_the_local_cluster_closes_stops_the_command_with_it_closed():
    """A Ctrl-C as a Dask run ended (0-20 ms after it wrote its output) landed in Dask's
    wait for the cluster's close, which Dask then cancelled half-way: the cluster stayed
    'closing' for good, and Dask's exit handler waited 10 s for it after "interrupted"
    (3 runs of 3). The close now finishes, then the Ctrl-C stops the command."""
    pytest.importorskip("distributed")
    import threading
    from contextlib import suppress

    pool = engine_module._open_local_cluster(1, ())
    real_close = pool.cluster._close
    main = threading.main_thread().ident

    async def close_with_ctrl_c():  # pressed as Dask starts closing the cluster
        # To the main thread, as a terminal's is handled there: it wakes Dask's wait.
        signal.pthread_kill(main, signal.SIGINT)
        return await real_close()

    pool.cluster._close = close_with_ctrl_c
    live = signal.signal(signal.SIGINT, signal.default_int_handler)  # even under `pytest &`
    try:
        start = time.monotonic()
        with pytest.raises(KeyboardInterrupt):
            pool.close()
        assert time.monotonic() - start < engine_module.STOP_SECONDS
    finally:
        signal.signal(signal.SIGINT, live)
        del pool.cluster._close  # pressed once
        if pool.cluster.status.name != "closed":  # what Dask's exit handler waited 10 s for
            with suppress(Exception):
                pool.cluster.close(timeout=1)
    assert pool.cluster.status.name == "closed"


def test_a_ctrl_c_as_the_close_thread_starts_waits_for_the_close(monkeypatch):
    """A Ctrl-C landing in the close thread's own start (after the thread began) left the
    close running beside Dask's own at exit, which printed a traceback (4 runs of 25)."""
    pytest.importorskip("distributed")
    import threading

    pool = engine_module._open_local_cluster(1, ())
    real_start = threading.Thread.start

    def start_then_ctrl_c(thread):
        real_start(thread)
        if thread.name == "cropcast-close":
            raise KeyboardInterrupt  # as the terminal's would, in start()'s wait

    monkeypatch.setattr(threading.Thread, "start", start_then_ctrl_c)
    try:
        with pytest.raises(KeyboardInterrupt):
            pool.close()
        closed = pool.cluster.status.name
    finally:
        monkeypatch.undo()
        if pool.cluster.status.name != "closed":
            pool.cluster.close(timeout=1)
    assert closed == "closed"


def test_a_cluster_that_fails_to_start_fails_the_run_once(monkeypatch):
    pytest.importorskip("distributed")
    from forecast.engine import started

    def broken(n_jobs, modules):
        raise OSError("no ports left")

    monkeypatch.setattr(engine_module, "_open_local_cluster", broken)
    # Raised once, by the run; leaving the block does not raise it again.
    with pytest.raises(OSError, match="no ports left"), started("dask", 2) as run_on:
        list(run_jobs(square, range(3), **run_on))


def test_started_checks_its_options_before_starting_anything():
    from forecast.engine import started

    with pytest.raises(UsageError, match="--jobs 0"), started("processes", 0):
        pass
    with pytest.raises(UsageError, match="unknown engine"), started("threads", 2):
        pass


@pytest.mark.slow
def test_a_dask_cluster_left_with_no_worker_ends_the_run_with_its_series_reported(monkeypatch):
    """A LocalCluster whose nannies stopped restarting workers that kept dying hung the run
    for good, saying nothing: now, after a while with no worker, the series in flight and
    the rest are reported lost (each through on_error), and the run ends."""
    distributed = pytest.importorskip("distributed")
    import logging

    monkeypatch.setattr(engine_module, "DASK_NO_WORKERS_SECONDS", 2.0)
    with (
        distributed.LocalCluster(
            n_workers=0, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as client,
    ):
        start = time.monotonic()
        out = list(run_jobs(square, range(9), engine="dask", scheduler=client, on_error=lost))
    assert sorted(out) == sorted(("lost", x, "NoWorkerError") for x in range(9))
    assert time.monotonic() - start < 30


def test_workers_gone_with_none_left_are_not_said_to_have_been_replaced(caplog):
    """A review killed every worker: "2 of the 2 Dask workers left during the run ...; the
    scheduler ran their series again on the others", of none, beside the no-worker line."""

    class Client:
        def __init__(self, workers):
            self.workers = workers

        def nthreads(self):
            return self.workers

    pool = engine_module._DaskPool(2, "tcp://10.0.0.5:8786")
    pool.workers_at_start = {"tcp://a:1": 1, "tcp://b:1": 1}
    with caplog.at_level("WARNING", logger="forecast.engine"):
        pool.client = Client({})
        pool._say_lost_workers()
        assert "left during the run" not in caplog.text
        pool.client = Client({"tcp://b:1": 1, "tcp://c:1": 1})  # one restarted by its nanny
        pool._say_lost_workers()
    assert "1 of the 2 Dask workers left during the run" in caplog.text


def test_no_worker_names_the_cluster_and_what_to_do(monkeypatch):
    """An address the user gave: start workers there. The LocalCluster cropcast started
    has no address to give: its workers kept dying and were not restarted."""
    monkeypatch.setattr(engine_module, "DASK_NO_WORKERS_SECONDS", 20.0)
    given = engine_module._DaskPool(2, " tcp://10.0.0.5:8786 ")._no_worker()
    assert isinstance(given, WorkerLostError) and given.exit_code == 1
    assert given.summary(3) == (
        "the Dask cluster at tcp://10.0.0.5:8786 had no worker for 20 s, so 3 series were "
        "not run: start workers with 'dask worker tcp://10.0.0.5:8786' and run again"
    )
    own = engine_module._DaskPool(2, None)
    own.own_cluster = True
    assert own._no_worker().summary(1) == (
        "the Dask cluster cropcast started had no worker for 20 s (its workers kept dying: "
        "out of memory, or a crash in C code), so 1 series was not run: run again with "
        "fewer --jobs, or with --engine processes"
    )


@pytest.mark.slow
def test_a_scheduler_with_no_worker_is_said_as_such_not_as_a_worker_death(monkeypatch, tmp_path):
    """No worker ever ran a series, and none was run again: the run said "a worker process
    died ... were run again, one at a time", each series "died on each of 1 attempts", and
    never that the cluster had no worker. Now one line each says so, and what to do; the
    series still get naive and the file is written, but the command exits 75 (try again
    later): a review's script published a file of naive stand-ins on exit 0."""
    distributed = pytest.importorskip("distributed")
    import logging

    monkeypatch.setattr(engine_module, "DASK_NO_WORKERS_SECONDS", 2.0)
    out = tmp_path / "f.csv"
    with distributed.LocalCluster(
        n_workers=0, processes=True, dashboard_address=":0", silence_logs=logging.ERROR
    ) as cluster:
        address = cluster.scheduler_address
        result = cli("forecast", "-o", out, "--engine", "dask", "--scheduler", address, "-q")
        # A bulletin of naive stand-ins is no outlook to send farmers: none is made.
        page = tmp_path / "b.md"
        args = ("bulletin", "-s", "Rice", "-m", "naive", "--scheduler", address, "-q", "-o", page)
        bulletin = cli(*args)
        # Nor a chart of one, nor "no series could be scored" for alerts, exit 0.
        plot = cli("plot", "-s", "Rice|An Giang", "--scheduler", address, "-q", "-o", tmp_path)
        alerts = cli("alerts", "-s", "Rice", "--scheduler", address)
        scored = tmp_path / "bt.csv"
        backtest = cli("backtest", "-s", "Rice|An Giang", "--scheduler", address, "-o", scored)
    assert bulletin.exit_code == 75, bulletin.output
    said = bulletin.stderr.strip().splitlines()  # the run's note of the cluster, then why
    assert said[-1].startswith("error: 3 of 3 series were not run") and len(said) == 2
    assert said[-1].endswith("so no bulletin was made. Run again when the cluster has workers, "
                             "or without --scheduler and --engine dask")  # fmt: skip
    assert plot.exit_code == 75 and "so no chart was drawn" in plot.stderr, plot.output
    assert not list(tmp_path.glob("*.png"))
    assert alerts.exit_code == 75 and "so no alert was computed" in alerts.stderr, alerts.output
    assert backtest.exit_code == 75, backtest.output
    assert "so nothing was backtested" in backtest.stderr and not scored.exists()
    assert not page.exists()
    assert result.exit_code == 75, result.output
    assert "worker process died" not in result.stderr
    assert "died on each" not in result.stderr and "run again, one at a time" not in result.stderr
    lines = result.stderr.strip().splitlines()
    n_series = len(pd.read_csv(out).groupby(list(KEY)))
    assert n_series > 1
    # One line for the run (besides the embedded data's own notes), one for the series.
    assert (
        f"note: the Dask cluster at {address} had no worker for 2 s, so {n_series} series "
        f"were not run: start workers with 'dask worker {address}' and run again"
    ) in lines
    failed = [line for line in lines if line.startswith(f"{n_series} of {n_series} series")]
    assert len(failed) == 1 and failed[0].startswith(f"{n_series} of {n_series} series not run: ")
    assert (
        f"not run (NoWorkerError: the Dask cluster at {address} had no worker for 2 s, so "
        f"the series was not run. Start workers with 'dask worker {address}' and run again); "
        "used naive"
    ) in failed[0]


@pytest.mark.slow
def test_workers_that_cannot_import_cropcast_are_said_before_any_series_goes(tmp_path):
    """A worker without cropcast died unpickling its first job; the run waited 20 s, then
    said the cluster had no worker and to start some (exit 75), where the user had started
    them. Now the workers are asked first, and the command stops in one line (exit 1)."""
    distributed = pytest.importorskip("distributed")
    import logging

    # The worker process cannot import cropcast, as on a machine where it is not installed.
    hide = tmp_path / "without_cropcast.py"
    hide.write_text("import sys\nsys.modules['forecast'] = None\n")
    out = tmp_path / "f.csv"
    with distributed.LocalCluster(
        n_workers=1, processes=True, dashboard_address=":0", silence_logs=logging.ERROR,
        preload=[str(hide)],
    ) as cluster:  # fmt: skip
        address = cluster.scheduler_address
        start = time.monotonic()
        result = cli("forecast", "-o", out, "--engine", "dask", "--scheduler", address, "-q")
        took = time.monotonic() - start
        alive = len(cluster.scheduler_info["workers"])
    assert result.exit_code == 1, result.output
    said = result.stderr.strip().splitlines()[-1]
    assert said.startswith(f"error: --scheduler {address}: the Dask worker cannot import cropcast")
    assert "ModuleNotFoundError" in said and said.endswith("then start them again")
    assert not out.exists() and took < 15  # before any series, not after 20 s of waiting
    assert alive == 1  # and the worker was not killed by the question


@pytest.mark.slow
def test_a_worker_without_cropcast_that_joins_during_the_run_is_said(monkeypatch, tmp_path):
    """Re-review: workers are asked whether they can import cropcast as the run begins; one
    started a few seconds later, without it, died on its first job, and the run said the
    cluster had no worker and to start some (exit 75), the user having just started one.
    The scheduler's event log tells: the no-worker line names the worker that came and
    went, and what to check."""
    import threading

    distributed = pytest.importorskip("distributed")
    import logging

    monkeypatch.setattr(engine_module, "DASK_NO_WORKERS_SECONDS", 2.0)
    hide = tmp_path / "without_cropcast.py"
    hide.write_text("import sys\nsys.modules['forecast'] = None\n")
    out = tmp_path / "f.csv"
    with distributed.LocalCluster(
        n_workers=0, processes=True, dashboard_address=":0", silence_logs=logging.ERROR,
        preload=[str(hide)],
    ) as cluster:  # fmt: skip
        address = cluster.scheduler_address
        args = ("forecast", "-s", "Rice|An Giang", "-m", "naive", "-q", "--no-archive")
        done = {}
        command = threading.Thread(
            target=lambda: done.update(result=cli(*args, "-o", out, "--scheduler", address))
        )
        command.start()
        time.sleep(1.5)  # the run has begun, with no worker: the check found none to ask
        cluster.scale(1)
        command.join(120)
    result = done["result"]
    assert result.exit_code == 75, result.output
    said = " ".join(result.stderr.split())
    assert (
        f"note: the Dask cluster at {address} had no worker for 2 s: 1 worker joined during "
        "the run and left (a worker that cannot import cropcast dies on its first job), so 1 "
        "series was not run: check 'pip show cropcast' where they run, and their logs, then "
        "run again"
    ) in said, said


@pytest.mark.parametrize("command", ["alerts", "bulletin", "plot"])
def test_commands_without_early_workers_say_a_refusing_scheduler_at_once(command, tmp_path):
    """alerts, bulletin and plot read the file, then waited 10 s for Dask's client to say
    "timed out", where the port had refused at once."""
    pytest.importorskip("distributed")
    from cli_checks import one_error_line, run

    start = time.monotonic()
    result = run(command, "--scheduler", "tcp://127.0.0.1:1", "-q")
    assert result.exit_code == 1 and one_error_line(result), result.output
    assert "cannot reach the Dask scheduler" in result.stderr
    assert time.monotonic() - start < 8


@pytest.mark.slow
def test_ctrl_c_twice_stops_a_run_on_workers_at_once_in_one_line(tmp_path):
    """A terminal's Ctrl-C reaches the whole process group, and users press it twice: the
    second landed in the worker pool's shutdown, printed four tracebacks and the process
    waited for good on workers nobody had told to stop (6 runs of 7)."""
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    months = pd.date_range("2010-01-01", periods=150, freq="MS")
    rng = np.random.default_rng(5)
    for market in range(300):  # a run of 20 s or more on two cores
        level = 100 * np.exp(np.cumsum(rng.normal(0, 0.03, len(months))))
        rows += [
            f"{d:%Y-%m-%d},Rice,M{market},Retail,KG,THB,{p:.2f}"
            for d, p in zip(months, level, strict=True)
        ]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(rows) + "\n")
    command = [sys.executable, "-m", "cli", "forecast", "-i", str(path), "-j", "2", "-q"]
    command += ["-o", str(tmp_path / "fc.csv")]
    # 5 s: reading, the workers' start, the first fits.
    returncode, stderr = _interrupted(command, after=5, presses=2, timeout=30)
    assert returncode == 130, stderr
    assert "Traceback" not in stderr
    assert [line for line in stderr.splitlines() if not line.startswith("note")] == ["interrupted"]


def _interrupted(command, after: float, presses: int = 1, timeout: float = 30):
    """``(exit code, stderr)`` of ``command`` (a cropcast run) after a terminal's Ctrl-C
    (SIGINT to its whole process group), ``after`` seconds in, pressed ``presses`` times.

    The command starts as a terminal's foreground job does, with Ctrl-C live. Run in the
    background of a shell without job control (``pytest &`` in a script, CI), the tests
    inherit Ctrl-C ignored, and so would the command: it ignores it, as it should there, and
    ran to the end (exit 0)."""
    ignored = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # the child starts with SIG_DFL
    try:
        run = subprocess.Popen(
            command,
            cwd=Path(__file__).resolve().parents[1],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
    finally:
        signal.signal(signal.SIGINT, ignored)
    time.sleep(after)
    for _ in range(presses):
        os.killpg(run.pid, signal.SIGINT)
        time.sleep(0.1)
    try:
        _, stderr = run.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        raise AssertionError(f"still running {timeout} s after Ctrl-C at {after} s") from None
    return run.returncode, stderr


def test_a_start_up_stuck_after_ctrl_c_does_not_keep_the_command(monkeypatch):
    """A Ctrl-C 0.7-0.9 s into a Dask run could leave the cluster's start-up stuck for good
    (its imports waiting for an import lock the interrupt left held), and the command
    waited for it for good: after a Ctrl-C it waits STOP_SECONDS at most."""
    import threading

    release = threading.Event()

    def stuck(n_jobs, modules):
        release.wait(10)
        raise OSError("never started")

    monkeypatch.setattr(engine_module, "_open_local_cluster", stuck)
    monkeypatch.setattr(engine_module, "_start_fork_server", lambda modules: None)
    monkeypatch.setattr(engine_module, "STOP_SECONDS", 0.3)
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt), engine_module.started("dask", 2):
            raise KeyboardInterrupt
        assert time.monotonic() - start < 3
    finally:
        release.set()


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["processes", "dask"])
def test_ctrl_c_while_the_workers_start_is_one_line(tmp_path, engine):
    """The fork server ignores Ctrl-C only once it has imported the models (1.5-3 s, while
    the command reads its file), so a Ctrl-C then printed its traceback, and Dask's worker
    processes theirs (67 lines); it and what it forks now never see a Ctrl-C. And a Ctrl-C
    0.5-0.9 s into a Dask run could leave the cluster's start-up stuck on Python's import
    lock, and the command waiting for it for good; then STOP_SECONDS, the cluster left."""
    if engine == "dask":
        pytest.importorskip("distributed")
    command = [sys.executable, "-m", "cli", "forecast", "-j", "2", "--engine", engine, "-q"]
    for delay in (0.7, 1.0, 4.0):  # the server's imports; then the workers' first fits
        returncode, stderr = _interrupted(command, after=delay, timeout=20)
        if returncode == 0:  # finished before the Ctrl-C: nothing to check
            continue
        assert returncode == 130, stderr
        assert "Traceback" not in stderr, f"Ctrl-C at {delay} s:\n{stderr}"
        # Dask's start-up, stuck on the import lock, was left after STOP_SECONDS.
        assert "start-up was still running" not in stderr, f"Ctrl-C at {delay} s"
        assert [line for line in stderr.splitlines() if not line.startswith("note")] == [
            "interrupted"
        ]


@pytest.mark.slow
@pytest.mark.parametrize(
    "command", [["alerts"], ["bulletin", "-o", "OUT/bulletin.md"], ["plot", "-o", "OUT/charts"]]
)
def test_ctrl_c_while_dask_starts_for_alerts_bulletins_and_charts_is_one_line(tmp_path, command):
    """alerts, bulletin and plot started their LocalCluster in the command's own thread: a
    Ctrl-C as it started printed 30-60 lines of Dask's tracebacks after "interrupted"."""
    pytest.importorskip("distributed")
    command = [sys.executable, "-m", "cli", *command, "-j", "2", "--engine", "dask", "-q"]
    command = [part.replace("OUT", str(tmp_path)) for part in command]
    for delay in (1.2, 1.4):  # the cluster's start, after the reading
        returncode, stderr = _interrupted(command, after=delay, timeout=20)
        if returncode == 0:  # finished before the Ctrl-C: nothing to check
            continue
        assert returncode == 130, stderr
        assert [line for line in stderr.splitlines() if not line.startswith("note")] == [
            "interrupted"
        ], f"Ctrl-C at {delay} s"


def test_a_start_up_left_while_dask_is_still_being_imported_is_left_quietly(monkeypatch, caplog):
    """Left after a Ctrl-C while its thread still imported distributed, the start-up's
    clean-up read ``close_clusters`` off the half-imported module: "error: unexpected
    AttributeError", exit 1, instead of "interrupted"."""
    import threading
    import types

    release = threading.Event()
    start = engine_module._Background(release.wait, 10)
    half_imported = types.ModuleType("distributed.deploy.spec")  # no close_clusters yet
    monkeypatch.setitem(sys.modules, "distributed.deploy.spec", half_imported)
    try:
        with caplog.at_level("WARNING", logger="forecast.engine"):
            assert engine_module._finish_start(start, 0.05, close=True) is None  # no raise
    finally:
        release.set()
    assert "start-up was still running 0.05 s after Ctrl-C: left" in caplog.text


class _FlakyDistributed:
    """Stands in for the ``distributed`` module: its LocalCluster fails ``failures`` times
    as a Dask worker killed while it starts makes it fail, then starts."""

    def __init__(self, failures: int, cause: Exception | None = None):
        self.failures, self.calls = failures, 0
        # What Dask raises when a worker process dies as it starts.
        self.cause = cause or RuntimeError("Nanny failed to start worker process")

    def LocalCluster(self, **options):  # noqa: N802 (distributed's name)
        self.calls += 1
        if self.calls <= self.failures:
            raise RuntimeError("Nanny failed to start.") from self.cause
        return ("cluster", options["n_workers"])


def test_a_worker_dying_as_the_local_cluster_starts_starts_it_again(caplog):
    """A worker killed while the LocalCluster started ended the run with "unexpected
    RuntimeError: Nanny failed to start" (exit 1): the start is tried once more."""
    flaky = _FlakyDistributed(failures=1)
    with caplog.at_level("WARNING", logger="forecast.engine"):
        assert engine_module._local_cluster(flaky, 2) == ("cluster", 2)
    assert flaky.calls == 2
    assert "started it again" in caplog.text


def test_a_local_cluster_that_fails_twice_is_one_error_line():
    with pytest.raises(CropcastError, match="did not start, twice: Nanny failed") as caught:
        engine_module._local_cluster(_FlakyDistributed(failures=2), 2)
    assert "--engine processes" in str(caught.value)
    assert ".." not in str(caught.value)
    # A start that failed for another reason (a worker preload module missing) is no
    # worker's death: it fails as it did, once, and no note blames a worker.
    missing = _FlakyDistributed(1, ModuleNotFoundError("No module named 'no_such_mod'"))
    with pytest.raises(RuntimeError, match="Nanny failed to start") as caught:
        engine_module._local_cluster(missing, 2)
    assert missing.calls == 1
    assert isinstance(caught.value.__cause__, ModuleNotFoundError)


def test_alerts_run_many_series_a_job_and_a_failing_one_fails_alone(monkeypatch):
    """Alerts ran one series a job, most of the time the job's own cost (1,442 Sri Lanka
    series: 63 s, against 2.1 s in one call). Jobs now carry SERIES_PER_JOB series; the
    table is the same, the progress counts series, and a series that breaks its job fails
    alone, its reason said, while the others of its job are scored."""
    from forecast import anomaly
    from forecast.anomaly import latest_alerts, latest_alerts_by_series
    from forecast.datasets import load_default_prices
    from forecast.table import KEY

    prices = load_default_prices()
    monkeypatch.setattr(anomaly, "SERIES_PER_JOB", 3)
    done = []
    expected = latest_alerts(prices)
    got = latest_alerts_by_series(prices, engine="local", on_done=lambda: done.append(1))
    pd.testing.assert_frame_equal(got, expected)
    assert len(done) == len(expected) > 3
    victim = tuple(expected.loc[0, list(KEY)])
    real = anomaly.latest_alerts

    def breaking(frame, *args, **kwargs):  # fails on any frame that holds the victim
        if victim in set(frame[list(KEY)].itertuples(index=False, name=None)):
            raise ValueError("no convergence")
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(anomaly, "latest_alerts", breaking)
    got = latest_alerts_by_series(prices, engine="local")
    failed = got[got["alps_reason"].str.startswith("failed")]
    assert [tuple(row) for row in failed[list(KEY)].to_numpy()] == [victim]
    assert failed["alps_reason"].iloc[0] == "failed: ValueError: no convergence"
    others = got[got["alps_reason"] == expected["alps_reason"]]
    assert len(others) == len(expected) - 1


def test_alerts_a_worker_death_under_many_series_fails_the_one_that_kills_it(monkeypatch):
    """A review: with a hundred series a job, a series that kills its worker (out of memory,
    a crash in C code) failed its 99 neighbours with it, where one series a job had failed
    it alone. The series of a job whose worker kept dying go again one a job, and only the
    one that kills it fails; the progress counts every series once."""
    from forecast import anomaly, engine
    from forecast.anomaly import latest_alerts, latest_alerts_by_series
    from forecast.datasets import load_default_prices
    from forecast.table import KEY

    prices = load_default_prices()
    monkeypatch.setattr(anomaly, "SERIES_PER_JOB", 4)
    expected = latest_alerts(prices)
    victim = tuple(expected.loc[5, list(KEY)])
    sizes = []

    def dying(func, items, *, on_error, series_in, **_):
        # The engine, when the worker of any job holding the victim dies every time.
        for item in items:
            sizes.append(series_in(item))
            if victim in item[0]:
                yield on_error(item, engine.WorkerLostError("its worker process died"))
            else:
                yield func(item)

    monkeypatch.setattr(engine, "run_jobs", dying)
    done = []
    got = latest_alerts_by_series(prices, engine="local", on_done=lambda: done.append(1))
    failed = got[got["alps_reason"].str.startswith("failed")]
    assert [tuple(row) for row in failed[list(KEY)].to_numpy()] == [victim]
    assert failed["alps_reason"].iloc[0] == "failed: WorkerLostError: its worker process died"
    assert len(got) == len(expected) == len(done)
    assert max(sizes) == 4 and sizes[-4:] == [1, 1, 1, 1]  # the victim's job, one a series
    kept = got[~got["alps_reason"].str.startswith("failed")].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        kept, expected[expected[list(KEY)].apply(tuple, axis=1) != victim].reset_index(drop=True)
    )
