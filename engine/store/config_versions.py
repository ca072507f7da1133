"""Configuration versions in the `config_versions` table: who changed what, and when.

Every save is a new row (kind, version, actor, changed_ms, config JSON); nothing is overwritten,
so the history is the audit trail. Decimals are stored as JSON strings, so limits come back exact.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
from pydantic import BaseModel

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class FieldChange:
    field: str  # dotted path for nested settings: "correlation.max_abs"
    before: Any
    after: Any


@dataclass(frozen=True)
class ConfigVersion:
    kind: str
    version: int
    actor: str
    changed_ms: int
    config: dict[str, Any]
    changes: tuple[FieldChange, ...] = ()  # against the version before (all fields for the first)

    def parse(self, model: type[M]) -> M:
        """Return the stored configuration as `model`."""
        return model.model_validate(self.config)


def save_config_version(
    con: duckdb.DuckDBPyConnection, kind: str, config: BaseModel, actor: str, now_ms: int
) -> int:
    """Store `config` as the next version of `kind`; return the version number (1 for the first).

    Runs on the store's single writer connection, so two saves cannot take the same number.
    """
    row = con.execute(
        "SELECT coalesce(max(version), 0) FROM config_versions WHERE kind = ?", [kind]
    ).fetchone()
    version = int(row[0]) + 1 if row else 1
    con.execute(
        "INSERT INTO config_versions (kind, version, actor, changed_ms, config) VALUES (?,?,?,?,?)",
        [kind, version, actor, now_ms, config.model_dump_json()],
    )
    return version


def load_latest_config(cursor: duckdb.DuckDBPyConnection, kind: str) -> ConfigVersion | None:
    """Return the newest version of `kind`, or None when it was never saved."""
    row = cursor.execute(
        "SELECT kind, version, actor, changed_ms, config FROM config_versions "
        "WHERE kind = ? ORDER BY version DESC LIMIT 1",
        [kind],
    ).fetchone()
    return _version(row) if row else None


def config_history(cursor: duckdb.DuckDBPyConnection, kind: str) -> list[ConfigVersion]:
    """Return every version of `kind`, newest first, each with its changes against the previous."""
    rows = cursor.execute(
        "SELECT kind, version, actor, changed_ms, config FROM config_versions "
        "WHERE kind = ? ORDER BY version",
        [kind],
    ).fetchall()
    history: list[ConfigVersion] = []
    previous: dict[str, Any] = {}
    for row in rows:
        version = _version(row)
        changes = tuple(diff_configs(previous, version.config))
        history.append(dataclasses.replace(version, changes=changes))
        previous = version.config
    return history[::-1]


def diff_configs(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Return the fields whose values differ, nested settings flattened to dotted paths."""
    old, new = _flatten(before), _flatten(after)
    return [
        FieldChange(field, old.get(field), new.get(field))
        for field in sorted(old.keys() | new.keys())
        if old.get(field) != new.get(field)
    ]


def _flatten(config: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in config.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{path}."))
        else:
            flat[path] = value
    return flat


def _version(row: tuple[Any, ...]) -> ConfigVersion:
    kind, version, actor, changed_ms, config = row
    return ConfigVersion(kind, int(version), actor, int(changed_ms), json.loads(config))
