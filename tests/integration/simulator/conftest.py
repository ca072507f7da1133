"""Every simulator test runs with no way off this machine (tests/integration/loopback.py)."""

from tests.integration.loopback import loopback_only

__all__ = ["loopback_only"]
