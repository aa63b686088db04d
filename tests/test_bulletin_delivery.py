"""Delivering bulletins end to end: a real SMTP server on 127.0.0.1, SMS files, retries.

The server is aiosmtpd's ``Controller`` started by the test on a free port; nothing leaves
the machine. Each subscriber must get only their commodities, in their language, as an
HTML e-mail with a plain-text alternative, and each phone an SMS file in the outbox.
"""

from __future__ import annotations

import email
import email.policy
import functools
import re
import socket
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from cli import app
from forecast.bulletin import make_bulletin
from forecast.bulletin.deliver import deliver, matches, phone_digits, read_subscribers
from forecast.datasets import load_default_prices
from forecast.errors import InputError

aiosmtpd = pytest.importorskip("aiosmtpd", reason="aiosmtpd is in the 'test' extra")
from aiosmtpd.controller import Controller  # noqa: E402

SERIES = [("Rice", "An Giang"), ("Coffee, Robusta", "world"), ("Coconut oil", "world")]
SUBSCRIBERS = """name,email,phone,language,commodities
Chị Lan,lan@example.vn,,vi,Gạo
Mr Smith,,+84 912 345 678,en,coffee
Anh Tư,tu@example.vn,0987-654-321,vi,Dầu dừa;coffee
"""


@functools.cache
def bulletin():
    prices = load_default_prices()
    keep = pd.Series(False, index=prices.index)
    for commodity, market in SERIES:
        keep |= (prices["commodity"] == commodity) & (prices["market"] == market)
    return make_bulletin(prices[keep], model="naive", horizon=3, as_of="2022-01-01")


class Collector:
    """An SMTP handler keeping every message; refuses recipients in ``refuse`` with 451."""

    def __init__(self, refuse: tuple[str, ...] = ()):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.refuse = refuse
        self.refused = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            self.refused += 1
            return "451 4.3.0 Mailbox temporarily unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpt, m in self.messages if address in rcpt]


