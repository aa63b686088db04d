"""The planners' notebooks: each runs top to bottom, and none is committed with outputs.

Execution needs ``nbclient``, ``nbformat`` and ``ipykernel`` (in the ``test`` extra); the
notebooks run in a fresh ``python3`` kernel with the notebook's folder as working directory,
the way ``jupyter lab notebooks/`` runs them. The kernel imports ``forecast`` as a planner's
kernel would: the installed copy (CI's fresh ``pip install ".[test]"``), so a file left out
of the wheel fails here. Only where cropcast is not installed at all (a bare checkout) is the
repository root put on the kernel's ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
#: Seconds a single cell may take; the issue's budget is two minutes a notebook on 2 cores.
CELL_TIMEOUT = 240
#: Seconds a whole notebook may take on a busy CI machine before the test fails.
NOTEBOOK_BUDGET = 240


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_notebooks_are_numbered_and_present():
    names = [p.name for p in NOTEBOOKS]
    assert names == [
        "01-explore-prices.ipynb",
        "02-seasons-and-harvests.ipynb",
        "03-compare-models.ipynb",
        "04-what-if.ipynb",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_is_committed_without_outputs(path: Path):
    # Read as plain JSON: this check must not need nbformat installed.
    notebook = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        f"cell {i}: {what}"
        for i, cell in enumerate(notebook["cells"])
        if cell.get("cell_type") == "code"
        for what in (
            "outputs" if cell.get("outputs") else None,
            f"execution_count {cell['execution_count']}"
            if cell.get("execution_count") is not None
            else None,
        )
        if what
    ]
    assert not dirty, (
        f"{path.name} is committed with outputs ({'; '.join(dirty[:5])}); clear them with "
        f"'jupyter nbconvert --clear-output --inplace notebooks/{path.name}'"
    )


@cache
def _kernel_env() -> tuple[tuple[str, str], ...]:
    """The kernel's environment: this one, plus the checkout on PYTHONPATH if not installed."""
    env = dict(os.environ)
    # pytest's own `pythonpath` setting does not reach child processes: ask one.
    installed = subprocess.run(
        [sys.executable, "-c", "import forecast"], cwd=NOTEBOOK_DIR, env=env, capture_output=True
    )
    if installed.returncode != 0:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    return tuple(env.items())


def _execute(path: Path, extra_env: dict[str, str] | None = None):
    return _execute_at(path, path.parent, extra_env)


