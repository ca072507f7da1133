"""Order lists and hedge-mode positions survive a restart of the simulator."""

from __future__ import annotations

import time
from decimal import Decimal as D

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import start_sim, synced_client


def test_an_open_oco_and_hedge_positions_survive_a_restart(tmp_path):
    first = start_sim(data_dir=tmp_path, symbols=DEFAULT_SYMBOLS[:1])
    try:
        client = synced_client(first)
        last = D(client.get_symbol_ticker(symbol="BTCUSDT")["price"])
        oco = client.create_oco_order(
            symbol="BTCUSDT", side="SELL", quantity="0.01",
            aboveType="LIMIT_MAKER", abovePrice=str((last * D("1.2")).quantize(D("0.01"))),
            belowType="STOP_LOSS", belowStopPrice=str((last * D("0.8")).quantize(D("0.01"))),
        )  # fmt: skip
        client.futures_change_position_mode(dualSidePosition="true")
        for side, position_side in (("BUY", "LONG"), ("SELL", "SHORT")):
            client.futures_create_order(symbol="BTCUSDT", side=side, positionSide=position_side,
                                        type="MARKET", quantity="0.01")  # fmt: skip
    finally:
        first.stop()
    second = start_sim(data_dir=tmp_path, symbols=DEFAULT_SYMBOLS[:1])
    try:
        client = synced_client(second)
        client.timestamp_offset = client.futures_time()["serverTime"] - int(time.time() * 1000)
        (still,) = client.get_open_oco_orders()
        assert still["orderListId"] == oco["orderListId"]
        assert client.futures_get_position_mode() == {"dualSidePosition": True}
        sides = {p["positionSide"]: p["positionAmt"]
                 for p in client.futures_position_information(symbol="BTCUSDT")}  # fmt: skip
        assert sides == {"LONG": "0.01", "SHORT": "-0.01"}
        cancelled = client._delete(
            "orderList", True, data={"symbol": "BTCUSDT", "orderListId": oco["orderListId"]}
        )
        assert cancelled["listOrderStatus"] == "ALL_DONE"
        assert client.get_asset_balance("BTC")["locked"] == "0.00000000"
    finally:
        second.stop()
