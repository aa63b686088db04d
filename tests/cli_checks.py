"""Helpers the CLI tests share: run a command in process, read its one error line."""

from __future__ import annotations

from typer.testing import CliRunner

from cli import app

runner = CliRunner()


def run(*args):
    """``cropcast ARGS...`` in this process; arguments may be paths or numbers."""
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result) -> str:
    """The single line a failed command printed on stderr (never a traceback)."""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output + result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def depot_file(path, products: dict, market: str = "Mỏ Cày Bắc"):
    """A depot's weekly price file: ``products`` maps a name to (Mondays, price of the i-th
    week as a function of i); Farmgate prices per kg in đồng."""
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    for name, (mondays, price) in products.items():
        rows += [
            f"{d:%Y-%m-%d},{name},{market},Farmgate,kg,VND,{price(i)}"
            for i, d in enumerate(mondays)
        ]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def coconut_depot_files(tmp_path, pomelo: bool = True) -> tuple:
    """A depot's two files (a year, monthly, Wholesale in đồng): Dừa khô per chục; Dừa xiêm
    per trái, and with ``pomelo`` Bưởi per trái beside it."""
    chuc = tmp_path / "dua_kho.csv"
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    rows += [
        f"2024-{m:02d}-01,Dừa khô,Mỏ Cày Bắc,Wholesale,chục,VND,{150 + m}000" for m in range(1, 13)
    ]
    chuc.write_text("\n".join(rows) + "\n", encoding="utf-8")
    each = tmp_path / "dua_xiem.csv"
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    for m in range(1, 13):
        rows.append(f"2024-{m:02d}-01,Dừa xiêm,Mỏ Cày Bắc,Wholesale,trái,VND,{6 + m % 2}000")
        if pomelo:
            rows.append(f"2024-{m:02d}-01,Bưởi,Mỏ Cày Bắc,Wholesale,trái,VND,{40 + m}000")
    each.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return chuc, each
