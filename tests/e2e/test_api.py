"""The HTTP API over real HTTP, against a running server on its own simulator (issue 17):
every endpoint answers; an order placed through the API is at the exchange once and on the Trade
page; a viewer token cannot trade; a bad body is a 422 naming the field; unknown and revoked
tokens are 401; a repeated client order id places one order; the stream pushes the order and
its fill; a token over its rate gets 429 with Retry-After."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import Decimal

import duckdb
import pytest
import websockets
from playwright.sync_api import Page, expect

from tests.e2e.api_desk import ApiDesk, api_desk
from tests.e2e.conftest import log_in, wait_idle
from tests.helpers import eventually

pytestmark = pytest.mark.e2e
# Polls stay under the desk's 20 calls a second per token: faster, a slow moment under load
# empties the token's bucket and the poll gets a 429 instead of the state it waits for.
POLL_S = 0.1


@pytest.fixture(scope="module")
def desk(tmp_path_factory) -> Iterator[ApiDesk]:
    with api_desk(tmp_path_factory.mktemp("api")) as running:
        yield running


def market_buy(client_id: str | None = None, qty: str = "0.001") -> dict:
    body = {"market": "spot", "symbol": "BTCUSDT", "side": "BUY", "order_type": "MARKET",
            "quantity": qty}  # fmt: skip
    return body | ({"client_order_id": client_id} if client_id else {})


def test_every_read_endpoint_answers(desk: ApiDesk):
    pairs = desk.call("GET", "/trading-pairs", params={"selected": "true"}).json()
    assert {(p["pair"]["market"], p["pair"]["symbol"]) for p in pairs} >= {("spot", "BTCUSDT")}
    assert all(p["selected"] for p in pairs) and pairs[0]["pair"]["rules"]["lot_size"]
    data = eventually(lambda: (d := desk.call("GET", "/market-data/BTCUSDT").json())["ticker"]
                      and d, timeout=20, interval=POLL_S, what="the first 24 h ticker")  # fmt: skip
    assert data["last_price"] > 0 and data["candles"] and data["ticker"]["volume"] > 0
    assert desk.call("GET", "/market-data/NOSUCHPAIR").json()["code"] == "market.unknown_symbol"
    portfolio = eventually(lambda: (p := desk.call("GET", "/portfolio").json())["equity"] and p,
                           timeout=30, interval=POLL_S)  # fmt: skip
    assert Decimal(portfolio["equity"]) > 0
    assert {b["asset"] for b in portfolio["balances"]} >= {"USDT", "BTC"}
    for path in ("/positions", "/orders", "/fills", "/kill-switch", "/health"):
        assert desk.call("GET", path).status_code == 200, path
    assert desk.call("GET", "/kill-switch").json()["on"] is False
    assert desk.call("GET", "/health").json()["state"] == "running"
    metrics = desk.call("GET", "/metrics").text
    assert "tradedesk_api_calls_total" in metrics
    assert desk.call("GET", "/openapi.json", token="").json()["info"]["title"] == "tradedesk API"


def test_choosing_pairs_through_the_api(desk: ApiDesk):
    body = {"market": "spot", "symbols": ["BTCUSDT", "ETHUSDT"]}
    reply = desk.call("POST", "/config/trading-pairs", token="trader", json=body)
    assert reply.status_code == 200, reply.text
    selected = desk.call("GET", "/trading-pairs", params={"selected": "true", "market": "spot"})
    assert {p["pair"]["symbol"] for p in selected.json()} == {"BTCUSDT", "ETHUSDT"}
    bad = desk.call("POST", "/config/trading-pairs", json={"market": "spot", "symbols": ["x"]})
    assert bad.status_code == 400 and "X" in bad.json()["message"]


def test_a_repeated_client_order_id_places_one_order(desk: ApiDesk):
    first = desk.call("POST", "/orders", token="trader", json=market_buy("bot-once-1"))
    assert first.status_code == 201, first.text
    assert first.json()["order"]["client_order_id"] == "bot-once-1"
    again = desk.call("POST", "/orders", token="trader", json=market_buy("bot-once-1"))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert again.json()["order"]["status"] == "FILLED"
    exchange = desk.exchange()
    at_exchange = [o for o in exchange.get_all_orders(symbol="BTCUSDT")
                   if o["clientOrderId"] == "bot-once-1"]  # fmt: skip
    assert len(at_exchange) == 1 and at_exchange[0]["status"] == "FILLED"

    def stored_fills() -> list:
        fills = desk.call("GET", "/fills", params={"symbol": "BTCUSDT"}).json()
        return [f for f in fills if f["client_order_id"] == "bot-once-1"]

    eventually(stored_fills, interval=POLL_S, what="the fill stored")


def test_an_order_placed_through_the_api_is_on_the_trade_page_and_cancels(
    desk: ApiDesk, browser_page: Page
):
    last = desk.call("GET", "/market-data/BTCUSDT").json()["last_price"]
    price = f"{last * 0.7:.2f}"
    body = {"market": "spot", "symbol": "BTCUSDT", "side": "BUY", "order_type": "LIMIT",
            "quantity": "0.002", "price": price, "time_in_force": "GTC",
            "client_order_id": "bot-rest-1"}  # fmt: skip
    placed = desk.call("POST", "/orders", token="trader", json=body)
    assert placed.status_code == 201, placed.text
    eventually(lambda: desk.call("GET", "/orders/bot-rest-1").json()["status"] == "NEW",
               interval=POLL_S, what="the order's row, moments after the answer")  # fmt: skip
    assert "bot-rest-1" in [o["client_order_id"] for o in desk.call("GET", "/orders").json()]
    page = browser_page
    page.goto(desk.server.url)
    log_in(page)
    wait_idle(page)
    shown = f"{Decimal(price):,f}"
    expect(page.get_by_text(shown).first).to_be_visible(timeout=30_000)  # in Open orders
    cancelled = desk.call("DELETE", "/orders/bot-rest-1", token="trader")
    assert cancelled.status_code == 200, cancelled.text
    exchange = desk.exchange()
    assert not [o for o in exchange.get_open_orders(symbol="BTCUSDT")
                if o["clientOrderId"] == "bot-rest-1"]  # fmt: skip
    eventually(lambda: desk.call("GET", "/orders/bot-rest-1").json()["status"] == "CANCELED",
               interval=POLL_S)  # fmt: skip


def test_what_a_token_may_not_do(desk: ApiDesk):
    viewer = desk.call("POST", "/orders", token="viewer", json=market_buy())
    assert viewer.status_code == 403 and viewer.json()["code"] == "desk.forbidden"
    assert desk.call("GET", "/orders", token="viewer").status_code == 200  # reading is fine
    for token in ("revoked",):
        refused = desk.call("GET", "/portfolio", token=token)
        assert refused.status_code == 401 and refused.json()["code"] == "auth.unauthorized"
    desk.tokens["forged"] = "tdk_0123456789ab_" + "x" * 43
    assert desk.call("GET", "/portfolio", token="forged").status_code == 401
    assert desk.call("GET", "/portfolio", token="").status_code == 401
    assert desk.call("POST", "/kill-switch/trip", token="viewer",
                     json={"reason": "no"}).status_code == 403  # fmt: skip
    exchange = desk.exchange()
    assert not [o for o in exchange.get_all_orders(symbol="BTCUSDT")
                if o["origQty"] == "0.00100000" and o["side"] == "BUY"
                and not o["clientOrderId"].startswith(("bot-", "td-"))]  # fmt: skip


def test_a_bad_body_is_a_422_naming_the_field(desk: ApiDesk):
    reply = desk.call("POST", "/orders", token="trader", json=market_buy(qty="-1"))
    assert reply.status_code == 422
    assert reply.json()["errors"][0]["field"] == "quantity"
    reply = desk.call("POST", "/orders", token="trader",
                      json={**market_buy(), "order_type": "LIMIT"})  # fmt: skip
    assert reply.status_code == 422 and "needs a price" in reply.json()["message"]
    reply = desk.call("POST", "/orders", token="trader", json={**market_buy(), "leverage": 5})
    assert reply.status_code == 422 and "leverage" in reply.json()["message"]
    reply = desk.call("POST", "/orders", token="trader", json={**market_buy(), "colour": "red"})
    assert reply.status_code == 422 and reply.json()["errors"][0]["field"] == "colour"


def test_the_stream_pushes_the_order_and_its_fill(desk: ApiDesk):
    url = desk.api.replace("http://", "ws://") + "/stream"

    async def listen() -> list[dict]:
        headers = {"Authorization": f"Bearer {desk.tokens['viewer']}"}
        async with websockets.connect(url, additional_headers=headers) as socket:
            hello = json.loads(await socket.recv())
            assert hello["type"] == "hello" and hello["data"]["user"] == "val"
            placed = await asyncio.to_thread(desk.call, "POST", "/orders", "trader",
                                             json=market_buy("bot-stream-1"))  # fmt: skip
            assert placed.status_code == 201
            seen: list[dict] = []
            while not {"order", "fill"} <= {
                m["type"] for m in seen if m["data"].get("client_order_id") == "bot-stream-1"
            }:
                seen.append(json.loads(await asyncio.wait_for(socket.recv(), 20)))
            return seen

    seen = asyncio.run(listen())
    fill = next(m for m in seen if m["type"] == "fill")
    assert fill["data"]["symbol"] == "BTCUSDT" and Decimal(fill["data"]["qty"]) == Decimal("0.001")


def test_a_token_over_its_rate_waits(desk: ApiDesk):
    answers = [desk.call("GET", "/kill-switch", token="burst") for _ in range(80)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited, [a.status_code for a in answers]
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["code"] == "auth.rate_limited"
    assert desk.call("GET", "/kill-switch", token="admin").status_code == 200  # per token


def test_an_oco_through_the_api_rests_both_legs_and_one_cancel_ends_both(desk: ApiDesk):
    last = desk.call("GET", "/market-data/BTCUSDT").json()["last_price"]
    body = {"symbol": "BTCUSDT", "side": "SELL", "quantity": "0.01",
            "take_profit_price": f"{last * 1.3:.2f}",
            "stop_price": f"{last * 0.7:.2f}"}  # fmt: skip
    wrong = desk.call("POST", "/orders/oco", token="trader",
                      json={**body, "take_profit_price": f"{last * 0.5:.2f}"})  # fmt: skip
    assert wrong.status_code == 422
    placed = desk.call("POST", "/orders/oco", token="trader", json=body)
    assert placed.status_code == 201, placed.text
    list_id = int(placed.json()["data"]["order_list_id"])
    at_exchange = desk.exchange().get_open_orders(symbol="BTCUSDT")
    legs = [o for o in at_exchange if o["orderListId"] == list_id]
    assert len(legs) == 2, (placed.json(), at_exchange)
    cancel = desk.call("DELETE", f"/orders/{legs[0]['clientOrderId']}", token="trader")
    assert cancel.status_code == 200, cancel.text
    left = desk.exchange().get_open_orders(symbol="BTCUSDT")
    assert not [o for o in left if o["orderListId"] == list_id]


def test_cancel_all_then_the_kill_switch_stops_the_bot(desk: ApiDesk):
    last = desk.call("GET", "/market-data/BTCUSDT").json()["last_price"]
    for n in (1, 2):
        body = {"market": "spot", "symbol": "BTCUSDT", "side": "BUY", "order_type": "LIMIT",
                "quantity": "0.001", "price": f"{last * (0.6 + n / 100):.2f}",
                "time_in_force": "GTC", "client_order_id": f"bot-all-{n}"}  # fmt: skip
        assert desk.call("POST", "/orders", token="trader", json=body).status_code == 201
    gone = desk.call("DELETE", "/orders", token="trader",
                     params={"market": "spot", "symbol": "BTCUSDT"})  # fmt: skip
    assert gone.status_code == 200, gone.text
    assert not desk.exchange().get_open_orders(symbol="BTCUSDT")  # the exchange agrees

    tripped = desk.call("POST", "/kill-switch/trip", token="trader", json={"reason": "bot test"})
    assert tripped.status_code == 200, tripped.text
    state = desk.call("GET", "/kill-switch").json()
    assert state["on"] and state["reason"] == "bot test" and state["tripped_by"] == "ada"
    refused = desk.call("POST", "/orders", token="trader", json=market_buy("bot-after-ks"))
    assert refused.status_code in (400, 409) and "kill switch" in refused.json()["message"]
    assert desk.call("GET", "/orders/bot-after-ks").status_code == 404  # nothing was sent


def test_calls_are_audited_and_no_token_is_written_anywhere(desk: ApiDesk):
    """Last in this module: it stops the server to read its database."""
    assert desk.server.stop() == 0
    con = duckdb.connect(str(desk.server.data_dir / "tradedesk.duckdb"), read_only=True)
    try:
        events = con.execute("SELECT actor, kind, message, data FROM events WHERE kind LIKE "
                             "'audit.%' ORDER BY id").fetchall()  # fmt: skip
    finally:
        con.close()
    orders = [e for e in events if e[1] == "audit.order" and "bot-once-1" in (e[3] or "")]
    assert orders and all(e[0] == "ada" for e in orders)
    assert any(e[1] == "audit.login" and '"token"' in (e[3] or "") for e in events)
    written = (desk.server.data_dir.parent / "server.log").read_text()
    written += (desk.server.data_dir / "api_tokens.json").read_text()
    for token in desk.tokens.values():
        assert token not in written
        assert token not in str(events)
