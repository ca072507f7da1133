"""The worker process of one strategy instance: `python -m engine.strategies.worker`.

It reads one JSON request per line on stdin and answers one JSON line on stdout; anything the
strategy prints goes to stderr. A strategy that raises gets `{"ok": false, "error": ...}` back
to the host; one that never answers is killed by the host. `--describe FILE` prints the
strategy's description instead.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import orjson

from engine.strategies.api import Candles, Intent, Pair, Position, Strategy, StrategyFill
from engine.strategies.loading import describe, load_class

Reply = dict[str, Any]


def dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_SERIALIZE_NUMPY) + b"\n"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    raise TypeError(f"cannot send {type(value).__name__}")


class Session:
    """The strategy object and its candle window, driven by the host's requests."""

    def __init__(self) -> None:
        self.strategy: Strategy | None = None
        self.candles = Candles()
        self.ops: dict[str, Callable[[dict[str, Any]], Reply]] = {
            "init": self.init,
            "history": self.history,
            "candle": self.candle,
            "fill": self.fill,
        }

    def handle(self, request: dict[str, Any]) -> Reply:
        return self.ops[request["op"]](request)

    def init(self, request: dict[str, Any]) -> Reply:
        cls = load_class(Path(request["file"]))
        params = cls.Params.model_validate(request.get("params") or {})
        self.candles = Candles(int(request.get("capacity", 1000)))
        self.strategy = cls(params, Pair.model_validate(request["pair"]))
        return {"ok": True, "warmup": int(self.strategy.warmup)}

    def history(self, request: dict[str, Any]) -> Reply:
        for row in request["rows"]:
            self.candles.append(row)
        return {"ok": True}

    def candle(self, request: dict[str, Any]) -> Reply:
        assert self.strategy is not None, "init first"
        self.candles.append(request["row"])
        position = Position.model_validate(request["position"])
        return _intents(self.strategy.on_candle(self.candles, position))

    def fill(self, request: dict[str, Any]) -> Reply:
        assert self.strategy is not None, "init first"
        fill = StrategyFill.model_validate(request["fill"])
        position = Position.model_validate(request["position"])
        return _intents(self.strategy.on_fill(fill, position))


def _intents(result: Any) -> Reply:
    intents = [Intent.model_validate(i) for i in (result or [])]
    return {"ok": True, "intents": [i.model_dump(mode="json") for i in intents]}


def serve(requests: IO[bytes], replies: IO[bytes]) -> None:
    session = Session()
    for line in requests:
        started = time.perf_counter()
        try:
            reply = session.handle(orjson.loads(line))
        except Exception as exc:  # the strategy's own error goes back to the host
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}",
                     "traceback": traceback.format_exc(limit=8)}  # fmt: skip
        reply["ms"] = (time.perf_counter() - started) * 1000
        replies.write(dumps(reply))
        replies.flush()


def main(argv: list[str]) -> int:
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # the strategy's prints go to stderr, not into the protocol
    if len(argv) == 2 and argv[0] == "--describe":
        try:
            replies.write(dumps({"ok": True, **describe(Path(argv[1]))}))
        except Exception as exc:
            replies.write(dumps({"ok": False, "error": f"{type(exc).__name__}: {exc}"}))
        replies.flush()
        return 0
    serve(sys.stdin.buffer, replies)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
