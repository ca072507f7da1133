"""A Binance-compatible exchange that runs on loopback (see README: The simulator)."""
