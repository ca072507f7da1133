"""Binance JSON -> domain models, against recorded payloads; our orders -> python-binance kwargs."""

from __future__ import annotations

import itertools
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from binance import Client

from engine.binance import params, symbols
from engine.binance.schemas import account, common, orders
from engine.binance.schemas.common import SchemaError
from engine.binance.streams import (
    kline_row_from_ws,
    kline_rows_from_rest,
    mark_price_row_from_ws,
    ticker_row_from_ws,
)
from engine.models import (
    MarginType,
    MarketType,
    OrderStatus,
    OrderType,
    Side,
    TimeInForce,
)
from engine.store.tables import KLINES, MARK_PRICES, TICKERS
from tests.conftest import SHARED_DATA
from tests.unit.engine.orders.test_filters import OrderSpec

D = Decimal
FIXTURES = SHARED_DATA / "fixtures"
NT = FIXTURES / "nautilus_trader"
NT_HTTP = NT / "tests/integration_tests/adapters/binance/resources/http_responses"
NT_WS = NT / "tests/integration_tests/adapters/binance/resources/ws_messages"
NT_SPOT = NT / "crates/adapters/binance/test_data/spot"
NT_FUTURES = NT / "crates/adapters/binance/test_data/futures"


def _load(path: Path) -> Any:
    if not path.exists():
        pytest.skip(f"recorded payload not found at {path}")
    return json.loads(path.read_text(encoding="utf-8"))


def _recorded_ws_frames(path: Path, event_type: str) -> list[dict[str, Any]]:
    """cryptofeed's WS recording: one `<recv_ts>: <json>` per line."""
    if not path.exists():
        pytest.skip(f"recorded stream not found at {path}")
    frames = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if f'"e":"{event_type}"' in line:
            frames.append(common.unwrap(json.loads(line.split(": ", 1)[1])))
    return frames


# --- market data --------------------------------------------------------------------------------


def test_rest_klines() -> None:
    raw = _load(NT_HTTP / "http_spot_market_klines.json")
    rows = [dict(zip(KLINES.columns, r, strict=True))
            for r in kline_rows_from_rest("spot", "BTCUSDT", "1m", raw)]  # fmt: skip
    first = rows[0]
    assert (first["open_time"], first["close_time"]) == (1634943780000, 1634943839999)
    assert (first["open"], first["close"]) == (60685.22, 60719.27)
    assert (first["quote_volume"], first["trades"], first["is_closed"]) == (
        1313200.0134041,
        617,
        True,
    )
    assert all(a["open_time"] < b["open_time"] for a, b in itertools.pairwise(rows))


def test_futures_rest_kline_ignores_the_last_field() -> None:
    (raw,) = _load(NT_HTTP / "http_futures_market_klines.json")
    (row,) = kline_rows_from_rest("futures", "BTCUSDT", "1w", [raw])
    assert (row[KLINES.columns.index("high")], row[KLINES.columns.index("volume")]) == (
        0.8,
        148976.11427815,
    )


@pytest.mark.parametrize(
    ("path", "market"),
    [
        (FIXTURES / "cryptofeed" / "BINANCE.ws.1.0", MarketType.SPOT),
        (FIXTURES / "cryptofeed" / "BINANCE_FUTURES.ws.1.0", MarketType.FUTURES),
    ],
)
def test_recorded_ws_klines(path: Path, market: MarketType) -> None:
    frames = _recorded_ws_frames(path, "kline")
    assert frames
    for frame in frames:
        k = dict(zip(KLINES.columns, kline_row_from_ws(market.value, frame), strict=True))
        assert k["symbol"] == frame["s"] and k["interval"] == "1m"
        assert k["low"] <= min(k["open"], k["close"]) <= max(k["open"], k["close"]) <= k["high"]
        assert k["is_closed"] is frame["k"]["x"]


