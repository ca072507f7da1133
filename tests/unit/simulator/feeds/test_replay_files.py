"""Reading replay files: layouts, time units, compression, and clear errors for bad input."""

from __future__ import annotations

import gzip
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest

from simulator.feeds.base import FeedSymbol
from simulator.feeds.factory import make_feed
from simulator.feeds.replay_files import ReplayFileError, read_funding_file, read_kline_file
from simulator.feeds.spec import parse_duration_ms

T0 = 1_735_689_600_000  # 2025-01-01 00:00 UTC
HEADER = "open_time,open,high,low,close,volume"


def simple_rows(n: int = 5, step_ms: int = 60_000) -> list[str]:
    return [f"{T0 + i * step_ms},100.5,101,99.5,100,{i + 1}.25" for i in range(n)]


def binance_row(t: int, o: str = "100", trades: int = 7) -> str:
    return f"{t},{o},101,99,100,2.5,{t + 59_999},250,{trades},1.5,150,0"


def write(path: Path, text: str) -> Path:
    if path.suffix == ".gz":
        with gzip.open(path, "wt") as f:
            f.write(text)
    elif path.suffix == ".zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr(path.stem + ".csv", text)
    else:
        path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["BTCUSDT_1m.csv", "BTCUSDT_1m.csv.gz", "BTCUSDT-1m.zip"])
def test_plain_gzipped_and_zipped_files_read_alike(tmp_path: Path, name: str) -> None:
    bars = read_kline_file(write(tmp_path / name, HEADER + "\n" + "\n".join(simple_rows()) + "\n"))
    assert bars.interval_ms == 60_000 and len(bars) == 5
    assert bars.open[0] == Decimal("100.5") and bars.volume[4] == Decimal("5.25")
    assert bars.trades is None and bars.buy_volume is None


def test_binance_layout_in_microseconds_is_read_in_milliseconds(tmp_path: Path) -> None:
    micro = "\n".join(binance_row((T0 + i * 300_000) * 1000) for i in range(4))
    milli = "\n".join(binance_row(T0 + i * 300_000) for i in range(4))
    a = read_kline_file(write(tmp_path / "a.csv", micro))
    b = read_kline_file(write(tmp_path / "b.csv", milli))
    assert a.open_time.tolist() == b.open_time.tolist() == [T0 + i * 300_000 for i in range(4)]
    assert a.interval_ms == 300_000
    assert a.trades.tolist() == [7, 7, 7, 7] and a.buy_volume[0] == Decimal("1.5")


@pytest.mark.parametrize(
    "text,line,problem",
    [
        (HEADER + f"\n{T0},100,101,99,100,1\n{T0 + 60_000},100,abc,99,100,1\n", 3, "high is not"),
        (HEADER + f"\n{T0},100,101,99,100,1\n{T0 + 60_000},100,99,98,100,1\n", 3, "do not contain"),
        (HEADER + f"\n{T0},100,101,99,100,1\n{T0},100,101,99,100,1\n", 3, "is not after"),
        (HEADER + f"\n{T0},100,101,99,100,1\n{T0 + 60_000},100,101\n", 3, "expected 6 columns"),
        (HEADER + f"\n{T0},100,101,99,100,-1\n", 2, "volume must be"),
        (HEADER + f"\n{T0},100,101,0,100,1\n", 2, "low must be positive"),
        (HEADER + f"\n{T0}.5,100,101,99,100,1\n", 2, "open time is not an integer"),
        (HEADER + "\n1700000000,100,101,99,100,1\n", 2, "neither in ms nor in µs"),
        (f"{binance_row(T0)}\n{binance_row((T0 + 60_000) * 1000)}\n", 2, "in µs after rows in ms"),
        (f"{binance_row(T0)}\n{binance_row(T0 + 60_000, trades=-1)}\n", 2, "trades is not"),
        ("time,open,high,low,close\n", 1, "no 'volume' column"),
        ("when,open,high,low,close,volume\n", 1, "no open time column"),
        (f"{T0},1,2,1\n", 1, "at least 6"),
        (
            HEADER + "\n" + "\n".join([*simple_rows(3), f"{T0 + 270_000},1,1,1,1,1"]),
            5,
            "grid",
        ),
    ],
)
def test_a_malformed_file_names_the_file_the_line_and_the_problem(
    tmp_path: Path, text: str, line: int, problem: str
) -> None:
    path = write(tmp_path / "BTCUSDT_bad.csv", text)
    with pytest.raises(ReplayFileError) as caught:
        read_kline_file(path)
    message = str(caught.value)
    assert message.startswith(f"{path}, line {line}: "), message
    assert problem in message


