"""The exchange adapter: the only code that knows Binance's wire format."""
