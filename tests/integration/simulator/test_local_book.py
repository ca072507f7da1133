"""Issue 15: the simulator publishes the book it matches against, so a client that keeps a local
book by Binance's documented procedure (buffer the diff stream, take a REST snapshot, drop
what is older, check continuity, resync on a gap or a reconnect) holds a book equal to the
simulator's snapshots, through random stream drops (`/_sim/ws/drop`), fills that take from the
book, and a moving price. Spot `<sym>@depth@100ms` (U/u) and USD-M `<sym>@depth@100ms` on
`/fstream/public` (U/u/pu). Also: the tape streams carry the account's own fills."""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass, field
from decimal import Decimal as D

import pytest
import requests
import websockets

from simulator.spot.symbols import DEFAULT_SYMBOLS
from tests.integration.sim_support import advance, control, start_sim, synced_client


@pytest.fixture(scope="module")
def sim():
    thread = start_sim(symbols=DEFAULT_SYMBOLS[:1])
    yield thread
    thread.stop()


@dataclass
class Market:
    stream_url: str
    snapshot_url: str
    futures: bool
    drop_path: str


@dataclass
class LocalBook:
    """Binance's procedure, as a client writes it."""

    market: Market
    bids: dict[D, D] = field(default_factory=dict)
    asks: dict[D, D] = field(default_factory=dict)
    last_u: int = -1
    synced: bool = False
    resyncs: int = 0
    connects: int = 0
    buffer: list[dict] = field(default_factory=list)

    def snapshot(self) -> dict:
        return requests.get(self.market.snapshot_url, timeout=5).json()

    def resync(self) -> None:
        snap = self.snapshot()
        self.bids = {D(p): D(q) for p, q in snap["bids"]}
        self.asks = {D(p): D(q) for p, q in snap["asks"]}
        self.last_u, self.synced = snap["lastUpdateId"], False
        self.resyncs += 1
        pending, self.buffer = self.buffer, []
        for event in pending:
            self.on_event(event)

    def on_event(self, event: dict) -> None:
        if self.last_u < 0:  # no snapshot yet: buffer
            self.buffer.append(event)
            return
        if event["u"] <= self.last_u:  # older than the snapshot: drop
            return
        if not self.synced:
            # the first event must straddle the snapshot's id, else take a newer snapshot
            if not event["U"] <= self.last_u + 1 <= event["u"]:
                self.buffer.append(event)
                self.last_u = -1
                self.resync()
                return
            self.synced = True
        elif not self._continues(event):
            self.buffer.append(event)
            self.last_u = -1
            self.resync()  # a gap: start over
            return
        for side, book in (("b", self.bids), ("a", self.asks)):
            for p, q in event[side]:
                if D(q) == 0:
                    book.pop(D(p), None)
                else:
                    book[D(p)] = D(q)
        self.last_u = event["u"]

    def _continues(self, event: dict) -> bool:
        if self.market.futures:
            return event["pu"] == self.last_u
        return event["U"] == self.last_u + 1


async def follow(book: LocalBook, stop: asyncio.Event) -> None:
    """Stay connected; on every (re)connect buffer first, then resync from a snapshot."""
    while not stop.is_set():
        try:
            async with websockets.connect(book.market.stream_url) as ws:
                book.connects += 1
                book.last_u, book.synced, book.buffer = -1, False, []
                first = json.loads(await asyncio.wait_for(ws.recv(), 10))
                book.buffer.append(first)
                await asyncio.to_thread(book.resync)
                while not stop.is_set():
                    try:
                        book.on_event(json.loads(await asyncio.wait_for(ws.recv(), 0.2)))
                    except TimeoutError:
                        continue
        except (websockets.ConnectionClosed, OSError, TimeoutError):
            await asyncio.sleep(0.05)


def markets(sim) -> list[Market]:
    ws, rest = sim.urls.ws_base, sim.urls.base_url
    return [
        Market(f"{ws}/ws/btcusdt@depth@100ms", f"{rest}/api/v3/depth?symbol=BTCUSDT&limit=5000",
               False, "/ws"),
        Market(f"{sim.urls.fstream_public_url}/ws/btcusdt@depth@100ms",
               f"{rest}/fapi/v1/depth?symbol=BTCUSDT&limit=1000", True, "/fstream/public"),
    ]  # fmt: skip