def test_ws_closed_kline_fixture() -> None:
    event = _load(NT_FUTURES / "market_data_json/kline_stream_closed.json")
    k = dict(zip(KLINES.columns, kline_row_from_ws("futures", event), strict=True))
    assert (k["symbol"], k["close"], k["trades"], k["is_closed"]) == ("BTCUSDT", 0.002, 100, True)


def test_ws_tickers() -> None:
    spot = dict(zip(TICKERS.columns,
                    ticker_row_from_ws("spot", _load(NT_WS / "ws_spot_ticker_24hr.json")),
                    strict=True))  # fmt: skip
    assert (spot["symbol"], spot["last_price"], spot["price_change"], spot["event_time"]) == (
        "BNBBTC",
        0.0025,
        0.0015,
        86400000,
    )
    event = _load(NT_FUTURES / "market_data_json/ticker_stream.json")
    futures = dict(zip(TICKERS.columns, ticker_row_from_ws("futures", event), strict=True))
    assert (futures["last_price"], futures["price_change_pct"], futures["high_price"]) == (
        16584.6,
        -0.786,
        16764.89,
    )


def test_mark_price_ws() -> None:
    event = _load(NT_FUTURES / "market_data_json/mark_price_stream.json")
    mark = dict(zip(MARK_PRICES.columns, mark_price_row_from_ws(event), strict=True))
    assert (mark["symbol"], mark["mark_price"], mark["funding_rate"], mark["event_time"]) == (
        "BTCUSDT",
        11794.15,
        0.00038167,
        1562305380000,
    )


def test_trading_pairs_from_exchange_info() -> None:
    info = _load(NT_HTTP / "http_futures_market_exchange_info.json")
    pairs = [symbols.trading_pair_from_symbol(MarketType.FUTURES, s) for s in info["symbols"]]
    btc = pairs[0]
    assert (btc.symbol, btc.base, btc.quote, btc.is_trading) == ("BTCUSDT", "BTC", "USDT", True)
    assert btc.rules.price_filter is not None and btc.rules.price_filter.tick_size == D("0.1")


# --- spot orders --------------------------------------------------------------------------------


def test_spot_full_response_and_its_fills() -> None:
    payload = _load(NT_SPOT / "http_json/new_order_full_response.json")
    order = orders.order_from_spot_response(payload)
    assert (order.status, order.order_type, order.side) == (
        OrderStatus.FILLED,
        OrderType.MARKET,
        Side.SELL,
    )
    assert (order.client_order_id, order.exchange_order_id) == ("6gCrw2kRUAF9CvJDGP16IP", "28")
    assert order.price is None and order.update_time == 1507725176595
    fills = orders.fills_from_spot_response(payload)
    assert [f.trade_id for f in fills] == [56, 57, 58, 59, 60]
    assert fills[1].quote_qty == D("19995") and fills[1].commission == D("19.995")
    assert sum(f.qty for f in fills) == order.executed_qty


def test_spot_query_response() -> None:
    order = orders.order_from_spot_response(_load(NT_SPOT / "http_json/order_response.json"))
    assert (order.client_order_id, order.status, order.price) == (
        "myOrder1",
        OrderStatus.NEW,
        D("0.1"),
    )
    assert order.stop_price is None and order.avg_price is None


def test_spot_cancel_response_keeps_the_original_client_id() -> None:
    payload = _load(NT_SPOT / "http_json/cancel_order_response.json")
    order = orders.order_from_spot_response(payload)
    assert order.client_order_id == payload["origClientOrderId"]
    assert order.status is OrderStatus.CANCELED


def test_execution_report_trade_and_its_fill() -> None:
    event = _load(NT_SPOT / "user_data_json/execution_report_trade.json")
    order = orders.order_from_execution_report(event)
    assert (order.status, order.executed_qty, order.avg_price) == (
        OrderStatus.FILLED,
        D("1"),
        D("2500"),
    )
    fill = orders.fill_from_execution_report(event)
    assert fill is not None
    assert (fill.trade_id, fill.price, fill.qty, fill.is_maker) == (
        98765432,
        D("2500"),
        D("1"),
        True,
    )
    assert (fill.commission, fill.commission_asset) == (D("0.001"), "ETH")


