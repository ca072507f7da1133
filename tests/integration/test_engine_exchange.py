"""The engine connects to the simulator through python-binance and knows both markets."""

from engine.models import MarketType


def test_the_engine_connects_and_loads_both_markets(connected_engine):
    exchange = connected_engine.exchange
    assert exchange.pair(MarketType.SPOT, "BTCUSDT") is not None
    if MarketType.FUTURES not in exchange.unavailable:
        assert exchange.pair(MarketType.FUTURES, "BTCUSDT") is not None
    assert exchange.client.gate.budget.limit > 0
    assert any(e.kind == "exchange_connected" for e in connected_engine.recent_events)
