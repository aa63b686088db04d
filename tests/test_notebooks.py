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


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_notebook_runs_top_to_bottom(path: Path):
    notebook = _execute(path)
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
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = cell.source.replace("PRICES_FILE = None", f"PRICES_FILE = {str(own)!r}")
            cell.source = re.sub(r"^SERIES = \[.*\]$", 'SERIES = ["Dừa"]', cell.source, flags=re.M)
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
