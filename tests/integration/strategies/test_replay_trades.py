"""The example strategy over real Binance candles, replayed through the simulator on its virtual
clock by the desk's own engine, makes exactly the trades its rule implies.

The rule is computed here independently, in plain Python over the whole file (rolling means, a
Wilder ATR loop): an entry on each close where the fast SMA crosses above the slow one while
flat, an exit on the cross back or on a close below entry close - 2 ATR. The replay's signals,
orders and fills must be those, at those bars, and fill at the next bar's open.
"""

from __future__ import annotations

import gzip
import itertools
import json
from decimal import Decimal
from pathlib import Path

import pytest

from engine.replay.run import ReplaySpec, run_replay
from tests.conftest import REPO_ROOT, SHARED_DATA

SOURCE = SHARED_DATA / "candles" / "spot_BTCUSDT_5m.csv.gz"
FIRST_GAP_ROW = 5000  # the file's first gap (2020-12-21 14:05) lies beyond this row
ROWS, HISTORY, FAST, SLOW, ATR_N, ATR_MULT = 1300, 500, 10, 30, 14, 2.0
QUANTITY = Decimal("0.01")
PARAMS = {"fast": FAST, "slow": SLOW, "atr_period": ATR_N, "atr_mult": ATR_MULT,
          "quantity": str(QUANTITY)}  # fmt: skip

pytestmark = pytest.mark.skipif(not SOURCE.exists(), reason=f"no recorded candles at {SOURCE}")


def read_lines(rows: int) -> list[str]:
    """The file's header and its first `rows` bars, as recorded."""
    with gzip.open(SOURCE, "rt") as f:
        return [line.strip() for _, line in zip(range(rows + 1), f, strict=False)]


def mean(values: list[float]) -> float:
    return sum(values) / len(values)


def wilder_atr(bars: list[list[float]], n: int) -> list[float | None]:
    out: list[float | None] = [None] * len(bars)
    trs = [None] + [
        max(b[2] - b[3], abs(b[2] - p[4]), abs(b[3] - p[4])) for p, b in itertools.pairwise(bars)
    ]
    level = mean([t for t in trs[1 : n + 1] if t is not None])
    out[n] = level
    for i in range(n + 1, len(bars)):
        level = (level * (n - 1) + trs[i]) / n
        out[i] = level
    return out


def expected_signals(bars: list[list[float]]) -> list[tuple[int, str]]:
    closes = [b[4] for b in bars]
    atr = wilder_atr(bars, ATR_N)
    signals, stop, long = [], 0.0, False
    for i in range(HISTORY, len(bars)):
        f0, f1 = mean(closes[i - FAST : i]), mean(closes[i - FAST + 1 : i + 1])
        s0, s1 = mean(closes[i - SLOW : i]), mean(closes[i - SLOW + 1 : i + 1])
        assert abs(f1 - s1) > 1e-6 * s1 and abs(f0 - s0) > 1e-6 * s0, "a near tie: ambiguous"
        if not long and f0 <= s0 and f1 > s1:
            signals.append((int(bars[i][0]), "BUY"))
            stop, long = closes[i] - ATR_MULT * atr[i], True
        elif long and ((f0 >= s0 and f1 < s1) or closes[i] < stop):
            signals.append((int(bars[i][0]), "SELL"))
            long = False
    return signals


def test_the_example_strategy_trades_exactly_as_its_rule_says(tmp_path: Path) -> None:
    lines = read_lines(ROWS)
    bars = [[float(x) for x in line.split(",")] for line in lines[1:]]
    assert len(bars) == ROWS < FIRST_GAP_ROW
    file = tmp_path / "spot_BTCUSDT_5m.csv"  # a slice of the real file, not kept in the repo
    file.write_text("\n".join(lines) + "\n")
    spec = ReplaySpec(
        strategy="ma_crossover", symbol="BTCUSDT", file=file, params=PARAMS,
        history_bars=HISTORY, strategies_dir=REPO_ROOT / "strategies",
    )  # fmt: skip

    result = run_replay(spec, tmp_path / "run")

    expected = expected_signals(bars)
    assert len(expected) >= 6, "the slice should trade a few times"
    assert result["first_open"] == int(bars[HISTORY][0]) and result["bars"] == ROWS - HISTORY
    made = [(s["candle_time"], s["side"]) for s in result["signals"]]
    assert made == expected
    assert {s["outcome"] for s in result["signals"]} == {"placed"}
    assert all(s["client_order_id"] for s in result["signals"])
    fills = result["fills"]
    assert [f["side"] for f in fills] == [side for _, side in expected]
    opens = {int(b[0]): b[1] for b in bars}
    for (candle_time, side), fill in zip(expected, fills, strict=True):
        next_open = candle_time + 300_000
        assert next_open <= fill["time"] < next_open + 300_000  # filled in the next bar
        assert abs(float(fill["price"]) / opens[next_open] - 1) < 0.002  # at its open
        fee = QUANTITY * Decimal("0.001")
        assert Decimal(str(fill["qty"])) == (QUANTITY if side == "BUY" else QUANTITY - fee)
    stats = result["stats"]
    assert stats["trades"] == len([s for s in expected if s[1] == "SELL"])
    assert len(result["equity"]) == ROWS - HISTORY
    assert json.dumps(stats)  # plain data, ready for the page
