"""One health reading as metric samples: the time series the Status page charts."""

from __future__ import annotations

from engine.monitor.health import Health
from engine.monitor.records import Sample

BREAKER_LEVEL = {"closed": 0.0, "half-open": 0.5, "open": 1.0}


def samples_of(health: Health) -> list[Sample]:
    t = health.time_ms
    core = health.core
    rows = [
        Sample(t, "loop_lag_ms", "engine", core.loop_lag_ms),
        Sample(t, "queue_depth", "engine", float(core.queue_depth)),
        Sample(t, "write_lag_ms", "engine", core.write_lag_ms),
        Sample(t, "writer_pending_rows", "engine", float(core.writer_pending_rows)),
        Sample(t, "new_orders_1m", "orders", float(health.new_orders_1m)),
        Sample(t, "clock_offset_ms", "exchange", float(health.clock_offset_ms)),
        Sample(t, "rate_limit_hits", "exchange", float(health.rate_limit.hits)),
        Sample(t, "task_restarts", "engine", float(sum(task.restarts for task in core.tasks))),
    ]
    for e in health.endpoints:
        rows.append(Sample(t, "rest_calls_1m", e.endpoint, float(e.calls)))
        if e.p50_ms is not None and e.p99_ms is not None:
            rows.append(Sample(t, "rest_p50_ms", e.endpoint, e.p50_ms))
            rows.append(Sample(t, "rest_p99_ms", e.endpoint, e.p99_ms))
    rows += [Sample(t, "errors_1m", code, float(n)) for code, n in health.errors_by_code.items()]
    rows += [Sample(t, "weight_used_pct", w.market, w.share_pct) for w in health.weights]
    rows += [
        Sample(t, "breaker_open", name, BREAKER_LEVEL.get(state, 1.0))
        for name, state in health.breakers.items()
    ]
    for s in health.streams:
        subject = f"{s.market} {s.stream}"
        rows.append(Sample(t, "stream_connected", subject, 1.0 if s.connected else 0.0))
        if s.age_s is not None and s.stream != "user data":
            rows.append(Sample(t, "stream_age_s", subject, s.age_s))
        rows.append(Sample(t, "stream_reconnects", subject, float(s.reconnects)))
    return rows
