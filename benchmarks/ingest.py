"""Market-data ingest: stream frames -> DuckDB rows through the engine's feed vs a bare pipeline.

    python -m benchmarks.ingest [--frames 100000] [--symbols 100] [--ticker-seconds 10]

A local WebSocket server in a child process (so it does not share this process's CPU) plays:
1. `--frames` closed 1m kline frames (distinct keys) for `--symbols` streams, as fast as it can,
   on one combined connection. The engine side is the real `MarketFeed` (the code the engine
   runs: reader, routing, row tuples, the engine's `BatchWriter` upserting through Arrow into a
   DuckDB file). The bare side parses the same frames with orjson, builds the same tuples and
   inserts them through Arrow in 5,000-row batches, without any network.
2. the USD-M all-market ticker (`!ticker@arr`, 2,000 symbols) once a second for
   `--ticker-seconds`; we report this process's CPU time over that window (the db-writer thread
   included) as a percentage of one core.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson

from engine.binance.streams import kline_row_from_ws, kline_stream
from engine.market.feed import MarketFeed
from engine.market.feed_types import FeedSinks, MarketDataConfig
from engine.models import MarketType
from engine.store.database import Store
from engine.store.tables import KLINES
from engine.store.writer import BatchWriter, UpsertBuffer, upsert_arrow

START_MS = 1_700_000_000_000 // 60_000 * 60_000
TICKER_SYMBOLS = 2_000


def symbols(count: int) -> list[str]:
    return [f"S{i:04d}USDT" for i in range(count)]


def kline_frames(frame_count: int, symbol_count: int) -> list[bytes]:
    names = symbols(symbol_count)
    frames = []
    for i in range(frame_count):
        symbol = names[i % symbol_count]
        open_time = START_MS + (i // symbol_count) * 60_000
        data = {
            "e": "kline", "E": open_time + 60_000, "s": symbol,
            "k": {
                "t": open_time, "T": open_time + 59_999, "s": symbol, "i": "1m", "f": 1, "L": 2,
                "o": "100.10", "c": f"{100 + i % 7}.25", "h": "108.00", "l": "99.50",
                "v": "12.345", "n": 17, "x": True, "q": "1234.5", "V": "6", "Q": "600", "B": "0",
            },
        }  # fmt: skip
        frames.append(orjson.dumps({"stream": kline_stream(symbol, "1m"), "data": data}))
    return frames


def ticker_array_frame(now_ms: int) -> bytes:
    data = [
        {
            "e": "24hrTicker",
            "E": now_ms,
            "s": f"T{i:04d}USDT",
            "p": "1.50",
            "P": "1.234",
            "w": "101.1",
            "c": "101.50",
            "Q": "0.5",
            "o": "100.00",
            "h": "102.00",
            "l": "99.00",
            "v": "12345.6",
            "q": "1234567.8",
            "O": now_ms - 86_400_000,
            "C": now_ms,
            "F": 1,
            "L": 1000,
            "n": 1000,
        }
        for i in range(TICKER_SYMBOLS)
    ]
    return orjson.dumps({"stream": "!ticker@arr", "data": data})


# --- the server (child process) -------------------------------------------------------------------


def serve(port_out: Any, frame_count: int, symbol_count: int, ticker_seconds: float) -> None:
    from websockets.asyncio.server import serve as ws_serve

    frames = kline_frames(frame_count, symbol_count)

    async def handler(ws: Any) -> None:
        if ws.request.path.startswith("/ticker"):
            for _ in range(int(ticker_seconds) + 2):
                await ws.send(ticker_array_frame(int(time.time() * 1000)).decode())
                await asyncio.sleep(1.0)
        else:
            for frame in frames:
                await ws.send(frame.decode())
        await ws.wait_closed()

    async def main() -> None:
        async with ws_serve(handler, "127.0.0.1", 0, compression=None, max_size=None) as server:
            port_out.put(server.sockets[0].getsockname()[1])
            await asyncio.Future()

    asyncio.run(main())


# --- the engine side ------------------------------------------------------------------------------


def feed_for(
    market: MarketType, root: str, writer: BatchWriter, config: MarketDataConfig
) -> MarketFeed:
    sinks = FeedSinks(
        add=writer.add, add_many=writer.add_many, record_event=lambda *a: None, fetch_klines=None
    )
    return MarketFeed(market, root, ("1m",), config, sinks)


async def engine_rate(root: str, frame_count: int, symbol_count: int, db: Path) -> dict[str, Any]:
    store = Store(db)
    writer = BatchWriter(store)
    feed = feed_for(MarketType.SPOT, root, writer, MarketDataConfig(stale_after_s=120))
    feed.set_symbols(symbols(symbol_count))
    flusher = asyncio.create_task(writer.run(0.25, 5_000))
    started = time.perf_counter()
    runner = asyncio.create_task(feed.run())
    while writer.rows_written < frame_count:
        await asyncio.sleep(0.01)
    elapsed = time.perf_counter() - started
    feed.request_stop()
    await runner
    flusher.cancel()
    await asyncio.gather(flusher, return_exceptions=True)
    with store.reader() as cur:
        stored = cur.execute("SELECT count(*) FROM klines").fetchone()[0]
    store.close()
    return {"frames": frame_count, "seconds": round(elapsed, 3), "rows_in_db": stored,
            "frames_per_s": round(frame_count / elapsed)}  # fmt: skip


def bare_rate(frames: list[bytes], db: Path) -> dict[str, Any]:
    store = Store(db)
    buffer = UpsertBuffer(KLINES)
    started = time.perf_counter()
    for start in range(0, len(frames), 5_000):
        rows = [
            kline_row_from_ws("spot", orjson.loads(f)["data"])
            for f in frames[start : start + 5_000]
        ]
        table = buffer.to_arrow(rows)
        store.write_sync(lambda con, t=table: upsert_arrow(con, "klines", t))
    elapsed = time.perf_counter() - started
    store.close()
    return {"frames": len(frames), "seconds": round(elapsed, 3),
            "frames_per_s": round(len(frames) / elapsed)}  # fmt: skip


async def ticker_cpu(root: str, seconds: float, db: Path) -> dict[str, Any]:
    store = Store(db)
    writer = BatchWriter(store)
    config = MarketDataConfig(all_market_tickers=True, stale_after_s=120)
    feed = feed_for(MarketType.FUTURES, root, writer, config)
    feed.set_symbols(["BTCUSDT"])
    flusher = asyncio.create_task(writer.run(0.25, 5_000))
    runner = asyncio.create_task(feed.run())
    while writer.rows_written < TICKER_SYMBOLS:  # warm: connected, first array stored
        await asyncio.sleep(0.05)
    frames_before, cpu_before, wall_before = (
        feed.counters.frames,
        time.process_time(),
        time.monotonic(),
    )
    await asyncio.sleep(seconds)
    cpu, wall = time.process_time() - cpu_before, time.monotonic() - wall_before
    frames = feed.counters.frames - frames_before
    feed.request_stop()
    await runner
    flusher.cancel()
    await asyncio.gather(flusher, return_exceptions=True)
    store.close()
    return {"symbols": TICKER_SYMBOLS, "seconds": round(wall, 2), "arrays": frames,
            "cpu_s": round(cpu, 3), "cpu_pct_of_one_core": round(100 * cpu / wall, 2)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--ticker-seconds", type=float, default=10.0)
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    port_out = ctx.Queue()
    server = ctx.Process(
        target=serve, args=(port_out, args.frames, args.symbols, args.ticker_seconds), daemon=True
    )
    server.start()
    try:
        port = port_out.get(timeout=120)
        root = f"ws://127.0.0.1:{port}"
        with tempfile.TemporaryDirectory() as tmp:
            engine = asyncio.run(
                engine_rate(root, args.frames, args.symbols, Path(tmp) / "e.duckdb")
            )
            bare = bare_rate(kline_frames(args.frames, args.symbols), Path(tmp) / "b.duckdb")
            tickers = asyncio.run(
                ticker_cpu(root + "/ticker", args.ticker_seconds, Path(tmp) / "t.duckdb")
            )
    finally:
        server.terminate()
        server.join(10)
    result = {
        "kline_ingest": {
            "engine": engine,
            "bare_orjson_arrow": bare,
            "engine_vs_bare": round(engine["frames_per_s"] / bare["frames_per_s"], 3),
            "target": ">= 0.5",
        },
        "all_market_ticker": {**tickers, "target": "< 10 % of one core"},
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
