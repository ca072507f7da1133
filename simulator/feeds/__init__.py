"""Price sources (synthetic, replay, live), candles, the shared market, and the stateful
order book each venue matches against."""
