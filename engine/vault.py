"""API keys encrypted at rest, in a file only its owner may read (never in DuckDB).

Each key and its secret are sealed with AES-256-GCM under a key derived with scrypt from a
master passphrase (`TRADEDESK_MASTER_KEY`, or `master_key` in the `[tradedesk]` table of the
secrets). The file keeps a random salt and, per entry, a random nonce; the entry's associated
data names its environment, so an entry copied into another environment's slot does not open:
a testnet key can never be handed to live's URLs, nor the other way. A known text sealed under
the same key tells a wrong passphrase apart from a damaged entry.

The passphrase can be changed without losing keys: `rotate` opens every entry with the current
key and writes them all, under a new salt and the new passphrase, to a new file that replaces
the old one in one rename (`python -m engine.vault rotate`). Without a passphrase nothing is
stored, and stored keys stay sealed.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import os
import secrets
import sys
import threading
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from engine.clock import now_ms
from engine.credentials import Credentials, CredentialsUnavailable
from engine.models import Environment
from engine.private_files import read_private, write_private

MASTER_KEY_VARIABLE = "TRADEDESK_MASTER_KEY"
NEW_MASTER_KEY_VARIABLE = "TRADEDESK_NEW_MASTER_KEY"
VAULT_FILE = "vault.json"
FORMAT = 1
MIN_PASSPHRASE = 12
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
_CHECK_TEXT = b"tradedesk vault"
HOW_TO_SET = (
    f"Set {MASTER_KEY_VARIABLE} in the server's environment (or master_key in the [tradedesk] "
    f"table of .streamlit/secrets.toml) to a passphrase of at least {MIN_PASSPHRASE} characters, "
    "and restart the desk."
)


class VaultError(CredentialsUnavailable):
    """The vault cannot do this; the message says why and what to do."""


class NoPassphrase(VaultError):
    pass


class WrongPassphrase(VaultError):
    pass


def _aad(slot: str) -> bytes:
    return f"tradedesk vault v{FORMAT}: {slot}".encode()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode())


class Vault:
    """The encrypted keys of each environment, in `path`; thread-safe."""

    def __init__(self, path: Path, passphrase: str | None) -> None:
        self.path = path
        self._passphrase = passphrase or None
        self._lock = threading.RLock()
        self._keys: dict[str, bytes] = {}  # salt -> derived key, for this passphrase

    @property
    def has_passphrase(self) -> bool:
        return self._passphrase is not None

    def environments(self) -> list[Environment]:
        """The environments that hold a sealed key (readable without the passphrase)."""
        with self._lock:
            return [Environment(name) for name in sorted(self._document()["entries"])]

    def load(self, environment: Environment) -> Credentials | None:
        """`environment`'s key, opened; None when none is stored."""
        with self._lock:
            document = self._document()
            entry = document["entries"].get(environment.value)
            if entry is None:
                return None
            aead = self._cipher(document)
            try:
                plain = aead.decrypt(_unb64(entry["nonce"]), _unb64(entry["sealed"]),
                                     _aad(environment.value))  # fmt: skip
            except InvalidTag:
                raise VaultError(
                    f"The {environment} entry of {self.path} does not open: it was damaged or "
                    "moved from another environment's slot. Store the key again."
                ) from None
            opened = orjson.loads(plain)
            return Credentials(opened["api_key"], opened["api_secret"])

    def store(self, environment: Environment, credentials: Credentials) -> None:
        """Seal `credentials` as `environment`'s key (replacing any before).

        A sim key is for a simulator the desk attaches to (TRADEDESK_SIM_REST_URL); the built-in
        one always uses its own."""
        with self._lock:
            document = self._document()
            aead = self._cipher(document)
            document["entries"][environment.value] = _seal(aead, environment.value, credentials)
            self._write(document)

    def delete(self, environment: Environment) -> bool:
        """Remove `environment`'s key; False when there was none."""
        with self._lock:
            document = self._document()
            if document["entries"].pop(environment.value, None) is None:
                return False
            self._write(document)
            return True

    # --- other secrets (an alert channel's URL with its token) ---------------------------------

    def load_text(self, name: str) -> str | None:
        """The secret text stored as `name`, opened; None when none is."""
        with self._lock:
            document = self._document()
            entry = document.get("texts", {}).get(name)
            if entry is None:
                return None
            return self._open_text(self._cipher(document), name, entry)

    def store_text(self, name: str, text: str) -> None:
        """Seal `text` as `name` (replacing any before)."""
        with self._lock:
            document = self._document()
            aead = self._cipher(document)
            document.setdefault("texts", {})[name] = _seal_text(aead, name, text)
            self._write(document)

    def delete_text(self, name: str) -> bool:
        with self._lock:
            document = self._document()
            if document.get("texts", {}).pop(name, None) is None:
                return False
            self._write(document)
            return True

    def _open_text(self, aead: AESGCM, name: str, entry: dict) -> str:
        try:
            plain = aead.decrypt(_unb64(entry["nonce"]), _unb64(entry["sealed"]),
                                 _aad(_text_slot(name)))  # fmt: skip
        except InvalidTag:
            raise VaultError(f"The sealed text {name!r} of {self.path} does not open: it was "
                             "damaged. Store it again.") from None  # fmt: skip
        return plain.decode()

    def rotate(self, new_passphrase: str) -> int:
        """Re-seal every key under `new_passphrase` (a new salt too), in one atomic replace.

        Other sealed texts are re-sealed with them. Returns how many keys were re-sealed; from
        then on this vault uses the new passphrase.
        """
        _check_passphrase(new_passphrase)
        with self._lock:
            opened = {Environment(name): self.load(Environment(name))
                      for name in self._document()["entries"]}  # fmt: skip
            texts = {name: self.load_text(name) for name in self._document().get("texts", {})}
            rotated = Vault(self.path, new_passphrase)
            document = rotated._empty()
            aead = rotated._cipher(document)
            for environment, credentials in opened.items():
                assert credentials is not None
                document["entries"][environment.value] = _seal(aead, environment.value,
                                                               credentials)  # fmt: skip
            document["texts"] = {name: _seal_text(aead, name, text or "")
                                 for name, text in texts.items()}  # fmt: skip
            self._write(document)
            self._passphrase, self._keys = new_passphrase, rotated._keys
            return len(opened)

    # --- inside ---------------------------------------------------------------------------------

    def _document(self) -> dict:
        raw = read_private(self.path)
        if raw is None:
            return self._empty()
        document = orjson.loads(raw)
        if document.get("format") != FORMAT:
            raise VaultError(f"{self.path} is not a vault this tradedesk can read.")
        return document

    def _empty(self) -> dict:
        return {"format": FORMAT, "kdf": {"name": "scrypt", "n": SCRYPT_N, "r": SCRYPT_R,
                "p": SCRYPT_P, "salt": _b64(secrets.token_bytes(16))},
                "check": None, "entries": {}}  # fmt: skip

    def _cipher(self, document: dict) -> AESGCM:
        """The AES-GCM cipher for `document`'s salt; checks (or sets) the passphrase check."""
        if self._passphrase is None:
            raise NoPassphrase(f"No master passphrase: the keys cannot be opened or stored. "
                               f"{HOW_TO_SET}")  # fmt: skip
        _check_passphrase(self._passphrase)
        salt = document["kdf"]["salt"]
        if salt not in self._keys:
            kdf = document["kdf"]
            derived = Scrypt(salt=_unb64(salt), length=32, n=kdf["n"], r=kdf["r"], p=kdf["p"])
            self._keys[salt] = derived.derive(self._passphrase.encode())
        aead = AESGCM(self._keys[salt])
        check = document.get("check")
        if check is None:
            nonce = secrets.token_bytes(12)
            document["check"] = _b64(nonce + aead.encrypt(nonce, _CHECK_TEXT, _aad("check")))
            return aead
        sealed = _unb64(check)
        try:
            aead.decrypt(sealed[:12], sealed[12:], _aad("check"))
        except InvalidTag:
            raise WrongPassphrase(
                f"The master passphrase does not open {self.path}: set the one the keys were "
                "stored with (or rotate to a new one with python -m engine.vault rotate)."
            ) from None
        return aead

    def _write(self, document: dict) -> None:
        write_private(self.path, orjson.dumps(document, option=orjson.OPT_INDENT_2))


