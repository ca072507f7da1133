"""The Portfolio page's figures come from the engine's one valuation, not from the page's SQL."""

from decimal import Decimal
from pathlib import Path

import pytest

from app import db, portfolio_queries
from engine.clock import now_ms
from engine.models import Balance
from engine.portfolio.history import write_valuation
from engine.portfolio.valuation import (
    FuturesValuation,
    Valuation,
    equity_snapshot,
    value_spot,
)
from engine.store.database import Store

D = Decimal


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    s = Store(tmp_path / "t.duckdb")
    monkeypatch.setattr(db, "store", lambda: s)
    yield s
    s.close()


def put_balance(store: Store, asset: str, free: str) -> None:
    store.write_sync(
        lambda con: con.execute(
            "INSERT INTO balances VALUES ('spot', ?, ?, 0, ?)", [asset, free, now_ms()]
        )
    )


def valuation(balances: list[Balance], prices: dict[str, Decimal], start: str) -> Valuation:
    spot = value_spot(balances, prices)
    futures = FuturesValuation(wallet=D(1000), unrealized=D(-25))
    snapshot = equity_snapshot(now_ms(), spot, futures, D(0))
    assets = {b.asset: prices[f"{b.asset}USDT"] for b in balances if f"{b.asset}USDT" in prices}
    return Valuation(snapshot, spot, futures, assets | {"USDT": D(1)}, D(start),
                     now_ms() - 3_600_000, snapshot.equity + 100)  # fmt: skip


def test_balances_are_valued_at_the_engines_prices(store: Store):
    put_balance(store, "BTC", "0.5")
    put_balance(store, "USDT", "100")
    put_balance(store, "NEW", "3")  # the engine has no price for it
    held = [Balance(asset="BTC", free=D("0.5"), locked=D(0)),
            Balance(asset="USDT", free=D(100), locked=D(0)),
            Balance(asset="NEW", free=D(3), locked=D(0))]  # fmt: skip
    v = valuation(held, {"BTCUSDT": D(61_000)}, start="31000")
    store.write_sync(lambda con: write_valuation(con, v))
    rows = portfolio_queries.spot_balances().set_index("asset")
    assert rows.loc["BTC", "price"] == 61_000.0 and rows.loc["BTC", "value_usdt"] == 30_500.0
    assert rows.loc["USDT", "value_usdt"] == 100.0
    assert rows.loc["NEW"].isna()["value_usdt"]  # unknown, never a made-up price
    assert rows["value_usdt"].sum() == float(v.spot.value)


def test_the_header_figures_come_from_one_valuation(store: Store):
    held = [Balance(asset="USDT", free=D(30_000), locked=D(0))]
    v = valuation(held, {}, start="31500")
    store.write_sync(lambda con: write_valuation(con, v))
    figures = portfolio_queries.portfolio_figures()
    assert figures is not None
    assert figures.equity == float(v.equity) == 30_975.0  # 30,000 spot + 1,000 wallet - 25
    assert figures.daily_pnl == pytest.approx(30_975.0 - 31_500.0)
    assert figures.daily_pnl_pct == pytest.approx((30_975 - 31_500) / 31_500 * 100)
    assert figures.drawdown == 100.0
    assert figures.day_start_time is not None


def test_no_valuation_yet(store: Store):
    assert portfolio_queries.portfolio_figures() is None
