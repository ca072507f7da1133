"""USD-M futures through the engine against the simulator: leverage, positions, reduce-only."""

from __future__ import annotations

import time
from decimal import Decimal

from engine.account.sync import AccountSync
from engine.commands import (
    ClosePosition,
    PlaceOrder,
    SetLeverage,
    SetMarginType,
    TripKillSwitch,
)
from engine.engine import Engine
from engine.venue import Venue
from tests.helpers import eventually, part


def futures(side: str, qty: str, **extra) -> PlaceOrder:
    return PlaceOrder(actor="alice", market="futures", symbol="BTCUSDT", side=side,
                      order_type=extra.pop("order_type", "MARKET"), quantity=Decimal(qty),
                      **extra)  # fmt: skip


def position(engine: Engine) -> tuple | None:
    with engine.store.reader() as cur:
        return cur.execute(
            "SELECT amount, leverage, margin_type FROM positions WHERE symbol = 'BTCUSDT'"
        ).fetchone()


def test_leverage_margin_type_and_a_position_round_trip(connected_engine):
    engine = connected_engine
    assert (
        engine.submit(SetMarginType(actor="a", symbol="BTCUSDT", margin_type="ISOLATED"))
        .result(10)
        .ok
    )
    reply = engine.submit(SetLeverage(actor="a", symbol="BTCUSDT", leverage=5)).result(10)
    assert reply.ok, reply.message

    opened = engine.submit(futures("BUY", "0.01")).result(10)
    assert opened.ok, opened.message
    assert opened.data["status"] == "FILLED"
    eventually(lambda: position(engine) == (Decimal("0.01"), 5, "ISOLATED"), timeout=10)

    closed = engine.submit(ClosePosition(actor="a", symbol="BTCUSDT")).result(10)
    assert closed.ok, closed.message
    eventually(lambda: position(engine) is None, timeout=10)

    def futures_fills() -> int:
        with engine.store.reader() as cur:
            return cur.execute("SELECT count(*) FROM fills WHERE market = 'futures'").fetchone()[0]

    eventually(lambda: futures_fills() == 2, timeout=10)  # from ORDER_TRADE_UPDATE events


def test_leverage_above_the_bracket_is_refused_with_binances_reason(connected_engine):
    reply = connected_engine.submit(SetLeverage(actor="a", symbol="XRPUSDT", leverage=100))
    answer = reply.result(10)
    assert not answer.ok
    assert answer.code == "binance.-4028", answer


def test_the_kill_switch_refuses_opening_orders_but_lets_reduce_only_through(connected_engine):
    engine = connected_engine
    assert engine.submit(futures("BUY", "0.02")).result(10).ok
    eventually(lambda: position(engine) is not None, timeout=10)
    pulled = engine.submit(TripKillSwitch(actor="a", reason="test")).result(10)
    assert pulled.ok, pulled.message

    opening = engine.submit(futures("BUY", "0.01")).result(10)
    assert not opening.ok and opening.code == "desk.risk.kill_switch", opening
    reducing = engine.submit(futures("SELL", "0.01", reduce_only=True)).result(10)
    assert reducing.ok, reducing.message
    eventually(lambda: position(engine)[0] == Decimal("0.01"), timeout=10)


def test_a_conditional_order_goes_to_the_algo_service_and_can_be_cancelled(connected_engine):
    from engine.commands import CancelOrder

    engine = connected_engine
    stop = engine.submit(futures("SELL", "0.01", order_type="STOP_MARKET",
                                 stop_price=Decimal("50000"), reduce_only=True))  # fmt: skip
    reply = stop.result(10)
    assert reply.ok, reply.message
    cid = reply.data["client_order_id"]
    cancel = CancelOrder(actor="a", market="futures", symbol="BTCUSDT", client_order_id=cid)
    cancelled = engine.submit(cancel).result(10)
    assert cancelled.ok, cancelled.message


def test_futures_candles_and_mark_prices_stream_into_the_database(connected_engine):
    def stored() -> tuple[int, int]:
        with connected_engine.store.reader() as cur:
            klines = cur.execute(
                "SELECT count(*) FROM klines WHERE market = 'futures' AND symbol = 'BTCUSDT'"
            ).fetchone()[0]
            marks = cur.execute(
                "SELECT count(*) FROM mark_prices WHERE symbol = 'BTCUSDT' AND mark_price > 0"
            ).fetchone()[0]
        return klines, marks

    eventually(lambda: stored()[0] > 100 and stored()[1] == 1, timeout=20)


