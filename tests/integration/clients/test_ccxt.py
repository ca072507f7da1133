"""ccxt's `binance` class, default options, unchanged apart from its base URLs, trades spot and
USD-M on the simulator: markets (spot, linear and the inverse it also loads), ticker, book,
trades, candles, balance, create / edit / cancel / fetch orders and trades, positions,
leverage, margin mode and funding rate."""

from __future__ import annotations

import re
from decimal import Decimal

import ccxt
import pytest

from simulator.server import SimulatorThread
from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.loopback import OffLoopback
from tests.integration.sim_support import control, start_sim

FUTURE = "BTC/USDT:USDT"


def pointed_at(sim: SimulatorThread) -> ccxt.binance:
    """The README's five lines: every URL ccxt has for Binance, on the simulator's host."""
    exchange = ccxt.binance({"apiKey": sim.api_key.key, "secret": sim.api_key.secret})
    for name, url in exchange.urls["api"].items():
        exchange.urls["api"][name] = re.sub(r"^https://[^/]+", sim.urls.base_url, url)
    return exchange


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:2])
    yield thread
    thread.stop()


@pytest.fixture
def exchange(sim):
    control(sim, "POST", "/_sim/reset")
    return pointed_at(sim)


def test_every_ccxt_url_points_at_the_simulator(exchange, sim):
    urls = list(exchange.urls["api"].values())
    assert urls and all(u.startswith(sim.urls.base_url) for u in urls)
    with pytest.raises((OffLoopback, ccxt.NetworkError)):
        ccxt.binance().fetch_time()  # an unpointed client cannot leave this machine


def test_spot_market_data_and_balance(exchange):
    markets = exchange.load_markets()
    assert {"BTC/USDT", "ETH/USDT", FUTURE, "ETH/USDT:USDT"} <= set(markets)
    assert markets["BTC/USDT"]["precision"]["price"] == 0.01
    ticker = exchange.fetch_ticker("BTC/USDT")
    assert ticker["bid"] < ticker["last"] < ticker["ask"] or ticker["bid"] < ticker["ask"]
    book = exchange.fetch_order_book("BTC/USDT", 5)
    assert len(book["bids"]) == 5 and book["bids"][0][0] < book["asks"][0][0]
    trades = exchange.fetch_trades("BTC/USDT", limit=5)
    assert len(trades) == 5 and all(t["price"] > 0 for t in trades)
    candles = exchange.fetch_ohlcv("BTC/USDT", "1m", limit=5)
    assert len(candles) == 5 and all(c[2] >= c[3] for c in candles)
    balance = exchange.fetch_balance()
    assert balance["USDT"]["free"] == 100000 and balance["BTC"]["total"] == 1


def test_spot_create_edit_cancel_and_history(exchange):
    exchange.load_markets()
    resting = exchange.create_order("BTC/USDT", "limit", "buy", 0.001, 50000)
    assert resting["status"] == "open"
    edited = exchange.edit_order(resting["id"], "BTC/USDT", "limit", "buy", 0.002, 51000)
    assert edited["id"] != resting["id"] and edited["price"] == 51000
    assert exchange.fetch_order(resting["id"], "BTC/USDT")["status"] == "canceled"
    assert [o["id"] for o in exchange.fetch_open_orders("BTC/USDT")] == [edited["id"]]
    assert exchange.cancel_order(edited["id"], "BTC/USDT")["status"] == "canceled"
    bought = exchange.create_order("BTC/USDT", "market", "buy", 0.001)
    assert bought["status"] == "closed" and bought["filled"] == 0.001
    assert len(exchange.fetch_orders("BTC/USDT")) == 3
    (trade,) = exchange.fetch_my_trades("BTC/USDT")
    assert trade["order"] == bought["id"] and trade["amount"] == 0.001
    assert Decimal(str(trade["fee"]["cost"])) == Decimal("0.000001")  # 0.1 % of what it got


def test_usdm_market_data_leverage_margin_mode_and_funding(exchange):
    exchange.load_markets()
    assert exchange.fetch_ticker(FUTURE)["last"] > 0
    book = exchange.fetch_order_book(FUTURE, 5)
    assert book["bids"][0][0] < book["asks"][0][0]
    assert exchange.fetch_trades(FUTURE, limit=5)
    assert len(exchange.fetch_ohlcv(FUTURE, "1m", limit=5)) == 5
    assert exchange.fetch_balance({"type": "future"})["USDT"]["free"] == 10000
    assert exchange.set_leverage(5, FUTURE)["leverage"] == 5
    exchange.set_margin_mode("isolated", FUTURE)
    assert exchange.fetch_leverage(FUTURE)["longLeverage"] == 5
    assert exchange.fetch_margin_mode(FUTURE)["marginMode"] == "isolated"
    funding = exchange.fetch_funding_rate(FUTURE)
    assert funding["fundingRate"] == 0.0001 and funding["fundingTimestamp"] > 0


def test_usdm_create_edit_cancel_positions_and_trades(exchange):
    exchange.load_markets()
    resting = exchange.create_order(FUTURE, "limit", "buy", 0.01, 80000)
    assert resting["status"] == "open"
    edited = exchange.edit_order(resting["id"], FUTURE, "limit", "buy", 0.02, 81000)
    assert edited["id"] == resting["id"] and edited["amount"] == 0.02  # amended in place
    assert exchange.cancel_order(resting["id"], FUTURE)["status"] == "canceled"
    bought = exchange.create_order(FUTURE, "market", "buy", 0.01)
    assert bought["status"] == "closed"
    assert len(exchange.fetch_orders(FUTURE)) == 2
    (trade,) = exchange.fetch_my_trades(FUTURE)
    assert trade["order"] == bought["id"]
    (position,) = exchange.fetch_positions([FUTURE])
    assert position["side"] == "long" and position["contracts"] == 0.01
    assert position["entryPrice"] == trade["price"]
