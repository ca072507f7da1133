"""The engine connects to the simulator through python-binance and knows both markets."""

from engine.account.sync import AccountSync
from engine.models import MarketType
from engine.venue import Venue
from tests.helpers import eventually, part


def test_the_engine_connects_and_loads_both_markets(connected_engine):
    exchange = part(connected_engine, Venue)
    assert exchange.pair(MarketType.SPOT, "BTCUSDT") is not None
    assert exchange.unavailable == {}
    assert exchange.pair(MarketType.FUTURES, "BTCUSDT") is not None
    # each market's own IP budget, from its exchangeInfo
    assert exchange.rest.gate.budget("spot").limit == 6000
    assert exchange.rest.gate.budget("futures").limit == 2400
    assert any(e.kind == "exchange_connected" for e in connected_engine.events.recent)


def test_the_connection_test_reports_permissions_without_the_keys(connected_engine, sim):
    from engine.commands import TestConnection

    reply = connected_engine.submit(TestConnection(actor="admin")).result(10)
    assert reply.ok, reply.message
    assert reply.data["permissions"]["spot_trade"] is True
    assert sim.api_key.secret not in str(reply.data)
    assert sim.api_key.key not in str(reply.data)
    assert reply.data["key"].startswith(sim.api_key.key[:4])


def test_a_reconcile_command_rereads_the_account(connected_engine):
    from engine.commands import Reconcile

    before = part(connected_engine, AccountSync).reconciliations
    assert connected_engine.submit(Reconcile(actor="alice")).result(10).ok
    # at least this one (a stream reconnect may reconcile at the same time)
    assert part(connected_engine, AccountSync).reconciliations >= before + 1


def test_status_reports_streams_rest_latency_weight_and_breakers(connected_engine):
    from engine.commands import GetStatus

    eventually(lambda: connected_engine.status()["streams"], timeout=15)
    status = connected_engine.submit(GetStatus(actor="t")).result(10).data
    rest = {row["endpoint"]: row for row in status["rest"]}
    assert rest["GET /api/v3/account"]["p50_ms"] > 0
    assert status["weight"]["spot"]["limit_1m"] == 6000
    assert status["weight"]["futures"]["limit_1m"] == 2400
    assert status["weight"]["spot"]["used_1m"] > 0
    assert status["breakers"]["spot account"] == "closed"
    assert {s["state"] for s in status["streams"]} <= {"connected", "connecting", "subscribing"}
    assert status["account"]["reconciliations"] >= 1
    assert status["kill-switch"]["kill_switch"]["on"] is False


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