def test_wrapped_execution_report_new_has_no_fill() -> None:
    event = common.unwrap(_load(NT_SPOT / "user_data_json/execution_report_wrapped.json"))
    order = orders.order_from_execution_report(event)
    assert (order.status, order.client_order_id, order.reject_reason) == (
        OrderStatus.NEW,
        "mUvoqJxFIILMdfAW5iGSOW",
        None,
    )
    assert orders.fill_from_execution_report(event) is None


def test_execution_report_cancel_uses_the_original_client_id() -> None:
    event = _load(NT_WS / "ws_spot_execution_report_canceled.json")
    event = common.unwrap(event)
    order = orders.order_from_execution_report(event)
    assert order.status is OrderStatus.CANCELED
    assert order.client_order_id == (event["C"] or event["c"])


def test_execution_report_rejected_carries_the_reason() -> None:
    event = common.unwrap(_load(NT_WS / "ws_spot_execution_report_rejected.json"))
    order = orders.order_from_execution_report(event)
    assert order.status is OrderStatus.REJECTED
    assert order.reject_reason == event["r"] != "NONE"


def test_stop_loss_execution_report_maps_back_to_our_type() -> None:
    event = _load(NT_SPOT / "user_data_json/execution_report_stop_loss.json")
    order = orders.order_from_execution_report(event)
    assert order.order_type in (OrderType.STOP_MARKET, OrderType.STOP_LIMIT)
    assert order.stop_price is not None


# --- USD-M orders -------------------------------------------------------------------------------


def test_futures_order_response() -> None:
    order = orders.order_from_futures_response(_load(NT_FUTURES / "http_json/order_response.json"))
    assert (order.client_order_id, order.exchange_order_id, order.status) == (
        "testOrder123",
        "12345678",
        OrderStatus.NEW,
    )
    assert (order.price, order.avg_price, order.time_in_force) == (
        D("50000"),
        None,
        TimeInForce.GTC,
    )


def test_order_trade_update_and_its_fill() -> None:
    event = _load(NT_FUTURES / "user_data_json/order_update_trade.json")
    order = orders.order_from_order_trade_update(event)
    assert (order.status, order.executed_qty, order.avg_price) == (
        OrderStatus.PARTIALLY_FILLED,
        D("0.001"),
        D("7100.5"),
    )
    fill = orders.fill_from_order_trade_update(event)
    assert fill is not None
    assert (fill.realized_pnl, fill.commission, fill.is_maker) == (D("12.34"), D("0.01"), True)


def test_liquidation_is_an_exchange_order_with_a_fill() -> None:
    event = common.unwrap(_load(NT_WS / "ws_futures_order_update_liquidation.json"))
    order = orders.order_from_order_trade_update(event)
    assert order.client_order_id.startswith("autoclose-")
    assert (order.status, order.stop_price, order.order_type) == (
        OrderStatus.FILLED,
        None,
        OrderType.MARKET,
    )
    fill = orders.fill_from_order_trade_update(event)
    assert fill is not None
    assert (fill.qty, fill.price, fill.realized_pnl) == (D("0.1"), D("50000"), D("-100"))


def test_algo_updates_follow_the_conditional_order() -> None:
    new = orders.order_from_algo_update(_load(NT_FUTURES / "user_data_json/algo_update_new.json"))
    assert (new.order_type, new.status, new.is_algo) == (
        OrderType.TAKE_PROFIT_LIMIT,
        OrderStatus.NEW,
        True,
    )
    assert (new.stop_price, new.price, new.reject_reason) == (D("750"), D("750"), None)
    canceled_event = _load(NT_FUTURES / "user_data_json/algo_update_canceled.json")
    canceled = orders.order_from_algo_update(canceled_event)
    assert (canceled.status, canceled.reject_reason) == (OrderStatus.CANCELED, "Reduce Only reject")
    finished = orders.order_from_algo_update(
        common.unwrap(_load(NT_WS / "ws_futures_algo_update_finished.json"))
    )
    assert (finished.status, finished.executed_qty, finished.triggered_order_id) == (
        OrderStatus.FILLED,
        D("38"),
        "88937381063",
    )
    unfilled = orders.order_from_algo_update(
        common.unwrap(_load(NT_WS / "ws_futures_algo_update_finished_canceled.json"))
    )
    assert unfilled.status is OrderStatus.CANCELED