def free_port() -> int:
    """A port nothing listens on (the OS picks it; closed again at once)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    started = []

    def start(handler: Collector) -> tuple[str, int]:
        # aiosmtpd checks the server by connecting to the port it was given, so it needs a
        # real free port, not 0.
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)
        return "127.0.0.1", port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def subscribers(tmp_path) -> Path:
    path = tmp_path / "subscribers.csv"
    path.write_text(SUBSCRIBERS, encoding="utf-8")
    return path


def parts(message) -> tuple[str, str]:
    """(plain text, html) of a multipart/alternative e-mail."""
    assert message.get_content_type() == "multipart/alternative"
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    return text, page


def test_each_subscriber_gets_their_commodities_in_their_language(
    smtp_server, subscribers, tmp_path
):
    handler = Collector()
    server = smtp_server(handler)
    outbox = tmp_path / "outbox"
    report = deliver(
        bulletin(), read_subscribers(subscribers), smtp=server, outbox=outbox, backoff=(0,)
    )
    assert [(r.name, r.channel, r.status) for r in report] == [
        ("Chị Lan", "email", "sent"),
        ("Mr Smith", "sms", "written"),
        ("Anh Tư", "email", "sent"),
        ("Anh Tư", "sms", "written"),
    ]
    assert all(r.attempts == 1 and not r.error for r in report)

    # Chị Lan: rice only, Vietnamese, HTML with charts and a text alternative.
    (lan,) = handler.to("lan@example.vn")
    assert lan["Subject"] == "Bản tin giá nông sản tháng 1/2022"
    text, page = parts(lan)
    assert text.startswith("BẢN TIN GIÁ NÔNG SẢN THÁNG 1/2022")
    assert "Gạo – An Giang" in text and "Nhìn chung" in text
    assert "Cà phê" not in text and "Dầu dừa" not in text
    assert '<html lang="vi">' in page and "data:image/png;base64," in page
    assert "Cà phê" not in page and "Dầu dừa" not in page

    # Anh Tư: coconut oil and coffee by e-mail (Vietnamese), and the same by SMS.
    (tu,) = handler.to("tu@example.vn")
    text, page = parts(tu)
    assert "Dầu dừa – Thế giới" in text and "Cà phê Robusta – Thế giới" in text
    assert "Gạo" not in text
    assert page.count("data:image/png;base64,") == 2
    tu_sms = (outbox / "0987654321.txt").read_text(encoding="ascii").splitlines()
    assert all(line.isascii() and len(line) <= 160 for line in tu_sms)
    joined = " ".join(tu_sms)
    assert "Dau dua The gioi" in joined and "Ca phe Robusta" in joined and "Gao" not in joined

    # Mr Smith: coffee only, English, SMS only (no e-mail address).
    smith = (outbox / "0912345678.txt").read_text(encoding="ascii")
    assert "Coffee (Robusta) World" in smith and "Next 3 months" in smith
    assert "Rice" not in smith and "Coconut" not in smith
    assert len(handler.messages) == 2
    assert sorted(p.name for p in outbox.iterdir()) == ["0912345678.txt", "0987654321.txt"]


def test_refused_recipient_is_retried_and_reported_others_delivered(
    smtp_server, subscribers, tmp_path
):
    handler = Collector(refuse=("lan@example.vn",))
    server = smtp_server(handler)
    report = deliver(
        bulletin(),
        read_subscribers(subscribers),
        smtp=server,
        outbox=tmp_path / "outbox",
        backoff=(0.01,),
        charts=False,
    )
    lan = next(r for r in report if r.name == "Chị Lan")
    assert lan.status == "failed" and lan.attempts == 3
    assert "451" in lan.error and "SMTPRecipientsRefused" in lan.error
    assert handler.refused == 3
    tu = next(r for r in report if r.name == "Anh Tư" and r.channel == "email")
    assert tu.status == "sent" and tu.attempts == 1
    assert len(handler.to("tu@example.vn")) == 1
    assert (tmp_path / "outbox" / "0912345678.txt").is_file()


def test_unreachable_server_fails_email_but_sms_files_are_written(subscribers, tmp_path):
    report = deliver(
        bulletin(),
        read_subscribers(subscribers),
        smtp=("127.0.0.1", free_port()),
        outbox=tmp_path / "outbox",
        backoff=(0,),
        charts=False,
    )
    emails = [r for r in report if r.channel == "email"]
    assert all(r.status == "failed" and r.attempts == 3 for r in emails)
    assert all("ConnectionRefusedError" in r.error for r in emails)
    assert [r.status for r in report if r.channel == "sms"] == ["written", "written"]


def test_unknown_commodity_is_reported_not_fatal(smtp_server, tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(
        "name,email,phone,language,commodities\n"
        "A,a@example.vn,,vi,durian\n"
        "B,b@example.vn,,EN,rice;mango\n",
        encoding="utf-8",
    )
    handler = Collector()
    report = deliver(
        bulletin(),
        read_subscribers(path),
        smtp=smtp_server(handler),
        outbox=tmp_path / "o",
        charts=False,
    )
    assert (report[0].status, report[0].error) == ("skipped", "no series for: durian")
    assert report[1].status == "sent" and report[1].error == "no series for: mango"
    (b,) = handler.to("b@example.vn")
    assert parts(b)[0].startswith("CROP PRICE BULLETIN, JAN 2022")


def test_one_phone_written_two_ways_gets_one_sms_with_both_rows_commodities(tmp_path):
    # A household phone on two rows, written differently: one file, nothing overwritten.
    path = tmp_path / "s.csv"
    path.write_text(
        "name,email,phone,language,commodities\n"
        "Cô Ba,coba@example.vn,0901234567,vi,Gạo\n"
        "Chú Sáu,sau@example.vn,0901 234 567,en,coffee;Gạo\n",
        encoding="utf-8",
    )
    outbox = tmp_path / "outbox"
    report = deliver(
        bulletin(), read_subscribers(path), smtp=None, outbox=outbox, dry_run=True, charts=False
    )
    assert [(r.name, r.channel, r.status) for r in report] == [
        ("Cô Ba", "email", "dry-run"),
        ("Cô Ba", "sms", "written"),
        ("Chú Sáu", "email", "dry-run"),
        ("Chú Sáu", "sms", "merged"),
    ]
    assert report[1].error == "one SMS for rows 1, 2 (same phone)"
    assert report[3].error == "same phone as row 1 (Cô Ba): in that row's SMS, in vi"
    assert len(report[1].series) == 2 and len(report[3].series) == 2
    assert [p.name for p in outbox.iterdir()] == ["0901234567.txt"]
    sms = (outbox / "0901234567.txt").read_text(encoding="ascii")
    assert "Gao An Giang" in sms and "Ca phe Robusta" in sms  # both rows', in Vietnamese
    assert sms.count("Gao An Giang") == 1


@pytest.mark.parametrize(
    ("commodity", "wanted", "expected"),
    [
        ("Bưởi da xanh", "Bưởi", True),  # the start of the name, as whole words
        ("Dừa khô", "coconut", True),  # a Vietnamese store, an English subscriber
        ("Sầu riêng", "durian", True),
        ("Lúa tươi", "rice", True),
        ("Dưa hấu", "coconut", False),
        ("Bưởi da xanh", "buoi", True),  # without diacritics: folded on both sides
        ("Bưởi da xanh", "BƯỞI DA XANH", True),
        ("Bưởi da xanh", "Bư", False),  # not part of a word
        ("Bưởi da xanh", "da xanh", False),  # nor words inside the name
        ("Dừa khô", "Dừa", True),
        ("Dừa khô", "dua", True),
        ("Dưa hấu", "Dừa", False),  # watermelon is not coconut: diacritics count
        ("Dưa hấu", "Dưa", True),
        ("Coconut", "Dừa", True),
        ("Coconut oil", "coconut", False),  # a product of its own, in both languages
        ("Coconut oil", "Dừa", False),
        ("Coconut oil", "dầu dừa", True),
        ("Wheat", "Lúa", False),  # Lúa mì
        ("Rice (paddy)", "Lúa", True),
        ("Coffee, Robusta", "Cà", False),  # Cà phê; cà alone is an aubergine
        ("Coffee, Robusta", "cà phê", True),
        ("Rice, Thai 5%", "gao", True),
        ("Rice (white)", "rice", True),
        ("Rice (red nadu)", "Rice", True),  # a qualifier not asked for does not constrain
        ("Rice (red)", "Rice (red)", True),
        ("Rice (red)", "rice (RED)", True),
        ("Rice (red nadu)", "Rice (red)", False),  # a qualifier given is matched whole
        ("Rice (red nadu)", "Rice (red nadu)", True),
        ("Rice (red nadu)", "Rice (red", False),  # an open bracket is closed
        ("Rice (red)", "Rice (red", True),
        ("Rice (white)", "Rice (red)", False),
        ("Gạo trắng", "Rice (white)", True),  # the grade in English too
        ("Gạo (trắng)", "rice white", True),
        ("Gạo trắng", "Rice (red)", False),
        ("Dừa tươi", "coconut (fresh)", True),
    ],
)
def test_commodity_matching(commodity, wanted, expected):
    assert matches(commodity, wanted) is expected


def test_pomelo_subscriber_gets_buoi_da_xanh_and_coconut_not_watermelon(tmp_path):
    dates = pd.date_range("2023-01-01", periods=24, freq="MS")
    names = ["Bưởi da xanh", "Dừa khô", "Dưa hấu"]
    prices = pd.DataFrame(
        [
            {"date": d, "commodity": c, "price": 20_000 + 100 * i}
            for c in names
            for i, d in enumerate(dates)
        ]
    ).assign(market="Bến Tre", price_type="Retail", unit="kg", currency="VND")
    path = tmp_path / "s.csv"
    path.write_text(
        "name,email,phone,language,commodities\nCô Ba,,0901234567,vi,Bưởi;Dừa\n", "utf-8"
    )
    inputs = make_bulletin(prices, model="naive")
    (line,) = deliver(inputs, read_subscribers(path), smtp=None, outbox=tmp_path, dry_run=True)
    assert line.status == "written" and not line.error
    assert line.series == ["Bưởi da xanh (Bến Tre)", "Dừa khô (Bến Tre)"]


def test_brackets_count_only_where_both_names_write_them():
    from forecast.bulletin.deliver import matches

    assert matches("Rice (white)", "Rice white")
    assert matches("Rice (red nadu)", "Rice red nadu")
    assert matches("Rice (white)", "Gạo (trắng)")  # the Vietnamese name is "Gạo trắng"
    assert not matches("Rice (red nadu)", "Rice (red)")
    assert not matches("Rice (red nadu)", "Gạo (đỏ)")  # "Gạo đỏ nadu": its words go on


def test_a_red_rice_subscriber_gets_red_rice_not_red_nadu(tmp_path):
    dates = pd.date_range("2023-01-01", periods=24, freq="MS")
    names = ["Rice (red)", "Rice (red nadu)", "Rice (white)"]
    prices = pd.DataFrame(
        [
            {"date": d, "commodity": c, "price": 200 + 10 * n + i}
            for n, c in enumerate(names)
            for i, d in enumerate(dates)
        ]
    ).assign(market="Colombo", price_type="Retail", unit="kg", currency="LKR")
    path = tmp_path / "s.csv"
    path.write_text(
        "name,email,phone,language,commodities\n"
        "Nimal,,0771111111,en,Rice (red)\n"
        "Saman,,0772222222,en,Rice (red nadu)\n"
        "Kumari,,0773333333,en,rice\n",
        "utf-8",
    )
    inputs = make_bulletin(prices, model="naive")
    report = deliver(inputs, read_subscribers(path), smtp=None, outbox=tmp_path, dry_run=True)
    assert {line.name: sorted(line.series) for line in report} == {
        "Nimal": ["Rice (red) (Colombo)"],
        "Saman": ["Rice (red nadu) (Colombo)"],
        "Kumari": sorted(f"{name} (Colombo)" for name in names),
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,email,phone,language\nA,a@x.vn,,vi\n", "missing column commodities"),
        ("name,email,phone,language,commodities\nA,a@x.vn,,fr,Rice\n", "row 1 (line 2)"),
        ("name,email,phone,language,commodities\nA,,,vi,Rice\n", "neither email nor phone"),
        ("name,email,phone,language,commodities\nA,a@x.vn,,vi, ; \n", "no commodities"),
        ("name,email,phone,language,commodities\n", "no rows"),
    ],
)
def test_subscriber_file_is_validated(tmp_path, content, message):
    path = tmp_path / "s.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(message)) as info:
        read_subscribers(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("phone", "message"),
    [
        ("9.01235E+08", "is a spreadsheet number"),
        ("0901234567.0", "is a spreadsheet number"),
        ("901234567", "may have lost its leading 0"),
        ("090123", "has too few digits"),
        ("0901 234 567 / 0912345678", "holds more than one number"),
    ],
)
def test_a_phone_a_spreadsheet_mangled_is_refused_before_any_sms(tmp_path, phone, message):
    """An SMS file named for a wrong number reaches a stranger, or nobody."""
    path = tmp_path / "s.csv"
    path.write_text(f'name,email,phone,language,commodities\nA,,"{phone}",vi,Rice\n', "utf-8")
    with pytest.raises(InputError, match=re.escape(message)) as info:
        read_subscribers(path)
    assert "row 1 (line 2)" in str(info.value)
    assert ("Give one a row" if "more than one" in message else "as text") in str(info.value)
    for good in (
        "0901234567",
        "+84 901 234 567",
        "84901234567",
        "(028) 3822 1234",
        "028.3829.0000",  # dots between groups, the last all zeros: text, not a number
        "030/1234567",  # an area code and a slash: one number
        "(202) 555-0123",  # countries without a leading 0, written as text
        "612 345 678",
    ):
        path.write_text(f'name,email,phone,language,commodities\nA,,"{good}",vi,Rice\n', "utf-8")
        assert read_subscribers(path)[0].phone == good


def test_a_comma_in_a_row_or_a_semicolon_file_is_read_or_said(tmp_path):
    path = tmp_path / "s.csv"
    # Commodities written "Rice, Dừa" unquoted: six values under five columns.
    path.write_text("name,email,phone,language,commodities\nLan,,0901234567,vi,Rice, Dừa\n")
    with pytest.raises(InputError, match=r"row 1 \(line 2\): 6 values, expected 5") as info:
        read_subscribers(path)
    assert "Separate commodities with ';'" in str(info.value)
    # Excel's "CSV" where ',' is the decimal mark: ';' between columns.
    path.write_text("name;email;phone;language;commodities\nLan;;0901234567;vi;Rice;Dừa\n")
    with pytest.raises(InputError, match="6 values, expected 5") as info:
        read_subscribers(path)
    assert 'Quote the commodities when there are several ("Rice;Dừa")' in str(info.value)
    # Excel's trailing empty cells are no values.
    path.write_text("name,email,phone,language,commodities\nLan,,0901234567,vi,Rice,,\n")
    assert read_subscribers(path)[0].commodities == ("Rice",)
    path.write_text("name;email;phone;language;commodities\nLan;;0901234567;vi;Rice\n")
    (lan,) = read_subscribers(path)
    assert (lan.phone, lan.commodities) == ("0901234567", ("Rice",))
    with pytest.raises(InputError, match="is a folder"):
        read_subscribers(tmp_path)


def test_every_bad_subscriber_row_is_named_at_once_and_nobody_is_sent_anything(tmp_path):
    """A file with many bad rows, fixed one error at a time, took as many runs."""
    path = tmp_path / "s.csv"
    rows = ["name,email,phone,language,commodities", "Lan,,0901234567,vi,Rice"]
    rows += ["Bad1,not-an-address,,vi,Rice", "Ok,,0912345678,en,Rice", "Bad2,,,vi,Rice"]
    rows += [f"Short{i},,090123,vi,Rice" for i in range(6)]  # 8 bad rows in all
    path.write_text("\n".join(rows) + "\n", "utf-8")
    with pytest.raises(InputError) as info:
        read_subscribers(path)
    said = str(info.value)
    assert "\n" not in said and said.startswith("s.csv: 8 of 10 rows cannot be used")
    assert "row 2: 'not-an-address' is not an e-mail address" in said
    assert "row 4: neither email nor phone is given" in said
    assert "row 5: '090123' has too few digits" in said and "and 3 more" in said
    assert "row 1" not in said and "row 3" not in said  # the good rows are not blamed
    assert "nothing was sent" in said
    # How to fix them, as one bad row's message says it, once each.
    assert said.count("Fill one or both") == 1 and "its leading 0 or its country code" in said
    out = runner.invoke(
        app,
        [
            "bulletin",
            "send",
            "--subscribers",
            str(path),
            "--dry-run",
            "--outbox",
            str(tmp_path / "outbox"),
            *CLI_SLICE,
        ],
    )
    assert out.exit_code != 0 and "8 of 10 rows cannot be used" in out.output
    assert not (tmp_path / "outbox").exists() or not any((tmp_path / "outbox").iterdir())


def test_bad_language_names_the_choices(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("name,email,phone,language,commodities\nA,a@x.vn,,fr,Rice\n", "utf-8")
    with pytest.raises(InputError, match="language 'fr' is not one of vi, en"):
        read_subscribers(path)


# --------------------------------------------------------------------------- CLI

runner = CliRunner()
CLI_SLICE = ["--series", "Rice|An Giang", "--series", "Robusta", "--model", "naive", "-q"]


def test_cli_send_dry_run_writes_outbox_sends_nothing(subscribers, tmp_path):
    outbox = tmp_path / "outbox"
    args = ["bulletin", "send", "--subscribers", subscribers, "--outbox", outbox, "--dry-run"]
    result = runner.invoke(app, [str(a) for a in args + ["--as-of", "2022-01", *CLI_SLICE]])
    assert result.exit_code == 0, result.output
    assert "dry-run" in result.stdout and "written" in result.stdout
    assert sorted(p.name for p in outbox.iterdir()) == ["0912345678.txt", "0987654321.txt"]
    assert "Ca phe Robusta" in (outbox / "0987654321.txt").read_text()


def test_cli_send_exits_1_when_a_delivery_fails(subscribers, tmp_path, smtp_server):
    handler = Collector(refuse=("tu@example.vn",))
    host, port = smtp_server(handler)
    args = ["bulletin", "send", "--subscribers", subscribers, "--smtp", f"{host}:{port}"]
    args += ["--outbox", tmp_path / "outbox", "--as-of", "2022-01", *CLI_SLICE]
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 1
    assert "failed" in result.stdout and "1 of 4 deliveries failed" in result.stderr
    # One line naming the first failure whole (the table cuts it) and what to check.
    # One error line (beside notes on the prices: Rice | An Giang stopped in 2022).
    assert len([x for x in result.stderr.splitlines() if not x.startswith("note: ")]) == 1
    assert "Check --smtp" in result.stderr
    assert len(handler.to("lan@example.vn")) == 1


def test_cli_send_refuses_an_outbox_it_cannot_write_before_any_e_mail(
    subscribers, tmp_path, smtp_server, monkeypatch
):
    """Review: a read-only --outbox was found after the e-mail had gone, so the SMS
    failed and the rerun sent the e-mail twice. (Root is told it may write anywhere, so
    the test makes the folder refuse the way a read-only one does.)"""
    from pathlib import Path

    handler = Collector()
    host, port = smtp_server(handler)
    real = Path.write_text

    def read_only(self, *args, **kwargs):
        if self.parent.name == "outbox":
            raise PermissionError(13, "Permission denied", str(self))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", read_only)
    args = ["bulletin", "send", "--subscribers", subscribers, "--smtp", f"{host}:{port}"]
    args += ["--outbox", tmp_path / "outbox", "--as-of", "2022-01", *CLI_SLICE]
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 2, result.output
    assert "cannot write SMS files there: permission denied" in result.stderr
    assert "nothing was sent" in result.stderr and result.stderr.count("\n") == 1
    assert handler.to("lan@example.vn") == []


def test_cli_send_usage_errors(subscribers, tmp_path):
    result = runner.invoke(app, ["bulletin", "send", "--subscribers", str(subscribers)])
    assert result.exit_code == 2 and "--smtp" in result.stderr
    result = runner.invoke(
        app, ["bulletin", "send", "--subscribers", str(subscribers), "--smtp", "nohost"]
    )
    assert result.exit_code == 2 and "HOST:PORT" in result.stderr
    bad = tmp_path / "bad.csv"
    bad.write_text("name,email\nA,a@x.vn\n", encoding="utf-8")
    result = runner.invoke(app, ["bulletin", "send", "--subscribers", str(bad), "--dry-run"])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "missing column" in result.stderr


def test_cli_send_refuses_a_bad_outbox_sender_or_server_before_sending(subscribers, tmp_path):
    """Found after the e-mails had gone, a bad --outbox meant sending them all again."""
    taken = tmp_path / "outbox.txt"
    taken.write_text("kept")
    base = ["bulletin", "send", "--subscribers", subscribers, "--dry-run", *CLI_SLICE]
    cases = [
        (["--outbox", taken], "is a file; --outbox needs a folder"),
        (["--outbox", taken / "sms"], "a file is in its path"),
        (["--outbox", tmp_path / "o", "--from", "not an address"], "is not an e-mail address"),
        (["--outbox", tmp_path / "o", "--from", "bản tin <x"], "is not an e-mail address"),
    ]
    for extra, message in cases:
        result = runner.invoke(app, [str(a) for a in base + extra])
        assert result.exit_code == 2, result.output
        assert message in result.stderr and result.stderr.count("\n") == 1
    assert taken.read_text() == "kept" and not (tmp_path / "o").exists()
    url = ["bulletin", "send", "--subscribers", str(subscribers), "--smtp", "smtp://localhost:25"]
    result = runner.invoke(app, url)
    assert result.exit_code == 2 and "no scheme or user" in result.stderr
    accented = tmp_path / "s.csv"
    accented.write_text("name,email,phone,language,commodities\nLan,cô.lan@x.vn,,vi,Rice\n")
    with pytest.raises(InputError, match="has accents, which mail servers refuse"):
        read_subscribers(accented)
    ok = base + ["--outbox", tmp_path / "o", "--from", "Bản tin <bantin@example.vn>"]
    assert runner.invoke(app, [str(a) for a in ok]).exit_code == 0


def test_cli_send_exits_1_when_every_delivery_is_skipped(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("name,email,phone,language,commodities\nA,,0901234567,vi,durian\n", "utf-8")
    args = ["bulletin", "send", "--subscribers", path, "--outbox", tmp_path / "o", "--dry-run"]
    result = runner.invoke(app, [str(a) for a in args + ["--as-of", "2022-01", *CLI_SLICE]])
    assert result.exit_code == 1, result.output
    assert "skipped" in result.stdout and "durian" in result.stdout
    errors = [x for x in result.stderr.splitlines() if not x.startswith("note: ")]
    assert len(errors) == 1 and "nothing was delivered" in errors[0], result.stderr


def test_a_phone_written_with_viet_nams_code_is_the_same_phone():
    same = {"0912345678", "+84 912 345 678", "84912345678", "0084 912 345 678", "0912-345-678"}
    assert {phone_digits(p) for p in same} == {"0912345678"}
    assert phone_digits("+1 555 123 4567") == "15551234567"  # other countries as written


def _district_store(tmp_path) -> Path:
    """A store of a district depot's Dừa xiêm, two years of monthly prices per trái."""
    prices = tmp_path / "dua_xiem.csv"
    rows = ["date,commodity,market,price_type,unit,currency,price"]
    for year in (2023, 2024):
        rows += [
            f"{year}-{m:02d}-01,Dừa xiêm,Mỏ Cày Bắc,Wholesale,trái,VND,{6 + m % 3}000"
            for m in range(1, 13)
        ]
    prices.write_text("\n".join(rows) + "\n", encoding="utf-8")
    db = tmp_path / "store.duckdb"
    assert runner.invoke(app, ["ingest", str(prices), "--db", str(db)]).exit_code == 0
    return db


