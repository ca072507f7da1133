"""Valuation, equity snapshots over a price path, today's start and the peak, by hand."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb

from engine.clock import DAY_MS
from engine.models import Balance, MarginBalance, MarketType, Position
from engine.portfolio.history import read_equity, write_equity_snapshot
from engine.portfolio.valuation import (
    EquitySnapshot,
    HeldPosition,
    equity_snapshot,
    futures_positions,
    peak_equity,
    spot_positions,
    start_of_day_equity,
    value_futures,
    value_spot,
)
from engine.store.schema import migrate

D = Decimal
DAY1 = 1_767_225_600_000  # 2026-01-01 00:00 UTC
HOUR = 3_600_000

BALANCES = [
    Balance(asset="USDT", free=D(900), locked=D(100)),
    Balance(asset="BTC", free=D("0.4"), locked=D("0.1")),
    Balance(asset="ETH", free=D(0), locked=D(0)),  # empty: ignored
]
WALLET = [MarginBalance(asset="USDT", wallet_balance=D(500), cross_wallet_balance=D(500))]
ETH_LONG = Position(symbol="ETHUSDT", amount=D(2), entry_price=D(2000), unrealized_pnl=D(0))


def snapshot_at(time: int, btc: str, eth: str) -> EquitySnapshot:
    spot = value_spot(BALANCES, {"BTCUSDT": D(btc)})
    futures = value_futures(WALLET, [ETH_LONG], {"ETHUSDT": D(eth)})
    return equity_snapshot(time, spot, futures, realized_pnl=D(0))


# Price path. Spot: 1000 USDT + 0.5 BTC; futures: 500 USDT wallet + long 2 ETH from 2000.
PATH = [
    snapshot_at(DAY1 + 1 * HOUR, "40000", "2000"),  # 1000 + 20000 + 500 + 0     = 21500
    snapshot_at(DAY1 + 2 * HOUR, "42000", "2100"),  # 1000 + 21000 + 500 + 200   = 22700 (peak)
    snapshot_at(DAY1 + 3 * HOUR, "39000", "1950"),  # 1000 + 19500 + 500 - 100   = 20900
    snapshot_at(DAY1 + DAY_MS + HOUR, "41000", "2050"),  # 21500 + 600           = 22100
    snapshot_at(DAY1 + DAY_MS + 2 * HOUR, "44000", "2200"),  # 23000 + 900       = 23900 (peak)
]


def test_equity_over_a_price_path() -> None:
    assert [s.equity for s in PATH] == [D(21500), D(22700), D(20900), D(22100), D(23900)]
    third = PATH[2]
    assert (third.spot_value, third.futures_value, third.unrealized_pnl) == (
        D(20500), D(400), D(-100)
    )  # fmt: skip


def test_start_of_day_equity_and_peak() -> None:
    now = DAY1 + DAY_MS + 2 * HOUR
    assert start_of_day_equity(PATH, now) == D(20900)  # last equity before 2026-01-02 00:00
    at_midnight = [*PATH[:3], snapshot_at(DAY1 + DAY_MS, "40000", "2000"), *PATH[3:]]
    assert start_of_day_equity(at_midnight, now) == D(21500)
    assert start_of_day_equity(PATH[3:], now) == D(22100)  # started today: the first snapshot
    assert start_of_day_equity([], now) is None
    assert peak_equity(PATH) == D(23900)
    assert peak_equity(PATH, since_ms=DAY1 + 3 * HOUR) == D(23900)
    assert peak_equity(PATH[:4], since_ms=DAY1 + 3 * HOUR) == D(22100)


def test_unpriced_assets_are_named_not_valued_at_zero() -> None:
    balances = [Balance(asset="XYZ", free=D(5), locked=D(0)), *BALANCES]
    valuation = value_spot(balances, {"BTCUSDT": D(40000)})
    assert valuation.value == D(21000)
    assert valuation.unpriced == ("XYZ",)
    usdc = value_spot([Balance(asset="USDC", free=D("10.5"), locked=D(0))], {})
    assert usdc.value == D("10.5")


def test_futures_value_uses_marks_and_falls_back_to_the_exchange_figure() -> None:
    short = Position(symbol="BTCUSDT", amount=D("-0.1"), entry_price=D(30000), unrealized_pnl=D(7))
    # ETH: 2 x (2100 - 2000) = 200; BTC has no mark here: the exchange's 7 is used
    valuation = value_futures(WALLET, [ETH_LONG, short], {"ETHUSDT": D(2100)})
    assert (valuation.wallet, valuation.unrealized, valuation.value) == (D(500), D(207), D(707))
    bnb_wallet = [MarginBalance(asset="BNB", wallet_balance=D(2), cross_wallet_balance=D(2))]
    assert value_futures(bnb_wallet, [], {}).unpriced == ("BNB",)
    assert value_futures(bnb_wallet, [], {}, {"BNBUSDT": D(600)}).wallet == D(1200)


def test_equity_rows_round_trip_through_duckdb(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "desk.duckdb"))
    migrate(con)
    for snapshot in PATH:
        write_equity_snapshot(con, snapshot)
    write_equity_snapshot(con, PATH[-1])  # same millisecond again: replaced, not duplicated
    stored = read_equity(con.cursor())
    assert stored == PATH
    assert read_equity(con.cursor(), since_ms=DAY1 + DAY_MS) == PATH[3:]
    con.close()


def test_positions_for_the_risk_checks() -> None:
    balances = [
        Balance(asset="USDT", free=D(1000), locked=D(0)),
        Balance(asset="BTC", free=D("0.001"), locked=D(0)),  # 40 USDT
        Balance(asset="DOGE", free=D(3), locked=D(0)),  # 0.3 USDT: dust
        Balance(asset="NEW", free=D(1), locked=D(0)),  # no price: counted
    ]
    prices = {"BTCUSDT": D(40000), "DOGEUSDT": D("0.1")}
    assert spot_positions(balances, prices) == [
        HeldPosition(MarketType.SPOT, "BTCUSDT", D("0.001")),
        HeldPosition(MarketType.SPOT, "NEWUSDT", D(1)),
    ]
    flat = Position(symbol="XRPUSDT", amount=D(0), entry_price=D(0), unrealized_pnl=D(0))
    assert futures_positions([ETH_LONG, flat]) == [
        HeldPosition(MarketType.FUTURES, "ETHUSDT", D(2))
    ]
