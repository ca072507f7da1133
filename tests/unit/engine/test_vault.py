"""The vault: keys sealed under the master passphrase, bound to their environment, rotated
without loss, unreadable without the passphrase, in an owner-only file."""

import json
import stat

import pytest

from engine import vault as vault_module
from engine.credentials import CredentialChain, Credentials, EnvironmentVariables
from engine.models import Environment
from engine.vault import NoPassphrase, Vault, VaultCredentials, VaultError, WrongPassphrase

KEY = "vaultkey" + "K" * 56
SECRET = "vaultsecret" + "S" * 53
PASSPHRASE = "a long master passphrase"
NEW_PASSPHRASE = "another long master passphrase"


@pytest.fixture
def path(tmp_path):
    return tmp_path / "data" / "vault.json"


def stored(path, passphrase=PASSPHRASE) -> Vault:
    vault = Vault(path, passphrase)
    vault.store(Environment.LIVE, Credentials(KEY, SECRET))
    vault.store(Environment.TESTNET, Credentials(KEY[::-1], SECRET[::-1]))
    return vault


def test_keys_round_trip_and_the_file_holds_neither_key_nor_secret(path):
    stored(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    raw = path.read_bytes()
    for secret in (KEY, SECRET, KEY[::-1], SECRET[::-1], PASSPHRASE):
        assert secret.encode() not in raw
    reopened = Vault(path, PASSPHRASE)
    assert reopened.load(Environment.LIVE) == Credentials(KEY, SECRET)
    assert reopened.load(Environment.TESTNET).api_key == KEY[::-1]
    assert reopened.environments() == [Environment.LIVE, Environment.TESTNET]


def test_without_the_passphrase_the_vault_cannot_be_read_nor_written(path):
    stored(path)
    locked = Vault(path, None)
    assert locked.environments() == [Environment.LIVE, Environment.TESTNET]  # that much shows
    with pytest.raises(NoPassphrase, match="TRADEDESK_MASTER_KEY"):
        locked.load(Environment.LIVE)
    with pytest.raises(NoPassphrase):
        locked.store(Environment.LIVE, Credentials(KEY, SECRET))
    with pytest.raises(NoPassphrase, match="too short"):
        Vault(path, "short").load(Environment.LIVE)


def test_a_wrong_passphrase_is_told_apart(path):
    stored(path)
    with pytest.raises(WrongPassphrase):
        Vault(path, "not the right passphrase").load(Environment.LIVE)


def test_rotation_keeps_every_key_and_retires_the_old_passphrase(path):
    vault = stored(path)
    salt_before = json.loads(path.read_text())["kdf"]["salt"]
    assert vault.rotate(NEW_PASSPHRASE) == 2
    assert json.loads(path.read_text())["kdf"]["salt"] != salt_before
    assert vault.load(Environment.LIVE) == Credentials(KEY, SECRET)  # this one follows
    assert Vault(path, NEW_PASSPHRASE).load(Environment.TESTNET).api_secret == SECRET[::-1]
    with pytest.raises(WrongPassphrase):
        Vault(path, PASSPHRASE).load(Environment.LIVE)


def test_a_rotation_that_fails_to_write_leaves_the_old_vault_whole(path, monkeypatch):
    vault = stored(path)
    before = path.read_bytes()

    def full_disk(*_args):
        raise OSError("No space left on device")

    monkeypatch.setattr(vault_module, "write_private", full_disk)
    with pytest.raises(OSError):
        vault.rotate(NEW_PASSPHRASE)
    assert path.read_bytes() == before
    assert Vault(path, PASSPHRASE).load(Environment.LIVE) == Credentials(KEY, SECRET)


def test_a_key_is_bound_to_its_environment(path):
    stored(path)
    document = json.loads(path.read_text())
    document["entries"]["testnet"] = document["entries"]["live"]  # live's key in testnet's slot
    path.write_text(json.dumps(document))
    vault = Vault(path, PASSPHRASE)
    with pytest.raises(VaultError, match="another environment"):
        vault.load(Environment.TESTNET)
    assert vault.load(Environment.LIVE) == Credentials(KEY, SECRET)


def test_in_the_chain_environment_variables_win_and_a_sealed_vault_is_reported(path, monkeypatch):
    stored(path)
    chain = CredentialChain([("env", EnvironmentVariables()),
                             ("vault", VaultCredentials(Vault(path, None)))])  # fmt: skip
    located = chain.locate(Environment.LIVE)
    assert located.credentials is None and "vault" in located.problem
    monkeypatch.setenv("TRADEDESK_LIVE_API_KEY", "envkey" + "E" * 58)
    monkeypatch.setenv("TRADEDESK_LIVE_API_SECRET", "envsecret" + "F" * 55)
    assert chain.locate(Environment.LIVE).source == "env"


def test_the_rotate_command(path, monkeypatch, capsys):
    stored(path)
    monkeypatch.setenv("TRADEDESK_MASTER_KEY", PASSPHRASE)
    monkeypatch.setenv("TRADEDESK_NEW_MASTER_KEY", NEW_PASSPHRASE)
    assert vault_module.main(["rotate", "--data-dir", str(path.parent)]) == 0
    assert "2 keys re-sealed" in capsys.readouterr().out
    assert Vault(path, NEW_PASSPHRASE).load(Environment.LIVE) == Credentials(KEY, SECRET)
    monkeypatch.setenv("TRADEDESK_MASTER_KEY", "wrong wrong wrong")
    assert vault_module.main(["rotate", "--data-dir", str(path.parent)]) == 2


TOKEN_URL = "tgram://123456:ABCdefSECRETtoken/987654"


def test_a_secret_text_is_sealed_bound_to_its_name_and_rotated_with_the_keys(path):
    vault = stored(path)
    vault.store_text("alert-channel:ops", TOKEN_URL)
    assert b"SECRETtoken" not in path.read_bytes()
    assert Vault(path, PASSPHRASE).load_text("alert-channel:ops") == TOKEN_URL
    assert vault.load_text("alert-channel:other") is None
    assert vault.environments() == [Environment.LIVE, Environment.TESTNET]  # texts are not keys

    document = json.loads(path.read_text())
    document["texts"]["alert-channel:other"] = document["texts"]["alert-channel:ops"]
    path.write_text(json.dumps(document))
    with pytest.raises(VaultError, match="does not open"):
        vault.load_text("alert-channel:other")  # a sealed text moved to another name
    assert vault.delete_text("alert-channel:other") and not vault.delete_text("nothing")

    vault.rotate(NEW_PASSPHRASE)
    assert Vault(path, NEW_PASSPHRASE).load_text("alert-channel:ops") == TOKEN_URL
    with pytest.raises(NoPassphrase):
        Vault(path, None).load_text("alert-channel:ops")
