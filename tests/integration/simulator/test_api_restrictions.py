"""The simulator's GET /sapi/v1/account/apiRestrictions, as python-binance calls it on Binance:
signed, with the fields and types Binance answers (simulator/spot/sapi.py)."""

from __future__ import annotations

import pytest
from binance import Client
from binance.exceptions import BinanceAPIException

from tests.integration.sim_support import start_sim, synced_client

FLAGS = (
    "ipRestrict", "enableReading", "enableSpotAndMarginTrading", "enableWithdrawals",
    "enableInternalTransfer", "enableMargin", "enableFutures", "permitsUniversalTransfer",
    "enableVanillaOptions", "enableFixApiTrade", "enableFixReadOnly",
    "enablePortfolioMarginTrading",
)  # fmt: skip


@pytest.fixture(scope="module")
def sim():
    thread = start_sim()
    yield thread
    thread.stop()


def margin_client(sim, key=None, secret=None) -> Client:
    client = synced_client(sim, key, secret)
    client.MARGIN_API_URL = f"{sim.urls.base_url}/sapi"  # python-binance's /sapi base
    return client


def test_a_trading_key_without_withdrawals_restricted_to_trusted_ips(sim):
    client = margin_client(sim)
    try:
        answer = client.get_account_api_permissions()
    finally:
        client.close_connection()
    assert all(isinstance(answer[flag], bool) for flag in FLAGS)
    assert answer["ipRestrict"] is True and answer["enableWithdrawals"] is False
    assert answer["enableReading"] and answer["enableSpotAndMarginTrading"]
    assert answer["enableFutures"] and not answer["permitsUniversalTransfer"]
    assert isinstance(answer["createTime"], int) and answer["createTime"] > 0


def test_it_is_signed_like_every_account_endpoint(sim):
    client = margin_client(sim, secret="not-the-secret" * 4)
    try:
        with pytest.raises(BinanceAPIException) as refused:
            client.get_account_api_permissions()
    finally:
        client.close_connection()
    assert refused.value.code == -1022  # signature not valid
