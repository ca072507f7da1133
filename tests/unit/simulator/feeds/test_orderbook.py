"""The stateful order book: real diffs, numbered updates, fills that take levels away, and an
evolution that is a pure function of the steps it saw (deterministic on a virtual clock)."""

from __future__ import annotations

from decimal import Decimal as D

from simulator.feeds.orderbook import JOURNAL_UPDATES, LEVELS, OrderBook

PATH = [D("95000.00") + D(i % 9) * D("0.37") - D(i % 4) for i in range(60)]


def stepped(path=PATH, seed: int = 1) -> OrderBook:
    book = OrderBook("BTCUSDT", D("0.01"), D("0.00001"), seed)
    for price in path:
        book.step(price, D("0.25"))
    return book


def apply(bids: dict, asks: dict, diff) -> None:
    for side, rows in ((bids, diff.bids), (asks, diff.asks)):
        for price, qty in rows:
            if qty == 0:
                side.pop(price, None)
            else:
                side[price] = qty


def test_same_steps_same_book_and_another_seed_another():
    a, b, c = stepped(), stepped(), stepped(seed=2)
    assert (a.bids, a.asks, a.update_id) == (b.bids, b.asks, b.update_id)
    assert a.bids != c.bids


def test_a_step_is_a_small_diff_not_a_new_book():
    book = stepped(PATH[:10])
    before = book.update_id
    book.step(PATH[10], D("0.25"))
    diff = book.changes_since(before)
    assert diff is not None and (diff.first_id, diff.final_id) == (before + 1, before + 1)
    assert 0 < len(diff.bids) + len(diff.asks) < LEVELS  # a few levels, not all 2 x 250


def test_snapshot_plus_diffs_is_the_book():
    book = stepped(PATH[:5])
    bids, asks, last = dict(book.bids), dict(book.asks), book.update_id
    for price in PATH[5:]:
        book.step(price, D("0.25"))
        if price.to_integral_value() % 2:
            book.consume("BUY", book.take("BUY", D("0.3"), None, None))
        diff = book.changes_since(last)
        assert diff is not None and diff.first_id == last + 1
        apply(bids, asks, diff)
        last = diff.final_id
    assert (bids, asks) == (book.bids, book.asks)
    assert book.best_bid() < PATH[-1] < book.best_ask()


def test_a_taker_takes_levels_away_and_the_top_moves():
    book = stepped()
    ask, qty = book.best_ask(), book.best_ask_qty()
    legs = book.take("BUY", qty + D("0.00001"), None, None)
    assert legs[0] == (ask, qty) and len(legs) == 2
    book.consume("BUY", legs)
    assert book.best_ask() > ask


def test_updates_lost_from_the_journal_show_as_a_gap():
    book = stepped(PATH[:2])
    old = book.update_id
    for i in range(JOURNAL_UPDATES):
        book.step(D(95000) + D(i % 50), D("0.25"))
    diff = book.changes_since(old)
    assert diff is not None and diff.first_id > old + 1  # a client sees U > its u + 1: resync
