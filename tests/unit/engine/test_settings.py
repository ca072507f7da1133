from pathlib import Path

import pytest

from engine import settings as settings_module
from engine.models import Environment
from engine.settings import SettingsError, load_settings


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    for name in list(__import__("os").environ):
        if name.startswith("TRADEDESK_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr(settings_module, "SECRETS_FILE", tmp_path / "secrets.toml")


def test_defaults_are_sim_with_a_local_data_dir():
    s = load_settings()
    assert s.mode is Environment.SIM
    assert s.data_dir == Path("data")
    assert s.db_path == Path("data/tradedesk.duckdb")


def test_environment_variables_are_read_with_the_prefix(monkeypatch):
    monkeypatch.setenv("TRADEDESK_MODE", "testnet")
    monkeypatch.setenv("TRADEDESK_PAIRS", "btcusdt, solusdt")
    monkeypatch.setenv("TRADEDESK_KLINE_INTERVALS", "1m,1h")
    s = load_settings()
    assert s.mode is Environment.TESTNET
    assert s.pairs == ("BTCUSDT", "SOLUSDT")
    assert s.kline_intervals == ("1m", "1h")


def test_a_bad_mode_names_the_variable_and_the_allowed_values(monkeypatch):
    monkeypatch.setenv("TRADEDESK_MODE", "paper")
    with pytest.raises(SettingsError) as err:
        load_settings()
    text = str(err.value)
    assert "TRADEDESK_MODE" in text
    assert "'sim', 'testnet' or 'live'" in text
    assert "paper" in text


@pytest.mark.parametrize(
    ("variable", "value", "hint"),
    [
        ("TRADEDESK_KLINE_INTERVALS", "7m", "allowed: 1s, 1m"),
        ("TRADEDESK_PAIRS", "BTC-USD", "not symbols"),
        ("TRADEDESK_FLUSH_INTERVAL_MS", "0", "greater than or equal to 10"),
        ("TRADEDESK_SIM_FEED", "random", "synthetic, replay:PATH or live:URL"),
    ],
)
def test_bad_values_stop_start_up_with_a_clear_message(monkeypatch, variable, value, hint):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert variable in str(err.value)
    assert hint in str(err.value)


def test_secrets_toml_table_is_read_and_env_wins(monkeypatch, tmp_path):
    (tmp_path / "secrets.toml").write_text('[tradedesk]\nmode = "live"\npairs = ["ETHUSDT"]\n')
    assert load_settings().mode is Environment.LIVE
    assert load_settings().pairs == ("ETHUSDT",)
    monkeypatch.setenv("TRADEDESK_MODE", "sim")
    assert load_settings().mode is Environment.SIM


def test_a_broken_secrets_file_is_reported(tmp_path):
    (tmp_path / "secrets.toml").write_text("[tradedesk\nmode=")
    with pytest.raises(SettingsError, match="not valid TOML"):
        load_settings()
