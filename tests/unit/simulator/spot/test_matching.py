"""SpotMatchingEngine against a scripted price path: matching, partial fills, fees, stops, locks."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from itertools import count

import pytest

from simulator.core.clock import Clock
from simulator.core.errors import ApiError
from simulator.spot.balances import Balances
from simulator.spot.matching import OrderRequest, SpotMatchingEngine
from simulator.spot.symbols import SymbolTable

D = Decimal
START_MS = 1_700_000_000_000


@dataclass(frozen=True)
class Tick:
    symbol: str
    time_ms: int
    price: Decimal
    volume: Decimal


@dataclass(frozen=True)
class Trade:
    id: int
    price: Decimal
    qty: Decimal
    time_ms: int
    is_buyer_maker: bool


class ScriptedMarket:
    """A price path the test writes step by step; implements the part of the Market contract
    the exchange uses."""

    def __init__(
        self, prices: dict[str, Decimal], volume_per_second: Decimal = Decimal("0.5")
    ) -> None:
        self.prices = dict(prices)
        self.vps = volume_per_second
        self.trades: list[Trade] = []
        self._ids = count(1)

    def step(self, symbol: str, price: str, volume: str, time_ms: int) -> list[Tick]:
        self.prices[symbol] = D(price)
        return [Tick(symbol, time_ms, D(price), D(volume))]

    def advance(self, now_ms: int) -> list[Tick]:
        return []

    def last_price(self, symbol: str) -> Decimal:
        return self.prices[symbol]

    def klines(self, symbol, interval, start_ms, end_ms, limit):  # no history: ref = last price
        return []

    def volume_per_second(self, symbol: str) -> Decimal:
        return self.vps

    def record_trade(self, symbol, price, qty, is_buyer_maker, time_ms) -> Trade:
        trade = Trade(next(self._ids), price, qty, time_ms, is_buyer_maker)
        self.trades.append(trade)
        return trade


@pytest.fixture
def setup():
    symbols = SymbolTable()
    market = ScriptedMarket({"BTCUSDT": D("50000.00"), "ETHUSDT": D("3000.00")})
    clock = Clock("virtual", START_MS)
    exchange = SpotMatchingEngine(
        symbols, market, clock, Balances({"USDT": D(100000), "BTC": D(2)}), D("0.001"), D("0.001")
    )
    events: list[dict] = []
    exchange.listeners.append(events.append)
    return exchange, market, clock, events


def req(
    exchange: SpotMatchingEngine, side: str, type_: str, qty: str | None = None, **kw
) -> OrderRequest:
    return OrderRequest(
        spec=exchange.symbols.specs[kw.pop("symbol", "BTCUSDT")],
        side=side,
        type=type_,
        time_in_force=kw.pop("tif", "GTC" if "LIMIT" in type_ and type_ != "LIMIT_MAKER" else None),
        quantity=D(qty) if qty else None,
        quote_qty=D(kw["quote"]) if "quote" in kw else None,
        price=D(kw["price"]) if "price" in kw else None,
        stop_price=D(kw["stop"]) if "stop" in kw else None,
        client_order_id=kw.get("cid"),
    )


def reports(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["x"], e["X"]) for e in events if e["e"] == "executionReport"]


def test_resting_limit_buy_locks_quote_then_fills_as_maker_when_path_crosses(setup):
    exchange, market, _, events = setup
    order, fills = exchange.place(req(exchange, "BUY", "LIMIT", "0.1", price="49000.00"))
    assert fills == [] and order.status == "NEW"
    assert exchange.balances.locked_of("USDT") == D("4900.000")
    assert exchange.balances.free_of("USDT") == D(100000) - D("4900.000")

    exchange.on_ticks(market.step("BTCUSDT", "49500.00", "5", START_MS + 1000))  # not crossed
    assert order.status == "NEW"
    exchange.on_ticks(market.step("BTCUSDT", "48990.00", "5", START_MS + 2000))
    assert order.status == "FILLED"
    assert exchange.balances.locked_of("USDT") == 0
    assert exchange.balances.free_of("USDT") == D(100000) - D("4900")
    # maker fee 0.1% of the base received
    assert exchange.balances.free_of("BTC") == D(2) + D("0.1") - D("0.0001")
    trade = [e for e in events if e["e"] == "executionReport"][-1]
    assert trade["x"] == "TRADE" and trade["m"] is True and trade["L"] == "49000.00000000"
    assert trade["n"] == "0.00010000" and trade["N"] == "BTC"
    assert any(e["e"] == "outboundAccountPosition" for e in events)


def test_large_limit_fills_partially_in_proportion_to_traded_volume(setup):
    exchange, market, _, events = setup
    order, _ = exchange.place(req(exchange, "SELL", "LIMIT", "1.5", price="50100.00"))
    assert exchange.balances.locked_of("BTC") == D("1.5")
    exchange.on_ticks(market.step("BTCUSDT", "50100.00", "0.4", START_MS + 1000))
    assert order.status == "PARTIALLY_FILLED" and order.executed_qty == D("0.4")
    exchange.on_ticks(market.step("BTCUSDT", "50200.00", "0.7", START_MS + 2000))
    assert order.executed_qty == D("1.1")
    exchange.on_ticks(market.step("BTCUSDT", "50300.00", "9", START_MS + 3000))
    assert order.status == "FILLED"
    assert reports(events) == [
        ("NEW", "NEW"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("TRADE", "PARTIALLY_FILLED"),
        ("TRADE", "FILLED"),
    ]
    proceeds = D("1.5") * D("50100")
    assert exchange.balances.free_of("USDT") == D(100000) + proceeds - proceeds * D("0.001")
    assert exchange.balances.locked_of("BTC") == 0


def test_market_orders_walk_the_book_and_slippage_grows_with_size(setup):
    exchange, _, _, _ = setup
    small, _ = exchange.place(req(exchange, "BUY", "MARKET", "0.01"))
    big, big_fills = exchange.place(req(exchange, "BUY", "MARKET", "1.9"))
    assert small.status == big.status == "FILLED"
    small_avg = small.cum_quote / small.executed_qty
    big_avg = big.cum_quote / big.executed_qty
    assert big_avg > small_avg > D("50000")
    assert len(big_fills) > 1 and len({f.price for f in big_fills}) == len(big_fills)
    assert all(not f.is_maker for f in big_fills)


def test_market_buy_by_quote_amount_spends_at_most_that_amount(setup):
    exchange, _, _, _ = setup
    order, fills = exchange.place(req(exchange, "BUY", "MARKET", quote="1000"))
    assert order.status == "FILLED"
    assert D("990") < order.cum_quote <= D("1000")
    assert exchange.balances.free_of("USDT") == D(100000) - order.cum_quote
    assert sum(f.qty for f in fills) == order.executed_qty == order.orig_qty


def test_taker_fee_on_sell_is_charged_in_quote(setup):
    exchange, _, _, _ = setup
    order, fills = exchange.place(req(exchange, "SELL", "MARKET", "0.2"))
    assert all(f.commission_asset == "USDT" for f in fills)
    fees = sum(f.commission for f in fills)
    assert fees == (order.cum_quote * D("0.001")).quantize(D("0.00000001"))
    assert exchange.balances.free_of("USDT") == D(100000) + order.cum_quote - fees
    assert exchange.balances.free_of("BTC") == D("1.8")


def test_insufficient_balance_is_refused_and_nothing_changes(setup):
    exchange, _, _, events = setup
    with pytest.raises(ApiError) as e:
        exchange.place(req(exchange, "BUY", "LIMIT", "3", price="49000.00"))
    assert (e.value.code, e.value.msg) == (
        -2010,
        "Account has insufficient balance for requested action.",
    )
    with pytest.raises(ApiError):
        exchange.place(req(exchange, "SELL", "MARKET", "2.5"))
    assert exchange.balances.free_of("USDT") == D(100000) and exchange.store.orders == {}
    assert events == []


def test_ioc_fills_what_the_book_gives_up_to_the_limit_and_expires_the_rest(setup):
    exchange, _, _, events = setup
    ask = exchange.book("BTCUSDT").levels("ask", 1)[0]  # the touch: what a limit there can take
    qty, price = str(ask.qty + D("0.1")), str(ask.price)
    order, fills = exchange.place(req(exchange, "BUY", "LIMIT", qty, price=price, tif="IOC"))
    assert order.status == "EXPIRED" and order.executed_qty == ask.qty
    assert [f.price for f in fills] == [ask.price]
    assert reports(events)[-1] == ("EXPIRED", "EXPIRED")
    assert exchange.balances.locked_of("USDT") == 0


def test_fok_that_cannot_fill_completely_expires_without_any_fill(setup):
    exchange, _, _, _ = setup
    ask = exchange.book("BTCUSDT").levels("ask", 1)[0]
    more, price = str(ask.qty + D("0.001")), str(ask.price)
    order, fills = exchange.place(req(exchange, "BUY", "LIMIT", more, price=price, tif="FOK"))
    assert order.status == "EXPIRED" and fills == [] and order.executed_qty == 0
    order, fills = exchange.place(
        req(exchange, "BUY", "LIMIT", str(ask.qty), price=price, tif="FOK")
    )
    assert order.status == "FILLED"


def test_limit_maker_that_would_take_is_rejected(setup):
    exchange, _, _, _ = setup
    with pytest.raises(ApiError) as e:
        exchange.place(req(exchange, "BUY", "LIMIT_MAKER", "0.1", price="50001.00"))
    assert e.value.msg == "Order would immediately match and take."
    order, _ = exchange.place(req(exchange, "BUY", "LIMIT_MAKER", "0.1", price="49999.00"))
    assert order.status == "NEW"


def test_stop_loss_sell_triggers_on_the_path_and_sells_at_market(setup):
    exchange, market, _, events = setup
    with pytest.raises(ApiError) as e:
        exchange.place(req(exchange, "SELL", "STOP_LOSS", "0.5", stop="50500.00"))
    assert e.value.msg == "Order would trigger immediately."
    order, _ = exchange.place(req(exchange, "SELL", "STOP_LOSS", "0.5", stop="49500.00"))
    assert not order.is_working and exchange.balances.locked_of("BTC") == D("0.5")
    exchange.on_ticks(market.step("BTCUSDT", "49600.00", "1", START_MS + 1000))
    assert order.status == "NEW"
    exchange.on_ticks(market.step("BTCUSDT", "49400.00", "1", START_MS + 2000))
    assert order.status == "FILLED" and order.is_working
    assert order.cum_quote / order.executed_qty < D("49400")  # sold into the bids
    assert reports(events)[-1] == ("TRADE", "FILLED")


def test_take_profit_limit_buy_triggers_then_rests_at_its_limit(setup):
    exchange, market, _, _ = setup
    order, _ = exchange.place(
        req(exchange, "BUY", "TAKE_PROFIT_LIMIT", "0.1", price="48000.00", stop="49000.00")
    )
    exchange.on_ticks(market.step("BTCUSDT", "48900.00", "0", START_MS + 1000))
    assert order.is_working and order.status == "NEW"  # triggered; limit 48000 not reached
    exchange.on_ticks(market.step("BTCUSDT", "47990.00", "1", START_MS + 2000))
    assert order.status == "FILLED" and order.cum_quote == D("4800.000")


def test_duplicate_client_id_is_refused_while_open_and_allowed_after(setup):
    exchange, _, _, _ = setup
    first, _ = exchange.place(req(exchange, "BUY", "LIMIT", "0.1", price="49000.00", cid="abc"))
    with pytest.raises(ApiError) as e:
        exchange.place(req(exchange, "BUY", "LIMIT", "0.1", price="48000.00", cid="abc"))
    assert (e.value.code, e.value.msg) == (-2010, "Duplicate order sent.")
    exchange.cancel("BTCUSDT", None, "abc", None)
    second, _ = exchange.place(req(exchange, "BUY", "LIMIT", "0.1", price="48000.00", cid="abc"))
    assert second.order_id != first.order_id


def test_cancel_releases_the_lock_and_reports_the_original_client_id(setup):
    exchange, _, _, events = setup
    order, _ = exchange.place(req(exchange, "BUY", "LIMIT", "0.1", price="49000.00", cid="keep"))
    canceled, cancel_id = exchange.cancel("BTCUSDT", order.order_id, None, "mycancel")
    assert canceled.status == "CANCELED" and cancel_id == "mycancel"
    assert exchange.balances.locked_of("USDT") == 0
    report = [e for e in events if e["e"] == "executionReport"][-1]
    assert (report["x"], report["c"], report["C"]) == ("CANCELED", "mycancel", "keep")
    with pytest.raises(ApiError) as e:
        exchange.cancel("BTCUSDT", order.order_id, None, None)
    assert (e.value.code, e.value.msg) == (-2011, "Unknown order sent.")


def test_state_round_trip_keeps_balances_open_orders_and_trades(setup):
    exchange, market, clock, _ = setup
    exchange.place(req(exchange, "BUY", "MARKET", "0.3"))
    resting, _ = exchange.place(req(exchange, "SELL", "LIMIT", "0.5", price="51000.00"))
    state = exchange.to_state()
    again = SpotMatchingEngine(exchange.symbols, market, clock, Balances())
    again.load_state(state)
    assert again.balances.rows() == exchange.balances.rows()
    assert [o.to_query() for o in again.store.open_orders(None)] == [resting.to_query()]
    assert again.store.trades_of("BTCUSDT") == exchange.store.trades_of("BTCUSDT")
    nxt, _ = again.place(req(again, "BUY", "LIMIT", "0.1", price="49000.00"))
    assert nxt.order_id == exchange.store.next_order_id
