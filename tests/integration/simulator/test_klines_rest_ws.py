"""REST and WebSocket klines agree bar by bar, for spot and for USD-M futures, on the virtual
clock: every field of every closed bar a stream sends is the REST row for that bar, and the
futures bars carry the shared market's real volume and trades."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import requests
import websockets

from simulator.server import SimulatorThread
from tests.integration.sim_support import advance, start_sim

MINUTE = 60_000
START_MS = 1_790_000_000_000 // MINUTE * MINUTE + 10_000  # 10 s into a minute
SYMBOLS = ("BTCUSDT", "ETHUSDT")
INTERVALS = ("1m", "3m")
MINUTES = 7
LEAD_MS = 1_000
WAIT_S = 10.0


def stream_names() -> list[str]:
    return [f"{s.lower()}@kline_{i}" for s in SYMBOLS for i in INTERVALS]


def values(row: list) -> tuple:
    """A kline row's values: times and trade count as ints, every amount as a Decimal (spot
    streams write 8 decimals, REST the shortest form; the values are what must agree)."""
    t, o, h, low, c, v, close_time, q, n, buy, buy_quote, _ = row
    amounts = (Decimal(x) for x in (o, h, low, c, v, q, buy, buy_quote))
    return (t, close_time, n, *amounts)


def rest_rows(sim: SimulatorThread, market: str, symbol: str, interval: str) -> dict[int, tuple]:
    path = "/api/v3/klines" if market == "spot" else "/fapi/v1/klines"
    params = {"symbol": symbol, "interval": interval, "startTime": START_MS - 10 * MINUTE}
    rows = requests.get(sim.urls.base_url + path, params=params, timeout=10).json()
    return {row[0]: values(row) for row in rows}


def as_row(k: dict) -> tuple:
    """A stream's `k` object as the values of a REST row."""
    fields = [k["t"], k["o"], k["h"], k["l"], k["c"], k["v"], k["T"], k["q"], k["n"], k["V"],
              k["Q"], k["B"]]  # fmt: skip
    return values(fields)


async def collect_closed(sim: SimulatorThread, url: str, expected_opens: set[tuple]) -> dict:
    """Advance a minute at a time and gather the closed bars (`x: true`) the stream sends,
    waiting for each minute's before the next advance."""
    closed: dict[tuple[str, str, int], list] = {}
    async with websockets.connect(url) as ws:
        await asyncio.to_thread(advance, sim, LEAD_MS)
        await asyncio.wait_for(ws.recv(), WAIT_S)  # the stream is live before the bars close
        for minute in range(1, MINUTES + 1):
            await asyncio.to_thread(advance, sim, MINUTE)
            due = {key for key in expected_opens if key[2] + _width(key[1]) <= _now(minute)}
            while not due <= set(closed):
                message = json.loads(await asyncio.wait_for(ws.recv(), WAIT_S))
                k = message["data"]["k"]
                if k["x"]:
                    closed[(message["data"]["s"], k["i"], k["t"])] = as_row(k)
    return closed


def _width(interval: str) -> int:
    return int(interval[:-1]) * MINUTE


def _now(minutes_advanced: int) -> int:
    return START_MS + LEAD_MS + minutes_advanced * MINUTE


def expected_closed_bars() -> set[tuple[str, str, int]]:
    """Every bar that opens at or after the first minute boundary and closes by the end."""
    end = _now(MINUTES)
    first = START_MS // MINUTE * MINUTE + MINUTE
    keys = set()
    for interval in INTERVALS:
        width = _width(interval)
        open_time = -(-first // width) * width
        while open_time + width <= end:
            keys |= {(s, interval, open_time) for s in SYMBOLS}
            open_time += width
    return keys


def test_spot_and_futures_stream_klines_equal_the_rest_klines_bar_by_bar() -> None:
    spot_sim = start_sim(start_ms=START_MS)
    futures_sim = start_sim(start_ms=START_MS)
    expected = expected_closed_bars()
    try:
        names = "/".join(stream_names())
        spot = asyncio.run(
            collect_closed(spot_sim, f"{spot_sim.urls.ws_url}stream?streams={names}", expected)
        )
        url = f"{futures_sim.urls.fstream_url}market/stream?streams={names}"
        futures = asyncio.run(collect_closed(futures_sim, url, expected))
        for market, sim, streamed in (("spot", spot_sim, spot), ("futures", futures_sim, futures)):
            assert expected <= set(streamed), (market, expected - set(streamed))
            for symbol in SYMBOLS:
                for interval in INTERVALS:
                    rest = rest_rows(sim, market, symbol, interval)
                    for (s, i, open_time), row in streamed.items():
                        if (s, i) == (symbol, interval):
                            assert row == rest[open_time], (market, symbol, interval, open_time)
        for key in expected:  # real volume, quote volume and trades on the futures stream
            _, _, trades, *_, volume, quote_volume, _, _ = futures[key]
            assert volume > 0 and quote_volume > 0 and trades > 0, key
        # one market, one path: the same seed gives the perpetual the spot bars
        assert {k: futures[k] for k in expected} == {k: spot[k] for k in expected}
    finally:
        spot_sim.stop()
        futures_sim.stop()
