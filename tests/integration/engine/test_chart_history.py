"""Every chart interval is streamed and backfilled natively (issue 19, walkthrough #21: the desk
backfilled ~1000 one-minute candles, so the 1d chart had 2 bars and 1h had 17)."""

from __future__ import annotations

from tests.helpers import eventually

CHART_INTERVALS = ("1m", "5m", "15m", "1h", "4h", "1d")


def test_each_chart_interval_has_hundreds_of_bars_on_both_markets(connected_engine):
    assert connected_engine.settings.kline_intervals == CHART_INTERVALS

    def stored() -> dict[tuple[str, str], int]:
        with connected_engine.store.reader() as cur:
            rows = cur.execute(
                "SELECT market, interval, count(*) FROM klines WHERE symbol = 'BTCUSDT' "
                "GROUP BY ALL"
            ).fetchall()
        return {(m, i): n for m, i, n in rows}

    def enough() -> dict[tuple[str, str], int] | None:
        counts = stored()
        wanted = [(m, i) for m in ("spot", "futures") for i in CHART_INTERVALS]
        return counts if all(counts.get(k, 0) >= 300 for k in wanted) else None

    counts = eventually(enough, timeout=60, interval=0.5)
    assert counts[("spot", "1d")] >= 400, counts  # months of daily bars, not two
