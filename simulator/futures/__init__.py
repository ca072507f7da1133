"""Binance USD-M futures: /fapi routes, positions and margin, funding, liquidation, algo orders,
streams."""
