"""Typed settings from `TRADEDESK_*` environment variables and `.streamlit/secrets.toml`.

Precedence, highest first: explicit keyword arguments, environment variables, the `[tradedesk]`
table of `.streamlit/secrets.toml`, then the defaults below. A bad value stops start-up with a
`SettingsError` that names the variable and says what is allowed.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from engine.models import Environment

ENV_PREFIX = "TRADEDESK_"
SECRETS_FILE = Path(".streamlit/secrets.toml")
SECRETS_TABLE = "tradedesk"

KLINE_INTERVALS = (
    "1s", "1m", "3m", "5m", "15m", "30m", "1h", "2h", "4h", "6h", "8h", "12h",
    "1d", "3d", "1w", "1M",
)  # fmt: skip


# A comma-separated list in an environment variable, not JSON.
CsvTuple = Annotated[tuple[str, ...], NoDecode]


class SettingsError(ValueError):
    """A setting has a bad value; the message names the variable and the allowed values."""


class SecretsTomlSource(PydanticBaseSettingsSource):
    """Read the `[tradedesk]` table of `.streamlit/secrets.toml`, if the file exists."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self._values = _read_secrets_table(path)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._values.items() if k in self.settings_cls.model_fields}


def _read_secrets_table(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc}). Fix the file or remove it.") from exc
    table = document.get(SECRETS_TABLE, {})
    if not isinstance(table, dict):
        raise SettingsError(f"{path}: [{SECRETS_TABLE}] must be a table of settings.")
    return {key.lower(): value for key, value in table.items()}


class Settings(BaseSettings):
    """Everything the engine and the app need to start; no secrets live here."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        case_sensitive=False,
        frozen=True,
        extra="ignore",
        env_parse_none_str="",
    )

    mode: Environment = Field(Environment.SIM, description="sim | testnet | live")
    data_dir: Path = Field(Path("data"), description="where the database and paper accounts live")
    db_file: str = Field("tradedesk.duckdb", description="database file name inside data_dir")
    pairs: CsvTuple = Field(("BTCUSDT", "ETHUSDT"), description="pairs selected at start")
    # Each chart interval streamed and backfilled natively, so a 1d chart has daily bars from
    # the exchange, not two days rebuilt from a thousand minutes.
    kline_intervals: CsvTuple = Field(
        ("1m", "5m", "15m", "1h", "4h", "1d"), description="intervals streamed per pair"
    )
    flush_interval_ms: int = Field(250, ge=10, le=10_000, description="writer flush period")
    flush_max_rows: int = Field(5_000, ge=1, le=1_000_000, description="flush early at this size")
    command_queue_size: int = Field(1_000, ge=1, le=100_000)
    command_timeout_s: float = Field(15.0, gt=0, le=300)
    request_timeout_s: float = Field(10.0, gt=0, le=120, description="one REST request")
    status_refresh_s: float = Field(2.0, gt=0, le=60)
    monitor_tick_s: float = Field(1.0, gt=0, le=60, description="alert rules evaluated")
    monitor_sample_s: float = Field(10.0, gt=0, le=3600, description="health metrics stored")
    monitor_keep_days: float = Field(2.0, gt=0, le=365, description="metrics kept this long")
    alert_attempts: int = Field(4, ge=1, le=20, description="tries per alert and channel")
    alert_retry_s: float = Field(2.0, gt=0, le=600, description="first wait between tries")
    session_hours: float = Field(12.0, gt=0, le=720, description="how long a login lasts")
    api_requests_per_s: float = Field(20.0, gt=0, le=10_000, description="per API token")
    api_burst: int = Field(40, ge=1, le=100_000, description="API calls a token may bunch")
    sim_seed: int = Field(7, description="seed of the simulator's synthetic feed")
    sim_feed: str = Field("synthetic", description="synthetic | replay:PATH | live:URL")
    strategies_dir: Path = Field(Path("strategies"), description="one strategy class per file")
    replay_dir: Path = Field(Path("data/candles"), description="candle files offered for replays")
    # Attach to an already running exchange instead of the built-in simulator (sim mode only).
    sim_rest_url: str | None = None
    sim_ws_url: str | None = None

    @property
    def db_path(self) -> Path:
        return self.data_dir / self.db_file

    @field_validator("pairs", mode="before")
    @classmethod
    def _split_pairs(cls, value: Any) -> Any:
        return _split_csv(value, upper=True)

    @field_validator("kline_intervals", mode="before")
    @classmethod
    def _split_intervals(cls, value: Any) -> Any:
        return _split_csv(value, upper=False)

    @field_validator("pairs")
    @classmethod
    def _check_pairs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [p for p in value if not (p.isalnum() and 5 <= len(p) <= 20)]
        if bad:
            raise ValueError(f"{bad} are not symbols; use names like BTCUSDT,ETHUSDT")
        return value

    @field_validator("kline_intervals")
    @classmethod
    def _check_intervals(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [i for i in value if i not in KLINE_INTERVALS]
        if bad or not value:
            raise ValueError(f"{bad or 'nothing'} given; allowed: {', '.join(KLINE_INTERVALS)}")
        return value

    @field_validator("sim_feed")
    @classmethod
    def _check_feed(cls, value: str) -> str:
        if value == "synthetic" or value.startswith(("replay:", "live:")):
            return value
        raise ValueError("allowed: synthetic, replay:PATH or live:URL")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, SecretsTomlSource(settings_cls, SECRETS_FILE))


def _split_csv(value: Any, *, upper: bool) -> Any:
    if not isinstance(value, str):
        return value
    items = [item.strip() for item in value.split(",") if item.strip()]
    return tuple(item.upper() if upper else item for item in items)


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning a validation failure into one readable `SettingsError`."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = ["Invalid settings:"]
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "settings"
        given = error.get("input")
        reason = error["msg"].removeprefix("Value error, ")
        lines.append(f"  {ENV_PREFIX}{field.upper()}: {reason} (got {given!r})")
    return "\n".join(lines)
