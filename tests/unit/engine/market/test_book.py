"""The local book's procedure on hand-made frames: buffer, snapshot, drop, continuity, gaps."""

from __future__ import annotations

from decimal import Decimal as D

from engine.binance.depth import DepthSnapshot, DepthUpdate, depth_update_from_ws
from engine.market.book import BookState, LocalBook, walk


def upd(first: int, final: int, bids=(), asks=(), pu: int | None = None) -> DepthUpdate:
    lv = lambda rows: tuple((D(p), D(q)) for p, q in rows)  # noqa: E731
    return DepthUpdate("BTCUSDT", first, final, pu, lv(bids), lv(asks), 0)


SNAP = DepthSnapshot(10, ((D("100"), D("1")), (D("99"), D("2"))), ((D("101"), D("1")),))


def synced(futures: bool = False) -> LocalBook:
    book = LocalBook("BTCUSDT", futures)
    book.on_update(upd(9, 11, bids=[("100", "3")], pu=8))
    assert book.wants_snapshot and book.state is BookState.SYNCING
    assert book.on_snapshot(SNAP, book.epoch)
    return book


def test_buffered_frames_older_than_the_snapshot_are_dropped_the_rest_applied():
    book = LocalBook("BTCUSDT", False)
    book.on_update(upd(5, 8, bids=[("98", "9")]))  # older than the snapshot
    book.on_update(upd(9, 11, bids=[("100", "3")], asks=[("101", "0")]))
    assert book.on_snapshot(SNAP, book.epoch)
    assert book.state is BookState.LIVE and book.last_id == 11
    assert book.bids == {D("100"): D("3"), D("99"): D("2")} and book.asks == {}
    assert book.counters.dropped == 1 and book.counters.resyncs == 0


def test_a_snapshot_older_than_the_buffer_is_refused_and_another_asked_for():
    book = LocalBook("BTCUSDT", False)
    book.on_update(upd(20, 21))
    assert not book.on_snapshot(SNAP, book.epoch)  # 10 + 1 < 20
    assert book.wants_snapshot and book.state is BookState.SYNCING
    assert book.counters.refused_snapshots == 1


def test_spot_continuity_and_a_gap_that_resyncs():
    book = synced()
    book.on_update(upd(12, 12, asks=[("102", "5")]))
    assert book.asks[D("102")] == D("5")
    book.on_update(upd(14, 15))  # 13 is missing
    assert book.state is BookState.SYNCING and "gap" in book.reason
    assert book.counters.gaps == 1 and book.counters.resyncs == 1
    assert book.bids == {} and book.wants_snapshot and book.buffer[0].first_id == 14
    assert book.on_snapshot(DepthSnapshot(14, SNAP.bids, SNAP.asks), book.epoch)
    assert book.state is BookState.LIVE and book.last_id == 15


def test_usdm_continuity_is_by_the_previous_final_id():
    book = synced(futures=True)
    book.on_update(upd(15, 17, pu=11))  # U jumps, pu continues: fine on USD-M
    assert book.state is BookState.LIVE and book.last_id == 17
    book.on_update(upd(18, 19, pu=16))
    assert book.state is BookState.SYNCING and book.counters.gaps == 1


def test_the_first_frame_after_the_snapshot_must_straddle_it():
    book = LocalBook("BTCUSDT", False)
    book.on_update(upd(1, 2))
    assert book.on_snapshot(SNAP, book.epoch)  # nothing left in the buffer
    book.on_update(upd(13, 14))  # 11 and 12 missing
    assert book.state is BookState.SYNCING and book.counters.gaps == 1


def test_a_reconnect_restarts_and_a_late_snapshot_of_the_old_epoch_is_ignored():
    book = LocalBook("BTCUSDT", False)
    book.on_update(upd(9, 11))
    old = book.epoch
    book.restart("reconnected")
    book.on_update(upd(30, 31))
    assert not book.on_snapshot(SNAP, old)
    assert book.last_id == -1 and book.wants_snapshot


def test_a_lost_stream_keeps_the_levels_but_marks_the_book_stale():
    book = synced()
    book.mark_stale("the stream connection was lost")
    assert book.state is BookState.STALE and book.bids


def test_the_frame_parser_reads_spot_and_usdm_ids():
    frame = {"e": "depthUpdate", "E": 5, "s": "BTCUSDT", "U": 3, "u": 4, "pu": 2,
             "b": [["100.5", "0.1"]], "a": []}  # fmt: skip
    update = depth_update_from_ws(frame)
    assert (update.first_id, update.final_id, update.previous_final_id) == (3, 4, 2)
    assert update.bids == ((D("100.5"), D("0.1")),)


def test_walking_the_book_gives_the_average_and_worst_price():
    levels = [(D("101"), D("1")), (D("102"), D("2")), (D("103"), D("5"))]
    result = walk(levels, D("2"))
    assert result.average_price == D("101.5") and result.worst_price == D("102")
    assert result.complete and result.levels_used == 2
    short = walk(levels, D("10"))
    assert not short.complete and short.filled == D("8")
