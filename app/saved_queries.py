"""Explore's saved queries: examples a trader can run and change."""

SAVED_QUERIES = {
    "Fills per symbol and day": (
        "SELECT symbol, date_trunc('day', epoch_ms(time)) AS day, count(*) AS fills,\n"
        "       sum(quote_qty)::DOUBLE AS volume_usdt, sum(commission)::DOUBLE AS fees\n"
        "FROM fills GROUP BY ALL ORDER BY day DESC, symbol"
    ),
    "Hourly closes, BTCUSDT spot, last 2 days": (
        "SELECT epoch_ms(open_time) AS hour, close, volume\n"
        "FROM klines\n"
        "WHERE market = 'spot' AND symbol = 'BTCUSDT' AND interval = '1h'\n"
        "  AND open_time >= (epoch_ms(now()::TIMESTAMP) - 2 * 86400000)\n"
        "ORDER BY 1"
    ),
    "Orders by status": (
        "SELECT status, market, count(*) AS orders FROM orders GROUP BY ALL ORDER BY orders DESC"
    ),
    "Equity curve": (
        "SELECT epoch_ms(time) AS time, equity::DOUBLE AS equity FROM equity ORDER BY time"
    ),
    "Audit trail: who did what": (
        "SELECT epoch_ms(time) AS time, actor, kind, message,\n"
        "       json_extract_string(data, '$.address') AS address\n"
        "FROM events WHERE kind LIKE 'audit.%' ORDER BY id DESC LIMIT 200"
    ),
    "Warnings and errors": (
        "SELECT epoch_ms(time) AS time, level, kind, message FROM events\n"
        "WHERE level <> 'info' ORDER BY id DESC LIMIT 200"
    ),
}