@pytest.mark.parametrize("which", [0, 1], ids=["spot", "usdm"])
def test_a_local_book_kept_by_binances_procedure_equals_the_snapshots(sim, which):
    control(sim, "POST", "/_sim/reset")
    market = markets(sim)[which]
    rng = random.Random(7)

    async def scenario() -> tuple[LocalBook, int]:
        book, stop = LocalBook(market), asyncio.Event()
        task = asyncio.create_task(follow(book, stop))
        drops = 0
        for step in range(30):
            await asyncio.to_thread(advance, sim, 1_000)  # the path moves the book
            if step % 3 == 0:
                await asyncio.to_thread(take_some, sim, market.futures)  # fills take from it
            if rng.random() < 0.3:
                dropped = await asyncio.to_thread(control, sim, "POST", "/_sim/ws/drop",
                                                  {"path": market.drop_path})  # fmt: skip
                drops += dropped["dropped"] > 0  # a connection was there to drop
            await asyncio.sleep(rng.choice((0.0, 0.05, 0.15)))
        snap = await asyncio.to_thread(book.snapshot)  # nothing changes from here on
        for _ in range(100):
            if book.synced and book.last_u == snap["lastUpdateId"]:
                break
            await asyncio.sleep(0.05)
        stop.set()
        await task
        assert book.last_u == snap["lastUpdateId"]
        assert book.bids == {D(p): D(q) for p, q in snap["bids"]}
        assert book.asks == {D(p): D(q) for p, q in snap["asks"]}
        return book, drops

    book, drops = asyncio.run(scenario())
    # every dropped connection was replaced, and the book resynced from a snapshot
    assert drops >= 3 and book.connects >= drops + 1 and book.resyncs >= 2


def take_some(sim, futures: bool) -> None:
    client = synced_client(sim)
    if futures:
        client.futures_create_order(symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.05")
    else:
        client.order_market_buy(symbol="BTCUSDT", quantity="0.05")


def test_the_snapshot_and_the_streams_agree_on_the_top(sim):
    control(sim, "POST", "/_sim/reset")

    async def scenario() -> None:
        url = f"{sim.urls.ws_base}/stream?streams=btcusdt@bookTicker/btcusdt@depth5@100ms"
        async with websockets.connect(url) as ws:
            await asyncio.to_thread(advance, sim, 1_000)
            got: dict[str, dict] = {}
            while len(got) < 2:
                msg = json.loads(await asyncio.wait_for(ws.recv(), 5))
                got[msg["stream"]] = msg["data"]
        snap = requests.get(f"{sim.urls.api_url}/v3/depth?symbol=BTCUSDT&limit=5", timeout=5).json()
        top, partial = got["btcusdt@bookTicker"], got["btcusdt@depth5@100ms"]
        assert partial["lastUpdateId"] == snap["lastUpdateId"] == top["u"]
        assert partial["bids"] == snap["bids"] and partial["asks"] == snap["asks"]
        assert [top["b"], top["B"]] == snap["bids"][0] and [top["a"], top["A"]] == snap["asks"][0]

    asyncio.run(scenario())


@pytest.mark.parametrize("futures", [False, True], ids=["spot", "usdm"])
def test_the_accounts_own_fills_appear_on_the_tape(sim, futures):
    control(sim, "POST", "/_sim/reset")
    ws = sim.urls.ws_base
    url = f"{ws}/fstream/market/ws/btcusdt@aggTrade" if futures else f"{ws}/ws/btcusdt@trade"

    async def scenario() -> list[dict]:
        async with websockets.connect(url) as conn:
            await asyncio.sleep(0.3)
            client = await asyncio.to_thread(synced_client, sim)
            if futures:
                placed = await asyncio.to_thread(
                    client.futures_create_order, symbol="BTCUSDT", side="SELL", type="MARKET",
                    quantity="0.123", newOrderRespType="RESULT",
                )  # fmt: skip
            else:
                placed = await asyncio.to_thread(
                    client.order_market_sell, symbol="BTCUSDT", quantity="0.12345"
                )
            deadline, seen = time.monotonic() + 5, []
            while time.monotonic() < deadline:
                try:
                    seen.append(json.loads(await asyncio.wait_for(conn.recv(), 0.5)))
                except TimeoutError:
                    break
            return [placed, *seen]

    placed, *seen = asyncio.run(scenario())
    if futures:
        own = [D(t["qty"]) for t in synced_client(sim).futures_account_trades(symbol="BTCUSDT")]
    else:
        own = [D(f["qty"]) for f in placed["fills"]]
    assert own and sum(own) == D(placed["executedQty"])
    printed = [D(e["q"]) for e in seen if e["m"] is True]  # a taker sell: the buyer made it
    for qty in own:
        assert qty in printed, (qty, printed[-5:])


def test_the_book_is_deterministic_on_the_virtual_clock():
    """Two simulators with the same seed, start and steps serve the same books."""
    start = 1_790_000_000_000
    books = []
    for _ in range(2):
        other = start_sim(symbols=DEFAULT_SYMBOLS[:1], start_ms=start)
        try:
            for _ in range(5):
                advance(other, 7_000)
            rest = other.urls.base_url
            spot = requests.get(f"{rest}/api/v3/depth?symbol=BTCUSDT&limit=50", timeout=5).json()
            usdm = requests.get(f"{rest}/fapi/v1/depth?symbol=BTCUSDT&limit=50", timeout=5).json()
            books.append((spot, {k: usdm[k] for k in ("lastUpdateId", "bids", "asks")}))
        finally:
            other.stop()
    assert books[0] == books[1]
    assert books[0][0]["lastUpdateId"] > 1
