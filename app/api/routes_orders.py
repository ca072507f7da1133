"""Orders: place (idempotent with your own client order id), cancel, cancel all, query, list
the open ones, and the fills since a time."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from app.api import reads
from app.api.acting import refuse, run
from app.api.auth import Caller, caller
from app.api.errors import ERRORS, ApiError, field_problems, invalid
from app.api.schemas import (
    CommandReply,
    FillOut,
    OcoRequest,
    Order,
    OrderReply,
    OrderRequest,
    order_of,
)
from engine.commands import CLIENT_ORDER_ID, CancelAllOrders, CancelOrder, PlaceOrder
from engine.models import MarketType
from engine.orders.commands import PlaceOco

router = APIRouter(responses=ERRORS)
Authed = Annotated[Caller, Depends(caller)]
ROW_WAIT_S = 1.0
ClientId = Annotated[str, Path(pattern=CLIENT_ORDER_ID)]


@router.post(
    "/orders", response_model=OrderReply, status_code=201, summary="Place an order",
    responses={200: {"model": OrderReply, "description": "a repeated client_order_id: the "
                     "first order, nothing sent"}},
)  # fmt: skip
async def place(who: Authed, body: OrderRequest) -> JSONResponse:  # type: ignore[valid-type]
    """Place one order through every check a person's order meets (symbol rules, balance or
    margin, risk limits, the kill switch). Give `client_order_id` to make it idempotent: the
    same id again answers with the first order and sends nothing."""
    try:
        command = PlaceOrder(actor=who.principal.username, **body.model_dump(exclude_unset=True))  # type: ignore[attr-defined]
    except ValidationError as exc:
        return invalid(field_problems(list(exc.errors())))
    reply = await run(who, command)
    if not reply.ok:
        raise refuse(reply)
    duplicate = bool(reply.data.get("duplicate"))
    client_id = str(reply.data.get("client_order_id") or command.client_order_id)
    # The engine's answer, at once; its row follows within moments (GET waits for it).
    answer_order = order_of(command, reply)
    if duplicate and (stored := await asyncio.to_thread(reads.order, client_id)) is not None:
        answer_order = stored.model_copy(update={"status": answer_order.status})  # the newer
    answer = OrderReply(ok=True, code=reply.code, message=reply.message, duplicate=duplicate,
                        order=answer_order)  # fmt: skip
    return JSONResponse(answer.model_dump(mode="json"), status_code=200 if duplicate else 201)


@router.post("/orders/oco", response_model=CommandReply, status_code=201, summary="Place an OCO")
async def place_oco(who: Authed, body: OcoRequest) -> CommandReply | JSONResponse:  # type: ignore[valid-type]
    """A spot OCO: a take-profit limit and a stop-loss as one list (when one leg executes the
    exchange expires the other). `data` names the list and both legs' client order ids."""
    try:
        command = PlaceOco(actor=who.principal.username, **body.model_dump(exclude_unset=True))  # type: ignore[attr-defined]
    except ValidationError as exc:
        return invalid(field_problems(list(exc.errors())))
    return _answer(await run(who, command))


@router.get("/orders", response_model=list[Order], summary="Open orders")
async def open_orders(
    who: Authed, market: MarketType | None = None,
    symbol: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{5,20}$")] = None,
) -> list[Order]:  # fmt: skip
    """Orders still open (or whose outcome the desk is still finding out), newest first."""
    return await asyncio.to_thread(reads.open_orders, market, symbol)


@router.get("/orders/{client_order_id}", response_model=Order, summary="One order")
async def one_order(who: Authed, client_order_id: ClientId) -> Order:
    found = await _stored(client_order_id)
    if found is None:
        raise ApiError(404, "order.unknown", f"The desk has no order {client_order_id}.")
    return found


@router.delete("/orders/{client_order_id}", response_model=CommandReply, summary="Cancel")
async def cancel(who: Authed, client_order_id: ClientId) -> CommandReply:
    found = await _stored(client_order_id)
    if found is None:
        raise ApiError(404, "order.unknown", f"The desk has no order {client_order_id}.")
    command = CancelOrder(actor=who.principal.username, market=found.market,
                          symbol=found.symbol, client_order_id=client_order_id)  # fmt: skip
    return _answer(await run(who, command))


@router.delete("/orders", response_model=CommandReply, summary="Cancel all of a symbol")
async def cancel_all(
    who: Authed, market: MarketType,
    symbol: Annotated[str, Query(pattern=r"^[A-Z0-9]{5,20}$")],
) -> CommandReply:  # fmt: skip
    """Cancel every open order of `symbol` (stop and take-profit orders too), checked at the
    exchange afterwards."""
    command = CancelAllOrders(actor=who.principal.username, market=market, symbol=symbol)
    return _answer(await run(who, command))


@router.get("/fills", response_model=list[FillOut], summary="Fills since a time")
async def fills(
    who: Authed,
    since: Annotated[int, Query(ge=0, description="ms since the epoch")] = 0,
    symbol: Annotated[str | None, Query(pattern=r"^[A-Z0-9]{5,20}$")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 500,
) -> list[FillOut]:
    """Fills from `since` on, oldest first (page with the last one's time)."""
    return await asyncio.to_thread(reads.fills, since, symbol, limit)


async def _stored(client_id: str) -> Order | None:
    """The order's row, waiting up to ROW_WAIT_S for one just placed (the engine writes its
    rows in batches, moments after it answers)."""
    deadline = time.monotonic() + ROW_WAIT_S
    while True:
        found = await asyncio.to_thread(reads.order, client_id)
        if found is not None or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.005)


def _answer(reply) -> CommandReply:  # type: ignore[no-untyped-def]
    if not reply.ok:
        raise refuse(reply)
    return CommandReply(ok=True, code=reply.code, message=reply.message, data=reply.data)