def test_options_given_before_send_are_sends_too(tmp_path):
    """Review: 'bulletin --db STORE --no-archive send' sent the embedded data (Sri Lankan
    coconut in LKR) to the district's farmers, exit 0: the options given before 'send'
    were dropped. They are send's, as if given after it."""
    from forecast.store import forecast_runs, open_store

    db = _district_store(tmp_path)
    people = tmp_path / "subscribers.csv"
    people.write_text("name,email,phone,language,commodities\nLan,,0901234567,vi,Dừa\n", "utf-8")
    slice_ = ["-m", "naive", "-j", "1", "-q"]

    def send(before: list, after: list, outbox: Path):
        args = ["bulletin", *before, "send", "--subscribers", str(people), "--outbox", str(outbox)]
        result = runner.invoke(app, args + after)
        assert result.exit_code == 0, result.output
        return (outbox / "0901234567.txt").read_text()

    given_after = send([], ["--db", str(db), *slice_, "--dry-run"], tmp_path / "after")
    given_before = send(["--db", str(db), "--no-archive", *slice_], [], tmp_path / "before")
    assert "Mo Cay Bac" in given_after and given_before == given_after
    # The group's --no-archive held: the outlook sent was not kept; without it, it is.
    assert forecast_runs(open_store(db)).empty
    send(["--db", str(db), *slice_], [], tmp_path / "kept")
    assert len(forecast_runs(open_store(db))) == 1
    # A review tried --no-archive after 'send' ("No such option"): it holds there too.
    send([], ["--db", str(db), "--no-archive", "--no-charts", *slice_], tmp_path / "after2")
    assert len(forecast_runs(open_store(db))) == 1


