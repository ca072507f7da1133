"""Files only their owner may read: the user store, the vault, the cookie key.

Each is written whole to a new file created 0600 (never with the umask and chmod'ed later, which
leaves a window), flushed to disk, then renamed over the old one, so a reader sees the old file
or the new one and never half of either. Their directory is made 0700.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


class PermissionProblem(RuntimeError):
    """A private file is readable by someone other than its owner."""


def private_dir(path: Path) -> Path:
    """Create `path` (and parents) owner-only; tighten it if it exists and others may read it."""
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        path.chmod(mode & ~0o077)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; the file is 0600 from its first byte."""
    private_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
        raise
    _fsync_dir(path.parent)


def read_private(path: Path) -> bytes | None:
    """The file's bytes (None when it does not exist); refuses one others may read or write."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    with os.fdopen(fd, "rb") as f:
        mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
        if mode & 0o077:
            raise PermissionProblem(
                f"{path} is readable by others (mode {mode:o}); run: chmod 600 {path}"
            )
        return f.read()


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system can sync a directory
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
