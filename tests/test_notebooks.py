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
        resources={"metadata": {"path": str(path.parent)}},
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