def _seal(aead: AESGCM, slot: str, credentials: Credentials) -> dict:
    nonce = secrets.token_bytes(12)
    plain = orjson.dumps({"api_key": credentials.api_key, "api_secret": credentials.api_secret})
    return {"nonce": _b64(nonce), "sealed": _b64(aead.encrypt(nonce, plain, _aad(slot))),
            "stored_ms": now_ms()}  # fmt: skip


def _text_slot(name: str) -> str:
    return f"text:{name}"  # never an environment's slot


def _seal_text(aead: AESGCM, name: str, text: str) -> dict:
    nonce = secrets.token_bytes(12)
    sealed = aead.encrypt(nonce, text.encode(), _aad(_text_slot(name)))
    return {"nonce": _b64(nonce), "sealed": _b64(sealed), "stored_ms": now_ms()}


class VaultCredentials:
    """The vault as a source of the credentials chain (engine/credentials.py)."""

    def __init__(self, vault: Vault) -> None:
        self.vault = vault

    def credentials_for(self, environment: Environment) -> Credentials | None:
        return self.vault.load(environment)


def _check_passphrase(passphrase: str) -> None:
    if len(passphrase) < MIN_PASSPHRASE:
        raise NoPassphrase(f"The master passphrase is too short to protect keys. {HOW_TO_SET}")


def main(argv: list[str] | None = None) -> int:
    """`python -m engine.vault rotate`: re-seal the stored keys under a new passphrase."""
    parser = argparse.ArgumentParser(prog="python -m engine.vault", description=main.__doc__)
    parser.add_argument("action", choices=["rotate"])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    args = parser.parse_args(argv)
    current = os.environ.get(MASTER_KEY_VARIABLE)
    new = os.environ.get(NEW_MASTER_KEY_VARIABLE) or getpass.getpass("New master passphrase: ")
    if not os.environ.get(NEW_MASTER_KEY_VARIABLE) and new != getpass.getpass("Again: "):
        print("The two passphrases differ; nothing changed.", file=sys.stderr)
        return 2
    try:
        count = Vault(args.data_dir / VAULT_FILE, current).rotate(new)
    except VaultError as exc:
        print(f"Nothing changed: {exc}", file=sys.stderr)
        return 2
    print(f"{count} keys re-sealed. Set {MASTER_KEY_VARIABLE} to the new passphrase and restart.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