def test_a_position_closed_while_a_snapshot_is_in_flight_stays_closed(connected_engine):
    """The REST snapshot is taken with the position open; the stream closes it before the reply
    lands. The older snapshot must not bring the closed position back."""
    import asyncio

    from engine.commands import Reconcile

    engine = connected_engine
    # at start, then once per user stream: after that the futures stream is reading events
    eventually(lambda: part(engine, AccountSync).reconciliations >= 3, timeout=10)
    assert engine.submit(futures("BUY", "0.01")).result(10).ok
    eventually(lambda: position(engine) is not None, timeout=10)
    raw = part(engine, Venue).rest._client.raw
    original = raw.futures_position_information
    raced = []

    async def snapshot_then_close(**params):
        stale = await original(**params)
        if not raced:
            raced.append(any(Decimal(p["positionAmt"]) for p in stale))
            await raw.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET",
                                           quantity="0.01", reduceOnly="true")  # fmt: skip
            for _ in range(1000):  # the close reaches DuckDB through the stream
                if position(engine) is None:
                    break
                await asyncio.sleep(0.01)
            assert position(engine) is None, "the stream did not close the position"
        return stale

    raw.futures_position_information = snapshot_then_close
    reply = engine.submit(Reconcile(actor="a")).result(30)
    assert reply.ok, reply.message
    assert raced == [True]  # the snapshot did show the position open
    assert position(engine) is None


def test_a_refused_order_leaves_the_leverage_as_it_was(connected_engine, sim):
    """The leverage travels with the order (one command): set before it is sent, and set back
    when the exchange refuses the order."""
    engine = connected_engine
    assert engine.submit(SetLeverage(actor="a", symbol="BTCUSDT", leverage=3)).result(10).ok
    # 500 BTC at 20x: more margin than the account has, so the exchange refuses (-2019).
    refused = engine.submit(futures("BUY", "500", leverage=20)).result(10)
    assert not refused.ok
    assert leverage_at_exchange(sim, "BTCUSDT") == 3
    eventually(lambda: stored_leverage(engine, "BTCUSDT") == 3)
    placed = engine.submit(futures("BUY", "0.01", leverage=7)).result(10)
    assert placed.ok, placed.message
    assert leverage_at_exchange(sim, "BTCUSDT") == 7
    eventually(lambda: position(engine) == (Decimal("0.01"), 7, "CROSSED"), timeout=10)


def sim_futures_client(sim):
    from tests.integration.sim_support import client_class

    # Every URL points at the simulator: a test never reaches Binance.
    client = client_class(sim.urls)(sim.api_key.key, sim.api_key.secret)
    client.timestamp_offset = client.futures_time()["serverTime"] - int(time.time() * 1000)
    return client


def leverage_at_exchange(sim, symbol: str) -> int:
    positions = sim_futures_client(sim).futures_account()[
        "positions"
    ]  # every symbol, with its leverage
    return int(next(p["leverage"] for p in positions if p["symbol"] == symbol))


def stored_leverage(engine: Engine, symbol: str) -> int | None:
    with engine.store.reader() as cur:
        row = cur.execute(
            "SELECT leverage FROM symbol_settings WHERE symbol = ?", [symbol]
        ).fetchone()
    return row[0] if row else None


def test_a_funding_payment_reaches_the_pnl_funding_line_and_equity(tmp_path):
    """Past a funding time the exchange pays or charges the position; the engine records the
    payment once (the `funding` table), books it in the futures P&L's funding line, and the
    equity follows the wallet."""
    import asyncio

    from engine.portfolio.component import Portfolio
    from simulator.server import SimulatorThread
    from tests.integration.conftest import connect_engine, engine_settings, sim_config, sim_control

    sim = SimulatorThread(sim_config(tmp_path, clock="virtual")).start()
    engine = connect_engine(sim, engine_settings(tmp_path))
    engine.start()
    try:
        portfolio = part(engine, Portfolio)
        eventually(lambda: portfolio.last is not None, timeout=15)
        assert engine.submit(futures("BUY", "0.1")).result(10).ok
        eventually(lambda: position(engine) is not None, timeout=10)
        sim_control(sim, "POST", "/_sim/futures/funding", {"symbol": "BTCUSDT", "rate": "0.001"})
        clock = sim_control(sim, "GET", "/_sim/clock")
        to_funding = 8 * 3_600_000 - clock["marketTime"] % (8 * 3_600_000) + 60_000
        sim_control(sim, "POST", "/_sim/clock/advance", {"ms": to_funding})
        rest = part(engine, Venue).rest
        asyncio.run_coroutine_threadsafe(rest.sync_time(), engine._loop).result(10)

        def payments() -> list[tuple]:
            with engine.store.reader() as cur:
                return cur.execute("SELECT symbol, amount FROM funding").fetchall()

        ((symbol, amount),) = eventually(payments, timeout=15)
        assert symbol == "BTCUSDT" and amount < 0  # a long pays a positive rate
        # The payment is stored before the portfolio books it: the ledger may not be there yet.
        eventually(lambda: (ledger := portfolio.book.futures.get("BTCUSDT")) is not None
                   and ledger.funding == amount, timeout=10)  # fmt: skip

        def wallet_followed() -> bool:
            snapshot = asyncio.run_coroutine_threadsafe(portfolio.take_snapshot(), engine._loop)
            return snapshot.result(10).futures.wallet == _exchange_wallet(sim)

        assert eventually(wallet_followed, timeout=15, interval=0.2)
        assert payments() == [(symbol, amount)]  # once, however often it was fetched
    finally:
        engine.stop()
        sim.stop()


def _exchange_wallet(sim) -> Decimal:
    return Decimal(sim_futures_client(sim).futures_account()["totalWalletBalance"])