def test_open_algo_orders() -> None:
    (row,) = _load(NT_FUTURES / "http_json/open_algo_orders.json")
    order = orders.order_from_futures_algo_response(row)
    assert (order.client_order_id, order.order_type, order.stop_price) == (
        "test-algo-order-1",
        OrderType.STOP_MARKET,
        D("45000"),
    )


# --- balances and positions ---------------------------------------------------------------------


def test_spot_account_balances() -> None:
    balances = account.balances_from_spot_account(
        _load(NT_SPOT / "http_json/account_response.json")
    )
    assert (balances[0].asset, balances[0].free, balances[0].locked) == (
        "BTC",
        D("4723846.89208129"),
        D("0"),
    )


def test_outbound_account_position_and_balance_update() -> None:
    event = _load(NT_SPOT / "user_data_json/account_position.json")
    usdt, eth = account.balances_from_account_position(event)
    assert (usdt.asset, usdt.free, usdt.locked, usdt.total) == (
        "USDT",
        D("10000"),
        D("2500"),
        D("12500"),
    )
    assert eth.asset == "ETH"
    change = account.balance_change_from_update(
        _load(NT_SPOT / "user_data_json/balance_update.json")
    )
    assert (change.asset, change.delta) == ("BTC", D("0.001"))


def test_position_risk() -> None:
    (position,) = account.positions_from_position_risk(
        _load(NT_FUTURES / "http_json/position_risk.json")
    )
    assert (position.amount, position.entry_price, position.mark_price) == (
        D("0.001"),
        D("50000"),
        D("51000"),
    )
    assert (position.leverage, position.margin_type, position.liquidation_price) == (
        20,
        MarginType.CROSSED,
        D("45000"),
    )
    assert position.notional == D("51")


def test_flat_position_risk_has_no_liquidation_price() -> None:
    (flat,) = account.positions_from_position_risk(
        _load(NT_HTTP / "http_futures_account_positions_one_way.json")
    )
    assert flat.amount == 0 and flat.liquidation_price is None and flat.notional is None


def test_account_update_positions_and_balances() -> None:
    event = _load(NT_FUTURES / "user_data_json/account_update.json")
    _, long, short = account.positions_from_account_update(event)
    assert (long.amount, long.position_side, long.margin_type) == (
        D("20"),
        "LONG",
        MarginType.ISOLATED,
    )
    assert (short.amount, short.unrealized_pnl, short.isolated_margin) == (
        D("-10"),
        D("-1423.156"),
        D("6570.42511771"),
    )
    (usdt,) = account.margin_balances_from_account_update(event)
    assert (usdt.wallet_balance, usdt.cross_wallet_balance) == (
        D("122624.12345678"),
        D("100.12345678"),
    )


def test_futures_balance_rest() -> None:
    (usdt,) = account.margin_balances_from_futures_balance(
        _load(NT_FUTURES / "http_json/balance.json")
    )
    assert (usdt.asset, usdt.available) == ("USDT", D("122.12345678"))


def test_missing_field_fails_loudly() -> None:
    event = dict(_load(NT_SPOT / "user_data_json/execution_report_trade.json"))
    del event["z"]
    with pytest.raises(SchemaError, match="executionReport: missing field 'z'"):
        orders.order_from_execution_report(event)


def test_unknown_status_fails_loudly() -> None:
    payload = dict(_load(NT_FUTURES / "http_json/order_response.json"), status="SOMETHING_NEW")
    with pytest.raises(SchemaError, match="unknown order status"):
        orders.order_from_futures_response(payload)


# --- our orders -> python-binance -------------------------------------------------------------