def test_map_and_default_before_and_after_send_are_all_read(tmp_path):
    """A re-review split a depot file's --map and --default around 'send': "given twice
    ... Give it once", for options --help calls repeatable. Both sides' pairs are read."""
    depot = tmp_path / "gia.csv"
    rows = ["Ngày,Mặt hàng,Chợ,Giá sỉ"]
    rows += [f"2024-{m:02d}-01,Dừa,Mỏ Cày Bắc,{4000 + 50 * m}" for m in range(1, 13)]
    rows += [f"2025-{m:02d}-01,Dừa,Mỏ Cày Bắc,{4600 + 50 * m}" for m in range(1, 13)]
    depot.write_text("\n".join(rows) + "\n", "utf-8")
    people = tmp_path / "subscribers.csv"
    people.write_text("name,email,phone,language,commodities\nLan,,0901234567,vi,Dừa\n", "utf-8")
    before = [
        "-i",
        str(depot),
        "--map",
        "date=Ngày,commodity=Mặt hàng",
        "--default",
        "currency=VND",
    ]
    after = ["--map", "market=Chợ,price=Giá sỉ", "--default", "price_type=Wholesale,unit=trái"]
    args = ["bulletin", *before, "send", "--subscribers", str(people), "--dry-run"]
    result = runner.invoke(
        app, [*args, "--outbox", str(tmp_path / "out"), *after, "-m", "naive", "-j", "1", "-q"]
    )
    assert result.exit_code == 0, result.output
    assert "Mo Cay Bac" in (tmp_path / "out" / "0901234567.txt").read_text()
    twice = runner.invoke(app, [*args, "--map", "date=Giá sỉ", "-q"])
    assert twice.exit_code == 2 and "'date' is given twice" in twice.output
    # The same pairs on both sides, as before 'send' could take them: read once.
    same = [*args, "--outbox", str(tmp_path / "same"), *before[2:], *after]
    again = runner.invoke(app, [*same, "-m", "naive", "-j", "1", "-q"])
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize(
    ("before", "after", "option"),
    [
        (["--lang", "en"], [], "--lang"),
        (["-f", "sms"], [], "--format"),
        (["-o", "bulletin.md"], [], "--out"),
        (["--model", "naive"], ["--model", "snaive"], "--model"),
        (["--series", "Rice"], ["--series", "Robusta"], "--series"),
    ],
)
def test_send_refuses_an_option_before_it_that_it_cannot_use_or_that_it_contradicts(
    subscribers, tmp_path, before, after, option
):
    """An option given before 'send' that a delivery cannot use (each subscriber has their
    language; e-mail and SMS have their formats), or that send's own contradicts, is one
    line and exit 2 before anything is sent, never silently dropped."""
    outbox = tmp_path / "outbox"
    args = ["bulletin", *before, "send", "--subscribers", str(subscribers), "--dry-run"]
    result = runner.invoke(app, args + ["--outbox", str(outbox), *after, "-q"])
    assert result.exit_code == 2, result.output
    assert option in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert not outbox.exists()