def _execute_at(path: Path, folder: Path, extra_env: dict[str, str] | None = None):
    """Run the notebook at ``path`` with ``folder`` as its working directory."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    notebook = nbformat.read(path, as_version=4)
    env = dict(_kernel_env())
    env.update(extra_env or {})
    client = nbclient.NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(folder)}},
    )
    start = time.perf_counter()
    try:
        client.execute(env=env)
    except nbclient.exceptions.CellExecutionError as exc:
        pytest.fail(f"{path.name} failed:\n{exc}", pytrace=False)
    seconds = time.perf_counter() - start
    errors = [
        f"cell {i}: {output.get('ename')}: {output.get('evalue')}"
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, f"{path.name} has error cells: {errors}"
    assert seconds < NOTEBOOK_BUDGET, f"{path.name} took {seconds:.0f} s"
    return notebook


#: Each notebook run on the embedded data, once a session: the tests of its claims read it.
_EMBEDDED_RUNS: dict[str, object] = {}


def _embedded_run(path: Path, tmp_path_factory):
    """``path`` run on the embedded data: ``$CROPCAST_DB`` names a file that is not there, so
    the notebook does not read a store someone left at the top of the checkout."""
    if path.name not in _EMBEDDED_RUNS:
        nowhere = tmp_path_factory.getbasetemp() / "no-store-here.duckdb"
        _EMBEDDED_RUNS[path.name] = _execute(path, {"CROPCAST_DB": str(nowhere)})
    return _EMBEDDED_RUNS[path.name]


def _cells(notebook, kind: str) -> list:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == kind]


def _source(cell) -> str:
    source = cell["source"]
    return source if isinstance(source, str) else "".join(source)


def _printed(cell) -> str:
    """What a code cell printed and displayed, as text."""
    return "".join(
        output.get("text", "") + "".join(output.get("data", {}).get("text/plain", ""))
        for output in cell.get("outputs", [])
    )


def _cell(notebook, cell_id: str):
    return next(cell for cell in notebook["cells"] if cell.get("id") == cell_id)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_top_to_bottom(path: Path, tmp_path_factory):
    notebook = _embedded_run(path, tmp_path_factory)
    images = sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert images > 0, f"{path.name} drew no chart"


@pytest.mark.slow
def test_explore_notebook_runs_without_the_real_files(tmp_path: Path):
    # A user's fresh clone has no ../shared/data: notebook 01 then cleans its own messy example.
    path = NOTEBOOK_DIR / "01-explore-prices.ipynb"
    notebook = _execute(path, {"CROPCAST_SHARED_DATA": str(tmp_path / "absent")})
    text = "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "gia_lua_an_giang.csv" in text and "rejected" in text


def _own_file(path: Path) -> Path:
    """A district's own file: 33 months of coconut per nut in đồng, three months missing."""
    import math

    months = [f"{2023 + (10 + i) // 12}-{(10 + i) % 12 + 1:02d}" for i in range(36)]
    rows = [
        f"15/{m[5:]}/{m[:4]},Dừa,Mỏ Cày Bắc,Farmgate,trái,VND,"
        f"{round(4000 * (1 + 0.2 * math.cos(2 * math.pi * int(m[5:]) / 12)) + 10 * i)}"
        for i, m in enumerate(months)
        if m not in ("2025-02", "2025-03", "2025-04")
    ]
    path.write_text(
        "date,commodity,market,price_type,unit,currency,price\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_on_a_districts_own_file(path: Path, tmp_path: Path):
    """What each notebook tells a planner to do: set PRICES_FILE (and SERIES) to their own
    file. A review found three of the four failed on one short series of their own (the
    what-if notebook drew An Giang rice by name; best and worst the same series; a series
    too short for IPA)."""
    import re

    nbformat = pytest.importorskip("nbformat")
    own = _own_file(tmp_path / "gia_dua.csv")
    notebook = nbformat.read(path, as_version=4)
    edits = 0
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace("PRICES_FILE = None", f"PRICES_FILE = {str(own)!r}")
            cell.source, n = re.subn(r"^SERIES = .*$", 'SERIES = ["Dừa"]', cell.source, flags=re.M)
            edits += n
    assert edits == (0 if path.name.startswith("01") else 1)  # the line a planner edits
    edited = tmp_path / path.name
    nbformat.write(notebook, edited)
    ran = _execute_at(edited, path.parent)
    text = "".join(
        output.get("text", "")
        for cell in ran.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )
    assert "gia_dua.csv" in text  # the planner's file was read, not the embedded data


# --- the store, as README says: "the embedded data (or your store, when cropcast ingest has
# made one)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_takes_the_store_as_the_commands_do(path: Path):
    """A review found notebooks 02-04 hard-coding ``STORE = None`` while 01 read $CROPCAST_DB:
    each finds the store with the package's ``resolve_location``, as the commands do."""
    code = "\n".join(
        _source(c) for c in _cells(json.loads(path.read_text(encoding="utf-8")), "code")
    )
    assert "STORE = None" not in code
    assert "resolve_location()" in code and "notebook_prices(PRICES_FILE, STORE)" in code


def _weekly_store(tmp_path: Path) -> Path:
    """A store made as README's "A price history that accumulates" makes one: a depot's weekly
    prices of dried coconut, ingested with ``--freq weekly``."""
    import datetime as dt
    import math

    from forecast.clean import CleanOptions
    from forecast.store import ingest_file, open_store

    monday = dt.date(2024, 9, 2)
    rows = [
        f"{monday + dt.timedelta(weeks=i):%d/%m/%Y},Dừa khô,Mỏ Cày Bắc,Farmgate,trái,VND,"
        f"{round(4000 * (1 + 0.15 * math.cos(2 * math.pi * i / 52)) + 60 * math.sin(i))}"
        for i in range(60)
    ]
    source = tmp_path / "gia_tuan.csv"
    source.write_text(
        "date,commodity,market,price_type,unit,currency,price\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    db = tmp_path / "s.duckdb"
    ingest_file(open_store(db, create=True), source, options=CleanOptions(freq="weekly"))
    return db


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_reads_the_store_cropcast_db_names(path: Path, tmp_path: Path):
    """With $CROPCAST_DB set each notebook reads that store, a weekly one of other crops than
    the embedded data's, runs to the end and says where its prices came from."""
    db = _weekly_store(tmp_path)
    ran = _execute(path, {"CROPCAST_DB": str(db)})
    assert any(f"from the store {db}" in _printed(c) for c in _cells(ran, "code"))


# --- claims the text cells make, against what the code cells print


def test_no_notebook_calls_wfp_rice_paddy():
    """WFP's Viet Nam "Rice" is milled rice (gạo, about 7,500 đồng/kg in 2014), not paddy."""
    for path in NOTEBOOKS:
        text = " ".join(_source(c) for c in json.loads(path.read_text(encoding="utf-8"))["cells"])
        assert "Mekong paddy" not in " ".join(text.split()), path.name


@pytest.mark.slow
def test_alerts_table_shows_the_alps_band_users_see(tmp_path_factory):
    """An ALPS below -1 is "low" in the table, as in the chart and ``cropcast alerts`` (it
    showed WFP's "normal" for Viet Nam 5 % rice at -1.56); values print as the alerts
    command prints them."""
    import re

    ran = _embedded_run(NOTEBOOK_DIR / "02-seasons-and-harvests.ipynb", tmp_path_factory)
    table = _printed(_cell(ran, "nb02-11"))
    rows = re.findall(
        r"(?m)^\s*\d+\s+.*?\s([+-]\d+\.\d+)\s+(low|normal|stress|alert|crisis)\s", table
    )
    assert rows, table
    for value, band in rows:
        assert (band == "low") == (float(value) < -1), (value, band)
    assert any(band == "low" for _, band in rows)  # the embedded data has one: Viet Nam 5 % rice


@pytest.mark.slow
def test_what_if_text_says_what_its_numbers_show(tmp_path_factory):
    """Notebook 04's text against its printed numbers: the late harvest's months (it named June
    the cheapest while notebook 02's table put An Giang's low in July), and the longer horizon,
    whose first-year ranges it said "barely change" beside a table where they widened by a third."""
    import re

    ran = _embedded_run(NOTEBOOK_DIR / "04-what-if.ipynb", tmp_path_factory)
    seasons = _embedded_run(NOTEBOOK_DIR / "02-seasons-and-harvests.ipynb", tmp_path_factory)

    late = _printed(_cell(ran, "nb04-10"))
    cheapest = re.search(r"cheapest in (\w{3})", late).group(1)
    an_giang = next(
        line for line in _printed(_cell(seasons, "nb02-08")).splitlines() if "An Giang" in line
    )
    assert re.search(rf"\b{cheapest} \(-", an_giang), (late, an_giang)  # 02's "usually lowest"
    fall = re.search(r"largest fall (\w{3}) \d{4}", late).group(1)
    rise = re.search(r"largest rise (\w{3}) \d{4}", late).group(1)
    text = " ".join(_source(_cell(ran, "nb04-11")).split())
    from forecast.bulletin.wording import MONTHS_EN_LONG

    names = {m[:3]: m for m in MONTHS_EN_LONG}
    assert f"largest fall is in {names[fall]}" in text and f"largest rise in {names[rise]}" in text

    horizon = _printed(_cell(ran, "nb04-18"))
    moved = float(re.search(r"the line moves ([\d.]+)% at most", horizon).group(1))
    points = [int(p) for p in re.findall(r"([+-]\d+) (?:and|points)", horizon)]
    ending = " ".join(_source(_cell(ran, "nb04-19")).split())
    assert moved < 2 and "line barely moves" in ending
    # "Its ranges change ... wider for some series": several points wider for one at least
    # (4 since ETS's damping floor is 0.5, a third wider before), never "barely change".
    assert max(points) >= 3 and "barely change" not in ending and "ranges change" in ending


@pytest.mark.slow
def test_explore_text_on_world_prices_matches_its_table(tmp_path_factory):
    """Notebook 01 says cocoa, coffee and coconut oil peaked after 2022, coconut oil's largest
    12-month rise being 2010-11's: the table above its world panel must say so too."""
    import re

    ran = _embedded_run(NOTEBOOK_DIR / "01-explore-prices.ipynb", tmp_path_factory)
    table = _printed(_cell(ran, "nb01-20"))
    row = {
        name: re.search(
            rf"{re.escape(name)}\s+\w{{3}} (\d{{4}})\s+\w{{3}} (\d{{4}})", table
        ).groups()
        for name in ("Cocoa", "Coconut oil", "Coffee, Robusta")
    }
    assert all(int(highest) > 2022 for highest, _ in row.values()), table
    assert row["Coconut oil"][1] in ("2010", "2011"), table


# --- a file of another country's prices: many series, none of the embedded data's names


def test_the_months_chart_marks_every_priced_month():
    """Notebook 01's "Months with a price" drew lines between consecutive priced months, so a
    month with no priced neighbour (Sri Lanka's red nadu rice in 2004-11, An Giang's 2019-01)
    had no mark; and it drew all 1,442 series of the Sri Lanka file in one 7-inch block."""
    import numpy as np
    import pandas as pd

    from forecast.plots import coverage_chart

    def series(market: str, prices: list[float]) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "commodity": "Rice",
                "market": market,
                "price_type": "Retail",
                "unit": "kg",
                "currency": "LKR",
                "date": pd.date_range("2004-01-01", periods=len(prices), freq="MS"),
                "price": prices,
                "flags": "",
            }
        )

    from matplotlib.dates import date2num

    nan = float("nan")
    lone = series("Jaffna", [nan] * 10 + [50.0] + [nan] * 14 + [60.0] * 12)  # 2004-11 alone
    fig = coverage_chart(lone)
    (bars,) = fig.axes[0].collections
    lefts = sorted(path.vertices[:, 0].min() for path in bars.get_paths())
    widths = sorted(np.ptp(path.vertices[:, 0]) for path in bars.get_paths())
    assert lefts == [date2num(pd.Timestamp("2004-11-01")), date2num(pd.Timestamp("2006-02-01"))]
    assert widths == [30, 365]  # November alone, and a year: one bar per run of priced months

    many = pd.concat([series(f"M{i:03d}", [1.0] * (i + 1)) for i in range(120)])
    fig = coverage_chart(many, longest=40)
    assert fig.coverage_left_out == 80 and len(fig.axes[0].get_yticks()) == 40
    assert [key[1] for key in fig.coverage_keys] == [f"M{i:03d}" for i in range(80, 120)]
    assert "80 more left out" in fig.axes[0].get_xlabel()
    tall = coverage_chart(many, longest=None)
    assert tall.get_size_inches()[1] > 2 * fig.get_size_inches()[1]  # sized to its rows


