"""The simulator's secrets in its data dir: the API key and secret it accepts, and the token of
its control plane, in `keys.json` (0600, in a 0700 directory, written atomically).

    {"api_key": "...", "api_secret": "...", "control_token": "..."}

Given keys win over the saved ones and are saved in their place; otherwise the saved keys are
used; otherwise fresh ones are generated. A file from before the control token gets one.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path

from simulator.core.auth import ApiKey, generate_key

KEYS_FILE = "keys.json"
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


@dataclass(frozen=True, slots=True)
class SimSecrets:
    api_key: ApiKey
    control_token: str = field(repr=False)
    path: Path | None = None  # where they are kept; None: in memory only


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can enter: created 0700 (missing parents too),
    an existing one narrowed to 0700."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=PRIVATE_DIR)
        os.chmod(directory, PRIVATE_DIR)  # mkdir's mode goes through the umask
    if stat.S_IMODE(path.stat().st_mode) != PRIVATE_DIR:
        os.chmod(path, PRIVATE_DIR)
    return path


def write_private(path: Path, text: str) -> None:
    """Replace `path` atomically by a file that is 0600 from its first byte."""
    private_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def load_or_create(path: Path | None, given: ApiKey | None = None) -> SimSecrets:
    """The secrets kept at `path` (see the module docstring); in memory when `path` is None."""
    saved = _read(path) if path is not None else {}
    key = given or _saved_key(saved) or generate_key()
    token = saved.get("control_token") or secrets.token_hex(32)
    wanted = {"api_key": key.key, "api_secret": key.secret, "control_token": token}
    if path is not None and saved != wanted:
        write_private(path, json.dumps(wanted))
    elif path is not None and stat.S_IMODE(path.stat().st_mode) != PRIVATE_FILE:
        os.chmod(path, PRIVATE_FILE)
    return SimSecrets(key, token, path)


def _read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path} is not a simulator keys file")
    return {k: v for k, v in data.items() if isinstance(v, str)}


def _saved_key(saved: dict[str, str]) -> ApiKey | None:
    if saved.get("api_key") and saved.get("api_secret"):
        return ApiKey(saved["api_key"], saved["api_secret"])
    return None
