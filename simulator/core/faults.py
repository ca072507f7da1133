"""Injected faults for tests, each scoped to a path prefix, optionally an HTTP method, and a
number of requests.

A fault is a dict posted to /_sim/faults:
  {"kind": "latency", "ms": 300, "path": "/api/v3/order", "count": 2}
  {"kind": "error", "status": 503, "path": "/api/", "count": 1}      (fails before processing)
  {"kind": "error", "status": 500, "rate": 0.3, "count": null}       (a seeded share of requests)
  {"kind": "timeout", "ms": 15000, "path": "/api/v3/order", "count": 1}
      (processes the request, then holds the response for ms and closes the connection)
  {"kind": "rate_limit", "retry_after": 7, "path": "/api/", "count": 3}   (forced 429s)
`count` null means until cleared; `path` defaults to "" (every path); `method` ("GET", "POST",
"PUT" or "DELETE") narrows a fault to one method, so `{"kind": "timeout", "path":
"/api/v3/order", "method": "POST"}` holds order placement but not order queries or cancels
(absent or null: every method). Clock skew and WebSocket
drops are immediate actions, not request faults: see /_sim/clock and /_sim/ws/drop.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass
from typing import Any

KINDS = ("latency", "error", "timeout", "rate_limit")
METHODS = ("GET", "POST", "PUT", "DELETE")
FIELDS = {"kind", "path", "method", "count", "ms", "status", "rate", "retry_after"}


@dataclass(slots=True)
class Fault:
    id: int
    kind: str
    path: str = ""
    method: str | None = None
    count: int | None = 1
    ms: int = 0
    status: int = 503
    rate: float = 1.0
    retry_after: int = 1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _int(spec: dict[str, Any], name: str, default: int | None, low: int, high: int) -> int | None:
    value = spec.get(name, default)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"'{name}' must be an integer from {low} to {high}")
    return value


def parse_fault(fault_id: int, spec: Any) -> Fault:
    if not isinstance(spec, dict):
        raise ValueError("a fault is a JSON object")
    unknown = set(spec) - FIELDS
    if unknown:
        raise ValueError(f"unknown fault fields: {sorted(unknown)}")
    kind = spec.get("kind")
    if kind not in KINDS:
        raise ValueError(f"'kind' must be one of {list(KINDS)}")
    path = spec.get("path", "")
    if not isinstance(path, str):
        raise ValueError("'path' must be a string prefix such as /api/v3/order")
    method = spec.get("method")
    if method is not None and (not isinstance(method, str) or method.upper() not in METHODS):
        raise ValueError(f"'method' must be one of {list(METHODS)} (or absent for every method)")
    rate = spec.get("rate", 1.0)
    if not isinstance(rate, int | float) or isinstance(rate, bool) or not 0 < rate <= 1:
        raise ValueError("'rate' must be a number in (0, 1]")
    default_ms = 15000 if kind == "timeout" else 0
    return Fault(
        id=fault_id,
        kind=kind,
        path=path,
        method=method.upper() if method else None,
        count=_int(spec, "count", 1, 1, 1_000_000),
        ms=_int(spec, "ms", default_ms, 0, 600_000) or 0,
        status=_int(spec, "status", 503, 500, 599) or 503,
        rate=float(rate),
        retry_after=_int(spec, "retry_after", 1, 1, 3600) or 1,
    )


class FaultBook:
    def __init__(self, seed: int = 0) -> None:
        self._rng = random.Random(seed)
        self._faults: list[Fault] = []
        self._next_id = 1
        self.fired: dict[str, int] = {}

    def add(self, spec: Any) -> Fault:
        fault = parse_fault(self._next_id, spec)
        self._next_id += 1
        self._faults.append(fault)
        return fault

    def take(self, kind: str, path: str, method: str | None = None) -> Fault | None:
        """The first live fault of `kind` for `path` (and `method`), spending one of its count."""
        for fault in self._faults:
            if fault.kind != kind or not path.startswith(fault.path):
                continue
            if fault.method is not None and method is not None and fault.method != method:
                continue
            if fault.rate < 1 and self._rng.random() >= fault.rate:
                continue
            if fault.count is not None:
                fault.count -= 1
                if fault.count <= 0:
                    self._faults.remove(fault)
            self.fired[kind] = self.fired.get(kind, 0) + 1
            return fault
        return None

    def list(self) -> list[dict[str, Any]]:
        return [f.to_json() for f in self._faults]

    def clear(self) -> None:
        self._faults.clear()