@pytest.mark.parametrize(
    "text,problem",
    [
        (HEADER + "\n" + "\n".join(simple_rows(5, 1000)), "replay needs 1 minute or longer"),
        (HEADER + "\n" + simple_rows(1)[0], "needs at least 2 bars"),
    ],
)
def test_a_file_that_cannot_replay_says_why(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(ReplayFileError, match=problem):
        read_kline_file(write(tmp_path / "BTCUSDT.csv", text))


def test_a_broken_archive_is_reported_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "BTCUSDT.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(ReplayFileError, match=r"BTCUSDT\.zip: cannot read"):
        read_kline_file(path)


def test_bad_replay_specs_get_clear_errors(tmp_path: Path) -> None:
    symbols = [FeedSymbol("BTCUSDT", Decimal("0.01"), Decimal("0.01"), Decimal(1), Decimal(1))]
    path = write(tmp_path / "ETHUSDT_1m.csv", HEADER + "\n" + "\n".join(simple_rows()) + "\n")
    with pytest.raises(ValueError, match="names none of the symbols"):
        make_feed(f"replay:{path}", symbols, 1, T0)
    with pytest.raises(ValueError, match="does not exist"):
        make_feed(f"replay:{tmp_path / 'missing.csv'}", symbols, 1, T0)
    good = write(tmp_path / "BTCUSDT_1m.csv", HEADER + "\n" + "\n".join(simple_rows()) + "\n")
    with pytest.raises(ValueError, match="unknown replay option 'speed'"):
        make_feed(f"replay:{good}?speed=2", symbols, 1, T0)
    with pytest.raises(ValueError, match="shorter than the file"):
        make_feed(f"replay:{good}?history=1d", symbols, 1, T0)
    with pytest.raises(ValueError, match="bad duration"):
        parse_duration_ms("7 days")
    assert parse_duration_ms("90s") == 90_000 and parse_duration_ms("2d") == 172_800_000


def test_funding_files_read_ours_and_binances_layout(tmp_path: Path) -> None:
    ours = write(tmp_path / "a.csv", f"funding_time_ms,funding_rate\n{T0},0.0001\n{T0 + 1},-3e-5\n")
    binance = write(tmp_path / "b.csv", f"calc_time,funding_interval_hours,last_funding_rate\n"
                    f"{T0},8,0.0001\n{T0 + 1},8,-0.00003\n")  # fmt: skip
    a, b = read_funding_file(ours), read_funding_file(binance)
    assert a.time_ms.tolist() == b.time_ms.tolist() == [T0, T0 + 1]
    assert a.rate == b.rate == [Decimal("0.0001"), Decimal("-0.00003")]


@pytest.mark.parametrize(
    "text,problem",
    [
        ("time,rate\n1,2\n", "line 1: header has none of"),
        (f"funding_time_ms,funding_rate\n{T0},high\n", "line 2: funding rate is not a number"),
        (f"funding_time_ms,funding_rate\n{T0},0\n{T0},0\n", "line 3: funding time"),
        ("funding_time_ms,funding_rate\n", "no funding events"),
    ],
)
def test_a_malformed_funding_file_says_where(tmp_path: Path, text: str, problem: str) -> None:
    path = write(tmp_path / "BTCUSDT_funding.csv", text)
    with pytest.raises(ReplayFileError, match=problem):
        read_funding_file(path)
