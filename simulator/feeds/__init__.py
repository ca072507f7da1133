"""Price sources (synthetic, replay, live), candles, the shared market and its synthetic book."""
