"""Bounded TCP connections: at most so many open at once, and so many per client IP.

A connection over either bound is closed as soon as it is accepted, before aiohttp reads a
byte of it, so a local process cannot use up the file descriptors of the process the simulator
shares (the desk's). Idle and half-open connections are closed by aiohttp's keep-alive timeout.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable

from aiohttp import web

DEFAULT_MAX_CONNECTIONS = 1024
DEFAULT_MAX_PER_IP = 256


class ConnectionLimits:
    def __init__(
        self, total: int = DEFAULT_MAX_CONNECTIONS, per_ip: int = DEFAULT_MAX_PER_IP
    ) -> None:
        self.total = total
        self.per_ip = per_ip
        self.open: Counter[str] = Counter()
        self.refused = 0

    def admit(self, ip: str) -> bool:
        if sum(self.open.values()) >= self.total or self.open[ip] >= self.per_ip:
            self.refused += 1
            return False
        self.open[ip] += 1
        return True

    def release(self, ip: str) -> None:
        self.open[ip] -= 1
        if self.open[ip] <= 0:
            del self.open[ip]

    def wrap(self, factory: Callable[[], asyncio.Protocol]) -> Callable[[], asyncio.Protocol]:
        return lambda: AdmittedProtocol(factory(), self)


class AdmittedProtocol(asyncio.Protocol):
    """Hands a connection to the real protocol (aiohttp's) once the limits admit it."""

    def __init__(self, inner: asyncio.Protocol, limits: ConnectionLimits) -> None:
        self.inner = inner
        self.limits = limits
        self.ip: str | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        peer = transport.get_extra_info("peername")
        ip = str(peer[0]) if peer else "?"
        if not self.limits.admit(ip):
            transport.abort()
            return
        self.ip = ip
        self.inner.connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.ip is None:
            return
        self.limits.release(self.ip)
        self.inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class LimitedSite(web.BaseSite):
    """A TCP site of `runner` on host:port whose connections `limits` admit."""

    def __init__(
        self, runner: web.BaseRunner, host: str, port: int, limits: ConnectionLimits
    ) -> None:
        super().__init__(runner)
        self._host = host
        self._port = port
        self.limits = limits

    @property
    def name(self) -> str:
        return f"http://{self._host}:{self._port}"

    async def start(self) -> None:
        await super().start()
        server = self._runner.server
        assert server is not None
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            self.limits.wrap(server), self._host, self._port, backlog=self._backlog
        )
