"""The test process never leaves this machine: a lookup of any other host fails at once."""

import socket

import pytest


@pytest.mark.parametrize("host", ["api.binance.com", "fapi.binance.com", "example.com"])
def test_a_lookup_of_another_host_fails(host):
    with pytest.raises(socket.gaierror, match="may not reach"):
        socket.getaddrinfo(host, 443)


def test_this_machine_is_reachable():
    assert socket.getaddrinfo("127.0.0.1", 80)
