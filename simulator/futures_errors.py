"""Binance USD-M refusals as an exception carrying Binance's code and message."""

from __future__ import annotations


class FuturesError(Exception):
    """A request the exchange refuses; rendered as `{"code": code, "msg": msg}`."""

    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status

    def to_wire(self) -> dict:
        return {"code": self.code, "msg": self.msg}


def margin_insufficient() -> FuturesError:
    return FuturesError(-2019, "Margin is insufficient.")


def reduce_only_rejected() -> FuturesError:
    return FuturesError(-2022, "ReduceOnly Order is rejected.")


def max_position_at_leverage() -> FuturesError:
    return FuturesError(-2027, "Exceeded the maximum allowable position at current leverage.")


def invalid_leverage(leverage: object) -> FuturesError:
    return FuturesError(-4028, f"Leverage {leverage} is not valid")


def bad_symbol() -> FuturesError:
    return FuturesError(-1121, "Invalid symbol.")


def mandatory_param(name: str) -> FuturesError:
    return FuturesError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def invalid_param(name: str) -> FuturesError:
    return FuturesError(-1130, f"Data sent for parameter '{name}' is not valid.")


def unknown_order() -> FuturesError:
    return FuturesError(-2011, "Unknown order sent.")


def no_such_order() -> FuturesError:
    return FuturesError(-2013, "Order does not exist.")


def stop_order_switch_algo() -> FuturesError:
    return FuturesError(
        -4120,
        "Order type not supported for this endpoint. Please use the Algo Order API "
        "endpoints instead.",
    )


def invalid_listen_key() -> FuturesError:
    return FuturesError(
        -1125,
        "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate "
        "`listenKey`",
    )
