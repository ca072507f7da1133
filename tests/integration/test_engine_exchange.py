"""The engine connects to the simulator through python-binance and knows both markets."""

from engine.models import MarketType
from tests.helpers import eventually


def test_the_engine_connects_and_loads_both_markets(connected_engine):
    exchange = connected_engine.exchange
    assert exchange.pair(MarketType.SPOT, "BTCUSDT") is not None
    assert exchange.unavailable == {}
    assert exchange.pair(MarketType.FUTURES, "BTCUSDT") is not None
    assert exchange.client.gate.budget.limit > 0
    assert any(e.kind == "exchange_connected" for e in connected_engine.recent_events)


def test_the_connection_test_reports_permissions_without_the_keys(connected_engine, sim):
    from engine.commands import TestConnection

    reply = connected_engine.submit(TestConnection(actor="admin")).result(10)
    assert reply.ok, reply.message
    assert reply.data["spot"]["canTrade"] is True
    assert sim.api_key.secret not in str(reply.data)
    assert sim.api_key.key not in str(reply.data)
    assert reply.data["key"].startswith(sim.api_key.key[:4])


def test_a_reconcile_command_rereads_the_account(connected_engine):
    from engine.commands import Reconcile

    before = connected_engine.account.reconciliations
    assert connected_engine.submit(Reconcile(actor="alice")).result(10).ok
    # at least this one (a stream reconnect may reconcile at the same time)
    assert connected_engine.account.reconciliations >= before + 1


def test_status_reports_streams_rest_latency_weight_and_breakers(connected_engine):
    from engine.commands import GetStatus

    eventually(lambda: connected_engine.status()["streams"], timeout=15)
    status = connected_engine.submit(GetStatus(actor="t")).result(10).data
    rest = {row["endpoint"]: row for row in status["rest"]}
    assert rest["GET /api/v3/account"]["p50_ms"] > 0
    assert status["weight"]["limit_1m"] == 6000
    assert status["weight"]["used_1m"] > 0
    assert status["breakers"]["spot"] == "closed"
    assert {s["state"] for s in status["streams"]} <= {"connected", "connecting", "subscribing"}
    assert status["account"]["reconciliations"] >= 1
    assert status["risk"]["kill_switch"]["on"] is False


def test_favourites_are_saved_as_versions_and_unknown_symbols_refused(connected_engine):
    from engine.commands import SaveFavourites
    from engine.preferences import latest_favourites

    ok = connected_engine.submit(
        SaveFavourites(actor="ann", market=MarketType.SPOT, symbols=("ETHUSDT", "BTCUSDT"))
    ).result(10)
    assert ok.ok and ok.data["version"] == 1
    bad = connected_engine.submit(
        SaveFavourites(actor="ann", market=MarketType.SPOT, symbols=("NOPEUSDT",))
    ).result(10)
    assert not bad.ok and "NOPEUSDT" in bad.message
    with connected_engine.store.reader() as cur:
        assert latest_favourites(cur, MarketType.SPOT) == ("ETHUSDT", "BTCUSDT")
