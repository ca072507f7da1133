"""Local order books: how many diff-depth updates a second the engine applies for 20 books
(parse, continuity check, merge), against a bare apply loop over the same frames; and the
Trade page's render time with the ladder and tape on (AppTest, real engine on the simulator),
against the same page with the panel switched off.

    python -m benchmarks.order_book [--books 20] [--frames 20000] [--runs 7] [--skip-page]

Prints one JSON document.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from engine.binance.depth import DepthSnapshot  # noqa: E402
from engine.market.market_books import MarketBooks  # noqa: E402
from engine.models import MarketType  # noqa: E402

LEVELS, CHANGES = 250, 12  # per side, as the simulator's book (and changes per side per frame)
BENCH_USER, BENCH_PASSWORD = "bench", "benchmark password"


def make_frames(books: int, frames: int, seed: int = 15) -> tuple[list[bytes], dict[str, int]]:
    """Combined-stream frames (bytes, as they come off the socket), round-robin over symbols,
    each changing `CHANGES` levels per side near the touch; ids contiguous per symbol."""
    rng = random.Random(seed)
    symbols = [f"S{i:02d}USDT" for i in range(books)]
    next_id = dict.fromkeys(symbols, 1001)
    out = []
    for n in range(frames):
        symbol = symbols[n % books]
        first = next_id[symbol]
        final = first + rng.randint(0, 3)
        next_id[symbol] = final + 1

        def side(base: float, sign: int) -> list[list[str]]:
            rows = []
            for _ in range(CHANGES):
                price = base + sign * rng.randint(0, LEVELS - 1) * 0.01
                qty = "0" if rng.random() < 0.2 else f"{rng.uniform(0.001, 5):.5f}"
                rows.append([f"{price:.2f}", qty])
            return rows

        data = {"e": "depthUpdate", "E": n, "s": symbol, "U": first, "u": final,
                "b": side(99.99, -1), "a": side(100.01, 1)}  # fmt: skip
        out.append(orjson.dumps({"stream": f"{symbol.lower()}@depth@100ms", "data": data}))
    return out, {s: 1000 for s in symbols}


def engine_rate(frames: list[bytes], snapshot_ids: dict[str, int]) -> dict[str, float]:
    """What the engine's depth stream does per frame: parse, route to the book, apply."""
    books = MarketBooks(MarketType.SPOT, lambda market, book: None)
    books.set_symbols(list(snapshot_ids))
    empty = DepthSnapshot(0, (), ())
    for symbol, last in snapshot_ids.items():
        book = books.books[symbol]
        book.on_snapshot(DepthSnapshot(last, empty.bids, empty.asks), book.epoch)
    loads, on_frame = orjson.loads, books.on_frame
    started = time.perf_counter()
    for raw in frames:
        on_frame(loads(raw)["data"])
    seconds = time.perf_counter() - started
    applied = sum(b.counters.updates for b in books.books.values())
    assert applied == len(frames), (applied, len(frames))
    assert all(b.counters.gaps == 0 for b in books.books.values())
    return {"updates_per_s": round(applied / seconds), "seconds": round(seconds, 3)}


def bare_rate(frames: list[bytes]) -> dict[str, float]:
    """The floor: parse and merge into dicts, no ids, no checks, no typed objects."""
    sides: dict[str, tuple[dict[Decimal, Decimal], dict[Decimal, Decimal]]] = {}
    loads = orjson.loads
    started = time.perf_counter()
    for raw in frames:
        data = loads(raw)["data"]
        bids, asks = sides.setdefault(data["s"], ({}, {}))
        for book, rows in ((bids, data["b"]), (asks, data["a"])):
            for p, q in rows:
                price, qty = Decimal(p), Decimal(q)
                if qty:
                    book[price] = qty
                else:
                    book.pop(price, None)
    seconds = time.perf_counter() - started
    return {"updates_per_s": round(len(frames) / seconds), "seconds": round(seconds, 3)}


def page_render(runs: int) -> dict[str, object]:
    """Median and max ms of the Trade page's reruns with the book panel on, then off."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from app import book_queries
    from app.components import ladder

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TRADEDESK_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ.setdefault("TRADEDESK_ADMIN_USER", BENCH_USER)
        os.environ.setdefault("TRADEDESK_ADMIN_PASSWORD", BENCH_PASSWORD)
        os.chdir(REPO)
        st.cache_resource.clear()
        at = AppTest.from_file(str(REPO / "desk_ui.py"), default_timeout=120)
        at.run()
        at.text_input[0].input(os.environ["TRADEDESK_ADMIN_USER"])
        at.text_input[1].input(os.environ["TRADEDESK_ADMIN_PASSWORD"])
        at.button[0].click()
        at.run()
        at.run()
        deadline = time.monotonic() + 60
        while book_queries.book_levels(MarketType.SPOT, "BTCUSDT").empty:
            if time.monotonic() > deadline:
                raise RuntimeError("the BTCUSDT book was never stored")
            time.sleep(0.2)
        at.switch_page("app_pages/orders.py").run()
        result: dict[str, object] = {"with_ladder": _samples(at, runs)}
        shown = [d.value for d in at.dataframe if "cumulative" in d.value.columns]
        result["ladder_rows"] = len(shown[0]) if shown else 0
        original = ladder.order_book_panel
        ladder.order_book_panel = lambda *args, **kwargs: None  # the page re-imports it per run
        try:
            result["without_ladder"] = _samples(at, runs)
        finally:
            ladder.order_book_panel = original
        st.cache_resource.clear()
    return result


def _samples(at: object, runs: int) -> dict[str, float]:
    at.run()  # type: ignore[attr-defined]
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        at.run()  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - started) * 1000)
    if at.exception:  # type: ignore[attr-defined]
        raise RuntimeError(at.exception[0].value)  # type: ignore[attr-defined]
    return {"median_ms": round(statistics.median(samples), 1), "max_ms": round(max(samples), 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--books", type=int, default=20)
    parser.add_argument("--frames", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--skip-page", action="store_true")
    args = parser.parse_args()
    frames, ids = make_frames(args.books, args.frames)
    engine, bare = engine_rate(frames, ids), bare_rate(frames)
    report: dict[str, object] = {
        "books": args.books,
        "frames": args.frames,
        "levels_changed_per_frame": 2 * CHANGES,
        "engine_apply": engine,
        "bare_apply_loop": bare,
        "engine_vs_bare": round(engine["updates_per_s"] / bare["updates_per_s"], 2),
    }
    if not args.skip_page:
        report["trade_page_render"] = page_render(args.runs)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
