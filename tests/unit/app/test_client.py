"""Which requests count as local (the setup form's gate)."""

import pytest

from app import client
from app.client import ClientAddress, is_local_request


@pytest.fixture
def headers(monkeypatch):
    sent: dict[str, str] = {}
    monkeypatch.setattr(client, "_headers", lambda: sent)
    return sent


def address(remote="127.0.0.1", forwarded=None, host="127.0.0.1:8501", origin=None):
    return ClientAddress(remote, forwarded, host, origin)


def test_a_browser_on_this_machine_is_local(headers):
    assert is_local_request(address())
    assert is_local_request(address(remote="::1", host="[::1]:8501"))
    assert is_local_request(address(host="localhost:8501", origin="http://localhost:8501"))


@pytest.mark.parametrize(
    "seen",
    [
        address(remote=None),  # Streamlit gave no address
        address(remote="10.0.0.5"),
        address(host="desk.example.com"),  # a reverse proxy on this machine
        address(forwarded="203.0.113.9"),
        address(origin="http://evil.example"),
        address(host=None),
    ],
)
def test_anything_else_is_not(headers, seen):
    assert not is_local_request(seen)


def test_a_forwarding_header_makes_it_not_local(headers):
    headers["X-Real-Ip"] = "203.0.113.9"
    assert not is_local_request(address())