def test_a_bulletin_of_prices_long_past_is_noted_and_not_sent_unless_dated_so(
    subscribers, tmp_path, monkeypatch
):
    """A reviewer sent a "next 3 months" outlook of a WFP file's June 2022 prices in December
    2026, with no word of its age. Printed, it says so; sent, it is refused, unless --as-of
    dates it so; prices of last month go out as they are."""
    import forecast.commands.bulletin as bulletin

    monkeypatch.setattr(bulletin, "STALE_AFTER_PERIODS", 2)
    latest = load_default_prices()["date"].max()  # the embedded data's last month
    outbox = tmp_path / "outbox"
    send = ["bulletin", "send", "--subscribers", subscribers, "--outbox", outbox, "--dry-run"]
    send = [str(a) for a in send + CLI_SLICE]
    show = ["bulletin", "-f", "sms", *CLI_SLICE]

    monkeypatch.setattr(bulletin, "_today", lambda: latest + pd.DateOffset(months=3, days=1))
    printed = runner.invoke(app, show)
    assert printed.exit_code == 0, printed.output
    said = f"note: the latest prices are of {latest:%Y-%m}, 3 months before today"
    assert said in printed.stderr and f"give --as-of {latest:%Y-%m}" in printed.stderr
    refused = runner.invoke(app, send)
    assert refused.exit_code == 2 and refused.stderr.count("\n") == 1, refused.output
    assert "error: --as-of: the latest prices are of" in refused.stderr
    assert not outbox.exists()  # nothing written
    dated = runner.invoke(app, [*send, "--as-of", f"{latest:%Y-%m}"])
    assert dated.exit_code == 0, dated.output
    assert outbox.exists()

    monkeypatch.setattr(bulletin, "_today", lambda: latest + pd.DateOffset(months=1, days=1))
    fresh = runner.invoke(app, show)
    assert fresh.exit_code == 0 and "latest prices are of" not in fresh.stderr
    assert runner.invoke(app, send).exit_code == 0
