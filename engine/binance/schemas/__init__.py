"""Binance JSON -> domain models, in one named step per payload type."""
