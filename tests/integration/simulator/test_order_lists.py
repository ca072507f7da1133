"""Spot order lists on the simulator: OCO, OTO and OTOCO placed, matched on the price path,
cancelled, queried, with the executionReport and listStatus events the user-data stream
carries, in Binance's order."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from binance.exceptions import BinanceAPIException

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import advance, control, start_sim, synced_client


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:1])
    yield thread
    thread.stop()


@pytest.fixture
def events(sim):
    control(sim, "POST", "/_sim/reset")
    seen: list[dict] = []
    matching = sim.sim.venues[0].matching  # the events the user-data stream sends
    sim.call(lambda: matching.listeners.append(seen.append))
    yield seen
    sim.call(lambda: matching.listeners.remove(seen.append))


@pytest.fixture
def client(sim):
    return synced_client(sim)


def book_top(client) -> tuple[D, D]:
    book = client.get_order_book(symbol="BTCUSDT", limit=1)
    return D(book["bids"][0][0]), D(book["asks"][0][0])


def price(value: D) -> str:
    return str(value.quantize(D("0.01")))


def kinds(events: list[dict]) -> list[tuple]:
    out = []
    for e in events:
        if e["e"] == "executionReport":
            out.append(("order", e["i"], e["X"], e["g"]))
        elif e["e"] == "listStatus":
            out.append(("list", e["g"], e["l"], e["L"]))
    return out


def oco_sell(client, bid: D, ask: D, gap: D) -> dict:
    return client.create_oco_order(
        symbol="BTCUSDT", side="SELL", quantity="0.01",
        aboveType="LIMIT_MAKER", abovePrice=price(ask + gap),
        belowType="STOP_LOSS", belowStopPrice=price(bid - gap),
    )  # fmt: skip


def test_an_oco_ends_when_one_side_executes_and_the_other_expires(sim, client, events):
    bid, ask = book_top(client)
    placed = oco_sell(client, bid, ask, D(20))
    list_id, (below, above) = placed["orderListId"], [o["orderId"] for o in placed["orders"]]
    assert kinds(events)[:3] == [
        ("order", below, "NEW", list_id), ("order", above, "NEW", list_id),
        ("list", list_id, "EXEC_STARTED", "EXECUTING"),
    ]  # fmt: skip
    assert client.get_asset_balance("BTC")["locked"] == "0.01000000"
    for _ in range(360):  # the path crosses one side sooner or later
        advance(sim, 10_000)
        client = synced_client(sim)
        if not client.get_open_oco_orders():
            break
    states = {o: client.get_order(symbol="BTCUSDT", orderId=o)["status"] for o in (below, above)}
    assert sorted(states.values())[0] == "EXPIRED" and "FILLED" in states.values()
    done = client._get("orderList", True, data={"orderListId": list_id})
    assert (done["listStatusType"], done["listOrderStatus"]) == ("ALL_DONE", "ALL_DONE")
    assert ("list", list_id, "ALL_DONE", "ALL_DONE") in kinds(events)
    assert client.get_asset_balance("BTC")["locked"] == "0.00000000"


def test_cancelling_one_order_of_an_oco_cancels_the_list(client, events):
    bid, ask = book_top(client)
    placed = oco_sell(client, bid, ask, D(500))
    below, above = (o["orderId"] for o in placed["orders"])
    client.cancel_order(symbol="BTCUSDT", orderId=above)
    assert client.get_order(symbol="BTCUSDT", orderId=below)["status"] == "CANCELED"
    assert client.get_open_oco_orders() == []
    assert client.get_asset_balance("BTC")["locked"] == "0.00000000"
    assert kinds(events)[-1] == ("list", placed["orderListId"], "ALL_DONE", "ALL_DONE")


def test_an_oto_places_its_pending_order_when_the_working_order_fills(client, events):
    bid, ask = book_top(client)
    resting = client._post("orderList/oto", True, data={
        "symbol": "BTCUSDT", "workingType": "LIMIT", "workingSide": "BUY",
        "workingTimeInForce": "GTC", "workingPrice": price(bid - 1000), "workingQuantity": "0.01",
        "pendingType": "LIMIT_MAKER", "pendingSide": "SELL", "pendingPrice": price(ask + 1000),
        "pendingQuantity": "0.01",
    })  # fmt: skip
    working, pending = (o["orderId"] for o in resting["orders"])
    assert client.get_order(symbol="BTCUSDT", orderId=pending)["status"] == "PENDING_NEW"
    assert [o["orderId"] for o in client.get_open_orders(symbol="BTCUSDT")] == [working]
    cancelled = client._delete(
        "orderList", True, data={"symbol": "BTCUSDT", "orderListId": resting["orderListId"]}
    )
    assert [r["status"] for r in cancelled["orderReports"]] == ["CANCELED", "CANCELED"]
    taking = client._post("orderList/oto", True, data={
        "symbol": "BTCUSDT", "workingType": "LIMIT", "workingSide": "BUY",
        "workingTimeInForce": "IOC", "workingPrice": price(ask + 50), "workingQuantity": "0.01",
        "pendingType": "LIMIT_MAKER", "pendingSide": "SELL", "pendingPrice": price(ask + 1000),
        "pendingQuantity": "0.01",
    })  # fmt: skip
    working, pending = (o["orderId"] for o in taking["orders"])
    assert client.get_order(symbol="BTCUSDT", orderId=working)["status"] == "FILLED"
    assert client.get_order(symbol="BTCUSDT", orderId=pending)["status"] == "NEW"
    statuses = [k[2] for k in kinds(events) if k[0] == "order" and k[1] == pending]
    assert statuses == ["PENDING_NEW", "NEW"]


def test_an_otoco_turns_its_pending_pair_into_an_oco(client, events):
    bid, ask = book_top(client)
    placed = client._post("orderList/otoco", True, data={
        "symbol": "BTCUSDT", "workingType": "LIMIT", "workingSide": "BUY",
        "workingTimeInForce": "IOC", "workingPrice": price(ask + 50), "workingQuantity": "0.01",
        "pendingSide": "SELL", "pendingQuantity": "0.01",
        "pendingAboveType": "LIMIT_MAKER", "pendingAbovePrice": price(ask + 1000),
        "pendingBelowType": "STOP_LOSS", "pendingBelowStopPrice": price(bid - 1000),
    })  # fmt: skip
    assert placed["contingencyType"] == "OTOCO" and len(placed["orders"]) == 3
    open_ids = {o["orderId"] for o in client.get_open_orders(symbol="BTCUSDT")}
    assert open_ids == {o["orderId"] for o in placed["orders"][1:]}
    assert D(client.get_asset_balance("BTC")["locked"]) == D("0.01")  # once for the pair
    everything = client._get("allOrderList", True, data={})
    assert [o["contingencyType"] for o in everything] == ["OTOCO"]


def test_bad_order_lists_are_refused(client):
    bid, ask = book_top(client)
    with pytest.raises(BinanceAPIException) as e:  # a stop above the price would trigger now
        client.create_oco_order(
            symbol="BTCUSDT", side="SELL", quantity="0.01", aboveType="LIMIT_MAKER",
            abovePrice=price(ask + 100), belowType="STOP_LOSS", belowStopPrice=price(ask + 50),
        )  # fmt: skip
    assert e.value.message == "Order would trigger immediately."
    with pytest.raises(BinanceAPIException) as e:
        client.create_oco_order(
            symbol="BTCUSDT", side="SELL", quantity="0.01", aboveType="STOP_LOSS",
            aboveStopPrice=price(bid - 50), belowType="LIMIT_MAKER", belowPrice=price(bid - 90),
        )  # fmt: skip
    assert e.value.code == -1116
    with pytest.raises(BinanceAPIException) as e:
        client._get("orderList", True, data={"orderListId": 999})
    assert e.value.code == -2013
