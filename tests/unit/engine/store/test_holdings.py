"""Holdings in DuckDB: a stale REST snapshot never rolls back a newer stream update."""

from decimal import Decimal

import pytest

from engine.models import Balance, MarginBalance, Position
from engine.store import holdings
from engine.store.database import Store


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "l.duckdb")
    yield s
    s.close()


def spot(store: Store) -> dict[str, tuple[Decimal, int]]:
    with store.reader() as cur:
        rows = cur.execute(
            "SELECT asset, free, updated_ms FROM balances WHERE market = 'spot'"
        ).fetchall()
    return {a: (Decimal(f), t) for a, f, t in rows}


def bal(asset: str, free: str, time: int) -> Balance:
    return Balance(asset=asset, free=Decimal(free), locked=Decimal(0), time=time)


def test_an_older_snapshot_does_not_roll_back_a_newer_event(store):
    store.write_sync(lambda c: holdings.upsert_spot_balances(c, [bal("BTC", "2", 200)], 0,
                                                           replace_all=False))  # fmt: skip
    stale = [bal("BTC", "1", 100), bal("USDT", "5", 100)]
    store.write_sync(lambda c: holdings.upsert_spot_balances(c, stale, 0, replace_all=True))
    assert spot(store) == {"BTC": (Decimal(2), 200), "USDT": (Decimal(5), 100)}


def test_a_newer_snapshot_replaces_everything_and_drops_what_it_lacks(store):
    store.write_sync(lambda c: holdings.upsert_spot_balances(c, [bal("BTC", "2", 200)], 0,
                                                           replace_all=False))  # fmt: skip
    fresh = [bal("USDT", "7", 300)]
    store.write_sync(lambda c: holdings.upsert_spot_balances(c, fresh, 0, replace_all=True))
    assert spot(store) == {"USDT": (Decimal(7), 300)}


def test_futures_wallets_keep_the_newest_too(store):
    def wallet(amount: str, time: int) -> MarginBalance:
        return MarginBalance(asset="USDT", wallet_balance=Decimal(amount),
                             cross_wallet_balance=Decimal(amount), available=Decimal(amount),
                             time=time)  # fmt: skip

    store.write_sync(lambda c: holdings.upsert_futures_balances(c, [wallet("90", 500)], 0))
    store.write_sync(lambda c: holdings.upsert_futures_balances(c, [wallet("100", 400)], 0))
    with store.reader() as cur:
        free = cur.execute("SELECT free FROM balances WHERE market = 'futures'").fetchone()[0]
    assert Decimal(free) == 90


def pos(symbol: str, amount: str, time: int) -> Position:
    return Position(symbol=symbol, amount=Decimal(amount), entry_price=Decimal(100),
                    unrealized_pnl=Decimal(0), time=time)  # fmt: skip


def positions(store: Store) -> dict[str, Decimal]:
    with store.reader() as cur:
        return {
            s: Decimal(a) for s, a in cur.execute("SELECT symbol, amount FROM positions").fetchall()
        }


def test_a_snapshot_leaves_alone_the_positions_the_stream_changed_after_it_was_asked(store):
    store.write_sync(lambda c: holdings.upsert_positions(
        c, [pos("BTCUSDT", "1", 100), pos("ETHUSDT", "2", 100)], 0, replace_all=False))  # fmt: skip
    store.write_sync(lambda c: holdings.upsert_positions(c, [pos("BTCUSDT", "0", 300)], 0,
                                                       replace_all=False))  # fmt: skip
    snapshot = [pos("BTCUSDT", "1", 100), pos("XRPUSDT", "5", 200)]  # asked before the close
    store.write_sync(lambda c: holdings.upsert_positions(
        c, snapshot, 0, replace_all=True, keep=frozenset({"BTCUSDT"})))  # fmt: skip
    assert positions(store) == {"XRPUSDT": Decimal(5)}  # ETH closed per REST, BTC stays closed
