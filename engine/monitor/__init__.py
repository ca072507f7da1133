"""Monitoring and alerts: health sampled into DuckDB, alert rules, incidents, delivery."""