def _other_country(path: Path) -> Path:
    """Another country's file, in baht: three short series of apples first in the alphabet,
    two markets of mango with eight years of prices and one with forty months, and garlic
    with ten years and a lone priced month between gaps. No đồng, no world prices."""
    import math

    def months(start: str, n: int) -> list[str]:
        year, month = map(int, start.split("-"))
        return [f"{year + (month - 1 + i) // 12}-{(month - 1 + i) % 12 + 1:02d}" for i in range(n)]

    rows = []
    for commodity, market, start, n, skip in (
        ("Apples", "A1", "2023-10", 20, ()),
        ("Apples", "A2", "2023-10", 20, ()),
        ("Apples", "A3", "2023-10", 20, ()),
        ("Mango", "Chiang Mai", "2017-06", 96, ()),
        ("Mango", "Bangkok", "2017-06", 96, ()),
        ("Mango", "Nakhon", "2022-02", 40, ()),
        ("Garlic", "Bangkok", "2015-06", 120, (*range(30, 35), *range(36, 41))),
    ):
        for i, m in enumerate(months(start, n)):
            if i not in skip:
                season = 1 + 0.12 * math.cos(2 * math.pi * int(m[5:]) / 12)
                price = (40 + 0.1 * i) * season * (1 + 0.03 * math.sin(1.7 * i + len(market)))
                rows.append(f"{m}-15,{commodity},{market},Retail,kg,THB,{price:.2f}")
    path.write_text(
        "date,commodity,market,price_type,unit,currency,price\n" + "\n".join(rows) + "\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_on_another_countrys_file(path: Path, tmp_path: Path):
    """A review pointed each notebook's PRICES_FILE at WFP's Sri Lanka file: 01 drew an empty
    đồng chart; 02 explored the first series alphabetically, too short for anything (an
    empty table, a figure of 'no IPA' titles); 03 charted a series with no backtest window as
    its worst and said 'three windows' whatever the cutoffs; 04 averaged a commodity's
    markets into one row."""
    import re

    nbformat = pytest.importorskip("nbformat")
    own = _other_country(tmp_path / "thai.csv")
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace("PRICES_FILE = None", f"PRICES_FILE = {str(own)!r}")
            if path.name.startswith("03"):  # with a series too short for any window
                cell.source = re.sub(
                    r"^SERIES = .*$", 'SERIES = ["Mango", "Apples|A1"]', cell.source, flags=re.M
                )
    edited = tmp_path / path.name
    nbformat.write(notebook, edited)
    ran = _execute_at(edited, path.parent)
    code = _cells(ran, "code")
    images = {c["id"]: sum("image/png" in o.get("data", {}) for o in c["outputs"]) for c in code}
    assert not [o for c in code for o in c["outputs"] if o.get("name") == "stderr"]
    opening = next(_printed(c) for c in code if _printed(c))  # the first cell that prints
    written = 3 * 20 + 96 * 2 + 40 + 110
    assert f"{written:,} prices in 7 series, from your file {own}" in opening, opening
    if path.name.startswith("01"):
        assert images["nb01-09"] == 1
        assert "no prices in đồng in these data: the đồng chart is skipped" in _printed(
            _cell(ran, "nb01-19")
        )
        assert images["nb01-19"] == 0
    if path.name.startswith(("02", "04")):  # the series long enough, not the first ones
        chosen = "Garlic | Bangkok | Retail | THB/kg; Mango | Bangkok | Retail | THB/kg; "
        assert f"{chosen}Mango | Chiang Mai | Retail | THB/kg (edit SERIES" in opening, opening
        assert "Apples" not in opening and "Nakhon" not in opening
    if path.name.startswith("02"):
        typical = _printed(_cell(ran, "nb02-08"))
        assert len(re.findall(r"(?m)^\d+\s+(Garlic|Mango) \|", typical)) == 3, typical
        assert images["nb02-15"] == 1
    if path.name.startswith("03"):
        ranked = _printed(_cell(ran, "nb03-08"))
        assert "Apples, A1: not scored (no backtest window)" in ranked
        assert "Apples" not in ranked.split("left out below")[1]  # not in the table
        assert "Apples" not in _printed(_cell(ran, "nb03-10"))
        assert images["nb03-10"] == 2 and images["nb03-11"] == 2  # best and worst: Mango
        # Nakhon's 40 months hold two windows, the others three.
        assert "3 series and two to three windows are few" in _printed(_cell(ran, "dfebbca4"))
    if path.name.startswith("04"):
        for table in ("nb04-06", "nb04-18"):
            shown = _printed(_cell(ran, table))
            for market in ("Bangkok", "Chiang Mai"):  # one row each, not one for Mango
                assert f"Mango | {market} | Retail | THB/kg" in shown, shown


@pytest.mark.slow
def test_notebooks_keep_the_default_series_a_file_has(tmp_path: Path):
    """A review pointed notebook 04's PRICES_FILE at WFP's Viet Nam file: An Giang rice is in
    it, the world's prices are not, and the first cell raised "no series matches 'Rice, Viet
    Namese', ...": the fallback was only for a file with none of the defaults. With SERIES
    left as it is, 02-04 run on the defaults the file has and say which they left out. Only
    the opening cells run (in one kernel): the rest is what the other runs check."""
    nbformat = pytest.importorskip("nbformat")
    own = _other_country(tmp_path / "thai.csv")
    rice = "".join(
        f"{2015 + i // 12}-{i % 12 + 1:02d}-15,Rice,An Giang,Retail,kg,THB,{30 + (i % 12):.2f}\n"
        for i in range(72)
    )
    own.write_text(own.read_text(encoding="utf-8") + rice, encoding="utf-8")
    openings = nbformat.v4.new_notebook()
    for path in NOTEBOOKS[1:]:  # 02, 03, 04: each notebook's cells up to its SERIES
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                source = cell.source.replace("PRICES_FILE = None", f"PRICES_FILE = {str(own)!r}")
                last = "notebook_series(prices, SERIES)" in source
                if last:  # 03's backtest, in the same cell, is not what this is about
                    source = source.split("MODELS = ")[0] + f"\nprint('{path.name[:2]}:', SERIES)"
                openings.cells.append(nbformat.v4.new_code_cell(source))
                if last:
                    break
    edited = tmp_path / "openings.ipynb"
    nbformat.write(openings, edited)
    printed = "".join(_printed(c) for c in _execute_at(edited, NOTEBOOK_DIR).cells)
    for number, left_out in (
        ("02", "'Rice|Dong Thap', 'Rice, Viet Namese', 'Coffee, Robusta', 'Coconut oil'"),
        (
            "03",
            "'Rice|Dong Thap', 'Rice, Viet Namese', 'Rice, Thai 5%', "
            "'Coffee, Robusta', 'Coconut oil'",
        ),
        ("04", "'Rice, Viet Namese', 'Coffee, Robusta', 'Coconut oil'"),
    ):
        assert f"{number}: ['Rice|An Giang']" in printed, printed
        said = f"left out of the notebook's default SERIES: {left_out}; "
        assert said in printed, printed
    assert printed.count("Rice|An Giang (edit SERIES to choose others)") == 3, printed


@pytest.mark.slow
def test_notebooks_count_the_embedded_prices_alike(tmp_path_factory):
    """Notebook 01 said 7,974 prices (and 20 estimates), 02-04 7,994 prices for the same data:
    they counted cleaning's estimates as prices. Each opens with the same line now."""
    openings = {
        path.name: next(
            line
            for cell in _cells(_embedded_run(path, tmp_path_factory), "code")
            for line in _printed(cell).splitlines()
            if " prices in " in line
        )
        for path in NOTEBOOKS
    }
    assert len(set(openings.values())) == 1, openings
    assert "estimates cleaning filled into gaps" in openings["01-explore-prices.ipynb"]


@pytest.mark.parametrize("path", NOTEBOOKS[1:], ids=_ids(NOTEBOOKS[1:]))
def test_a_series_list_added_to_is_the_users_not_the_defaults(path: Path):
    """A review: 'SERIES = DEFAULT_SERIES' made one list of both, so 'SERIES += [...]' changed
    the defaults too and a pattern of the user's that matched nothing was dropped with a
    note, as a default would be, instead of being named as an error."""
    import re

    from forecast.datasets import load_default_prices, notebook_choice, notebook_series
    from forecast.errors import UsageError

    code = "\n".join(
        "".join(cell["source"])
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]
        if cell["cell_type"] == "code"
    )
    setup = re.search(r"^DEFAULT_SERIES = .*?^SERIES = [^\n]*", code, flags=re.M | re.S)
    assert setup, "the notebook sets DEFAULT_SERIES, then SERIES from it"
    scope: dict = {}
    exec(setup.group(0), scope)  # the notebook's own two lines
    scope["SERIES"] += ["Rice|Nowhere"]  # as a user adds one
    assert "Rice|Nowhere" not in scope["DEFAULT_SERIES"]
    prices = load_default_prices()
    chosen, said = notebook_choice(prices, scope["SERIES"], scope["DEFAULT_SERIES"])
    assert "Rice|Nowhere" in chosen and said == ""
    with pytest.raises(UsageError, match="Rice|Nowhere"):
        notebook_series(prices, chosen)
