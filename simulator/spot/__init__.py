"""Binance spot: /api/v3 routes, matching, balances, market streams and user data."""
