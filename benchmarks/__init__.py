"""Benchmarks: scripts that print JSON figures (`python -m benchmarks.<name>`); never tests."""
