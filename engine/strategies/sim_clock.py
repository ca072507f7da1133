"""The simulator's virtual clock, moved through its control plane (`/_sim/clock/advance`).

Not Binance's API: only a replay's driver uses it, against the simulator it started, with the
token from that simulator's keys file.
"""

from __future__ import annotations

from typing import Any

import aiohttp

TIMEOUT_S = 60.0


class SimClockError(RuntimeError):
    pass


class SimClock:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url = base_url.rstrip("/")
        self._headers = {"X-SIM-TOKEN": token, "Content-Type": "application/json"}
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> SimClock:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        self._session = aiohttp.ClientSession(timeout=timeout, headers=self._headers)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _call(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        assert self._session is not None, "use `async with SimClock(...)`"
        async with self._session.request(method, self.base_url + path, json=body) as response:
            data = await response.json(content_type=None)
            if response.status != 200:
                raise SimClockError(f"{path}: {response.status} {data}")
            return dict(data)

    async def market_ms(self) -> int:
        return int((await self._call("GET", "/_sim/clock"))["marketTime"])

    async def advance(self, ms: int) -> tuple[int, int]:
        """Move the market on by `ms`; return the new market time and the price ticks it made
        (no tick: the simulator streamed nothing, as over a gap in a replayed file)."""
        answer = await self._call("POST", "/_sim/clock/advance", {"ms": ms})
        return int(answer["marketTime"]), int(answer.get("ticks", 0))