def test_spot_post_only_limit_becomes_limit_maker_without_time_in_force() -> None:
    order = OrderSpec(
        MarketType.SPOT, "BTCUSDT", Side.BUY, OrderType.LIMIT,
        quantity=D("0.00100"), price=D("30000.00"), post_only=True,
    )  # fmt: skip
    assert params.spot_order_params(order, "td-1") == {
        "symbol": "BTCUSDT",
        "side": "BUY",
        "type": "LIMIT_MAKER",
        "newClientOrderId": "td-1",
        "newOrderRespType": "FULL",
        "quantity": "0.00100",
        "price": "30000.00",
    }


def test_spot_stop_limit_and_quote_market() -> None:
    stop = OrderSpec(
        MarketType.SPOT, "BTCUSDT", Side.SELL, OrderType.STOP_LIMIT,
        quantity=D("1"), price=D("29000"), stop_price=D("29500"), time_in_force=TimeInForce.IOC,
    )  # fmt: skip
    sent = params.spot_order_params(stop, "td-2")
    assert (sent["type"], sent["stopPrice"], sent["timeInForce"]) == (
        "STOP_LOSS_LIMIT",
        "29500",
        "IOC",
    )
    by_quote = OrderSpec(
        MarketType.SPOT, "BTCUSDT", Side.BUY, OrderType.MARKET, quote_quantity=D("25.5")
    )
    sent = params.spot_order_params(by_quote, "td-3")
    assert sent["quoteOrderQty"] == "25.5" and "quantity" not in sent
    assert "timeInForce" not in sent


class _CapturingClient(Client):
    """python-binance with the HTTP send replaced: records what it would send where."""

    def __init__(self) -> None:
        super().__init__("key", "secret", ping=False)
        self.sent: list[tuple[str, str, dict[str, Any]]] = []

    def _request_futures_api(
        self, method: str, path: str, signed: bool = False, version: int = 1, **kwargs: Any
    ) -> dict[str, Any]:
        self.sent.append((method, path, dict(kwargs["data"])))
        return {}


def test_futures_stop_market_goes_to_the_algo_service_with_our_id() -> None:
    order = OrderSpec(
        MarketType.FUTURES, "BTCUSDT", Side.SELL, OrderType.STOP_MARKET,
        stop_price=D("30000.0"), close_position=True,
    )  # fmt: skip
    client = _CapturingClient()
    client.futures_create_order(**params.futures_order_params(order, "td-4"))
    ((method, path, data),) = client.sent
    assert (method, path) == ("post", "algoOrder")
    assert data == {
        "symbol": "BTCUSDT",
        "side": "SELL",
        "type": "STOP_MARKET",
        "clientAlgoId": "td-4",
        "algoType": "CONDITIONAL",
        "triggerPrice": "30000.0",
        "closePosition": "true",
    }


def test_futures_post_only_limit_is_gtx_on_the_order_endpoint() -> None:
    order = OrderSpec(
        MarketType.FUTURES, "BTCUSDT", Side.BUY, OrderType.LIMIT,
        quantity=D("0.010"), price=D("30000.1"), post_only=True, reduce_only=True,
    )  # fmt: skip
    client = _CapturingClient()
    client.futures_create_order(**params.futures_order_params(order, "td-5"))
    ((_, path, data),) = client.sent
    assert path == "order"
    assert (data["newClientOrderId"], data["timeInForce"], data["reduceOnly"]) == (
        "td-5",
        "GTX",
        "true",
    )


def test_futures_stop_limit_is_binance_stop() -> None:
    order = OrderSpec(
        MarketType.FUTURES, "BTCUSDT", Side.BUY, OrderType.STOP_LIMIT,
        quantity=D("0.01"), price=D("31000"), stop_price=D("30900"),
    )  # fmt: skip
    sent = params.futures_order_params(order, "td-6")
    assert (sent["type"], sent["timeInForce"], sent["clientAlgoId"]) == (
        "STOP",
        "GTC",
        "td-6",
    )
