"""Binance-style API errors: `{"code": <int>, "msg": "<text>"}` with an HTTP status."""

from __future__ import annotations


class ApiError(Exception):
    """A refusal the server turns into Binance's JSON error body."""

    def __init__(
        self, code: int, msg: str, status: int = 400, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.headers = headers or {}

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


DECIMAL_RANGE = r"^([0-9]{1,20})(\.[0-9]{1,20})?$"
INTEGER_RANGE = r"^[0-9]{1,20}$"


def mandatory(name: str) -> ApiError:
    return ApiError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def either_mandatory(first: str, second: str) -> ApiError:
    return ApiError(-1102, f"Param '{first}' or '{second}' must be sent, but both were empty/null!")


def illegal_chars(name: str, legal: str) -> ApiError:
    return ApiError(
        -1100, f"Illegal characters found in parameter '{name}'; legal range is '{legal}'."
    )


def not_required(name: str) -> ApiError:
    return ApiError(-1106, f"Parameter '{name}' sent when not required.")


def invalid_value(name: str) -> ApiError:
    return ApiError(-1130, f"Data sent for parameter '{name}' is not valid.")


def too_much_precision(name: str) -> ApiError:
    return ApiError(-1111, f"Parameter '{name}' has too much precision.")


def duplicate_param() -> ApiError:
    return ApiError(-1101, "Duplicate values for a parameter detected.")


def invalid_symbol() -> ApiError:
    return ApiError(-1121, "Invalid symbol.")


def filter_failure(name: str) -> ApiError:
    return ApiError(-1013, f"Filter failure: {name}")


def rejected(msg: str) -> ApiError:
    return ApiError(-2010, msg)


INSUFFICIENT_BALANCE = "Account has insufficient balance for requested action."
WOULD_TRIGGER = "Order would trigger immediately."
WOULD_TAKE = "Order would immediately match and take."
DUPLICATE_ORDER = "Duplicate order sent."


def no_such_order() -> ApiError:
    return ApiError(-2013, "Order does not exist.")


def unknown_order_cancel() -> ApiError:
    return ApiError(-2011, "Unknown order sent.")


def internal_error() -> ApiError:
    return ApiError(-1000, "An unknown error occurred while processing the request.", status=500)


# ---- USD-M futures ----------------------------------------------------------------------------
def margin_insufficient() -> ApiError:
    return ApiError(-2019, "Margin is insufficient.")


def reduce_only_rejected() -> ApiError:
    return ApiError(-2022, "ReduceOnly Order is rejected.")


def max_position_at_leverage() -> ApiError:
    return ApiError(-2027, "Exceeded the maximum allowable position at current leverage.")


def invalid_leverage(leverage: object) -> ApiError:
    return ApiError(-4028, f"Leverage {leverage} is not valid")


def stop_order_switch_algo() -> ApiError:
    return ApiError(
        -4120,
        "Order type not supported for this endpoint. Please use the Algo Order API "
        "endpoints instead.",
    )


def invalid_listen_key() -> ApiError:
    return ApiError(
        -1125,
        "This listenKey does not exist. Please use `POST /fapi/v1/listenKey` to recreate "
        "`listenKey`",
    )
