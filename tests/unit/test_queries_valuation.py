"""Page queries that value holdings: a price must come from somewhere even before a ticker."""

from pathlib import Path

import pytest

from app import queries
from app.queries import now_ms
from engine.store import Store


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    s = Store(tmp_path / "t.duckdb")
    monkeypatch.setattr(queries, "_store", lambda: s)
    yield s
    s.close()


def put_balance(store: Store, asset: str, free: float) -> None:
    store.write_sync(
        lambda con: con.execute(
            "INSERT INTO balances VALUES ('spot', ?, ?, 0, ?)", [asset, free, now_ms()]
        )
    )


def put_close(store: Store, symbol: str, close: float, age_ms: int) -> None:
    open_time = now_ms() - age_ms
    store.write_sync(
        lambda con: con.execute(
            "INSERT INTO klines VALUES ('spot', ?, '1m', ?, ?, ?, ?, ?, 1, ?, 1, 1, true)",
            [symbol, open_time, close, close, close, close, open_time + 59_999],
        )
    )


def test_a_balance_without_a_ticker_is_valued_at_the_last_candle_close(store: Store):
    put_balance(store, "BTC", 0.5)
    put_close(store, "BTCUSDT", 60_000.0, age_ms=120_000)
    put_close(store, "BTCUSDT", 61_000.0, age_ms=60_000)
    btc = queries.spot_balances().set_index("asset").loc["BTC"]
    assert btc["price"] == 61_000.0
    assert btc["value_usdt"] == 30_500.0


def test_the_ticker_wins_over_the_candle_and_stale_candles_are_not_a_price(store: Store):
    put_balance(store, "BTC", 1.0)
    put_balance(store, "ETH", 2.0)
    put_close(store, "BTCUSDT", 61_000.0, age_ms=60_000)
    put_close(store, "ETHUSDT", 3_000.0, age_ms=3 * 86_400_000)
    store.write_sync(
        lambda con: con.execute(
            "INSERT INTO tickers (market, symbol, last_price, event_time) "
            "VALUES ('spot', 'BTCUSDT', 62000, ?)",
            [now_ms()],
        )
    )
    rows = queries.spot_balances().set_index("asset")
    assert rows.loc["BTC", "value_usdt"] == 62_000.0
    assert rows.loc["ETH"].isna()["value_usdt"]  # no price from the past day: shown as unknown
