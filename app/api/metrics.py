"""GET /api/v1/metrics: the monitor's figures and the API's own, in Prometheus' text format.

For an internal host's Prometheus (give it a viewer token: `authorization: {credentials: ...}`
in its scrape config). The monitor samples its health into the `metrics` table
(engine/monitor); each series' newest sample of the last 10 minutes is a gauge
`tradedesk_<name>{subject="..."}`. The API counts its calls by route and status, and their
durations.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app import db
from app.api.auth import Caller, caller
from app.api.errors import ERRORS
from engine.clock import now_ms

router = APIRouter(responses=ERRORS)
RECENT_MS = 10 * 60_000
REGISTRY = CollectorRegistry()
CALLS = Counter("tradedesk_api_calls", "API calls by route and status", ["route", "status"],
                registry=REGISTRY)  # fmt: skip
LATENCY = Histogram("tradedesk_api_call_seconds", "API call durations by route", ["route"],
                    registry=REGISTRY,
                    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10))  # fmt: skip


def metric_name(name: str) -> str:
    return "tradedesk_" + re.sub(r"[^a-zA-Z0-9_]", "_", name)


class MonitorSeries(Collector):
    """The newest sample of every monitor series (name, subject) from the last 10 minutes."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with db.store().reader() as cur:
            rows = cur.execute(
                "SELECT name, subject, arg_max(value, time) FROM metrics WHERE time >= ? "
                "GROUP BY name, subject ORDER BY name, subject",
                [now_ms() - RECENT_MS],
            ).fetchall()
        families: dict[str, GaugeMetricFamily] = {}
        for name, subject, value in rows:
            family = families.setdefault(name, GaugeMetricFamily(
                metric_name(name), f"tradedesk monitor: {name}", labels=["subject"]))  # fmt: skip
            family.add_metric([subject or ""], float(value))
        yield from families.values()


REGISTRY.register(MonitorSeries())


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics(who: Annotated[Caller, Depends(caller)]) -> Response:
    text = await asyncio.to_thread(generate_latest, REGISTRY)
    return Response(text, media_type=CONTENT_TYPE_LATEST)
