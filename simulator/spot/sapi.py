"""The `/sapi` endpoints clients read at start (wallet, key and account status), answered for a
spot and USD-M paper account that has no margin account: margin lists are empty, margin
account reads are Binance's refusal for an account without margin.

- `GET /sapi/v1/system/status` `{"status": 0, "msg": "normal"}`
- `GET /sapi/v1/account/status`, `account/apiTradingStatus`, `account/apiRestrictions`
  (the key reads, trades spot and USD-M, cannot withdraw, is not IP-restricted)
- `GET /sapi/v1/asset/tradeFee`, `asset/assetDetail`, `capital/config/getall` (the listed
  assets, each on one network)
- `GET /sapi/v1/margin/allPairs`, `margin/isolated/allPairs`: `[]`;
  `GET /sapi/v1/margin/account`, `margin/isolated/account`: -3003, no margin account.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simulator.core.context import Call, Route
from simulator.core.errors import ApiError
from simulator.spot.matching import SpotMatchingEngine
from simulator.spot.request_params import symbol_spec
from simulator.spot.symbols import fmt8

SIGNED, KEYED = "SIGNED", "API_KEY"
WITHDRAW_FEE = {"BTC": "0.0002", "ETH": "0.0012", "USDT": "1", "BNB": "0.0005"}


def no_margin_account(call: Call) -> Any:
    raise ApiError(-3003, "Margin account does not exist.")


def empty_list(call: Call) -> list[Any]:
    return []


class SapiRest:
    def __init__(self, matching: SpotMatchingEngine, created_ms: int) -> None:
        self.matching = matching
        self.symbols = matching.symbols
        self.created_ms = created_ms

    def routes(self) -> list[Route]:
        v1 = "/sapi/v1"
        return [
            Route("GET", f"{v1}/system/status", self.system_status, 1),
            Route("GET", f"{v1}/account/status", self.account_status, 1, SIGNED),
            Route("GET", f"{v1}/account/apiTradingStatus", self.trading_status, 1, SIGNED),
            Route("GET", f"{v1}/account/apiRestrictions", self.restrictions, 1, SIGNED),
            Route("GET", f"{v1}/asset/tradeFee", self.trade_fee, 1, SIGNED),
            Route("GET", f"{v1}/asset/assetDetail", self.asset_detail, 1, SIGNED),
            Route("GET", f"{v1}/capital/config/getall", self.coins, 10, SIGNED),
            Route("GET", f"{v1}/margin/allPairs", empty_list, 1, KEYED),
            Route("GET", f"{v1}/margin/isolated/allPairs", empty_list, 10, SIGNED),
            Route("GET", f"{v1}/margin/account", no_margin_account, 10, SIGNED),
            Route("GET", f"{v1}/margin/isolated/account", no_margin_account, 10, SIGNED),
        ]

    def system_status(self, call: Call) -> dict[str, Any]:
        return {"status": 0, "msg": "normal"}

    def account_status(self, call: Call) -> dict[str, Any]:
        return {"data": "Normal"}

    def trading_status(self, call: Call) -> dict[str, Any]:
        return {
            "data": {
                "isLocked": False,
                "plannedRecoverTime": 0,
                "triggerCondition": {"GCR": 150, "IFER": 150, "UFR": 300},
                "updateTime": 0,
            }
        }

    def restrictions(self, call: Call) -> dict[str, Any]:
        """What the simulator's key may do, as for a key made for a trading desk: read, trade
        spot and USD-M; no withdrawals, margin, options or transfers; restricted to trusted IPs
        (the simulator listens only on loopback)."""
        return {
            "ipRestrict": True,
            "createTime": self.created_ms,
            "enableReading": True,
            "enableSpotAndMarginTrading": True,
            "enableWithdrawals": False,
            "enableInternalTransfer": False,
            "enableMargin": False,
            "enableFutures": True,
            "permitsUniversalTransfer": False,
            "enableVanillaOptions": False,
            "enableFixApiTrade": False,
            "enableFixReadOnly": False,
            "enablePortfolioMarginTrading": False,
        }

    def trade_fee(self, call: Call) -> list[dict[str, Any]]:
        spec = symbol_spec(self.symbols, call.params, required=False)
        specs = [spec] if spec else list(self.symbols.specs.values())
        maker, taker = str(self.matching.maker_fee), str(self.matching.taker_fee)
        return [
            {"symbol": s.symbol, "makerCommission": maker, "takerCommission": taker} for s in specs
        ]

    def asset_detail(self, call: Call) -> dict[str, Any]:
        asset = call.params.text("asset")
        assets = [asset] if asset else self.symbols.assets()
        return {
            a: {
                "minWithdrawAmount": WITHDRAW_FEE.get(a, "1"),
                "depositStatus": True,
                "withdrawFee": float(WITHDRAW_FEE.get(a, "1")),
                "withdrawStatus": True,
                "depositTip": "",
            }
            for a in assets
        }

    def coins(self, call: Call) -> list[dict[str, Any]]:
        balances = self.matching.balances
        rows = []
        for asset in self.symbols.assets():
            fee = WITHDRAW_FEE.get(asset, "1")
            network = {
                "network": asset, "coin": asset, "name": asset, "isDefault": True,
                "depositEnable": True, "withdrawEnable": True, "depositDesc": "",
                "withdrawDesc": "", "specialTips": "", "resetAddressStatus": False,
                "addressRegex": "", "memoRegex": "", "withdrawFee": fee, "withdrawMin": fee,
                "withdrawMax": "9999999999", "withdrawIntegerMultiple": self._step(asset),
                "minConfirm": 1, "unLockConfirm": 0, "sameAddress": False,
                "estimatedArrivalTime": 5, "busy": False, "depositDust": "0",
                "contractAddressUrl": "", "contractAddress": "",
            }  # fmt: skip
            rows.append({
                "coin": asset, "name": asset, "depositAllEnable": True, "withdrawAllEnable": True,
                "free": fmt8(balances.free_of(asset)), "locked": fmt8(balances.locked_of(asset)),
                "freeze": "0", "withdrawing": "0", "ipoing": "0", "ipoable": "0",
                "storage": "0", "isLegalMoney": False, "trading": True,
                "networkList": [network],
            })  # fmt: skip
        return rows

    def _step(self, asset: str) -> str:
        steps = [s.step_size for s in self.symbols.specs.values() if s.base == asset]
        return format(min(steps, default=Decimal("0.00000001")).normalize(), "f")
