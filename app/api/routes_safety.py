"""What an automated client checks before it trades: the kill switch and the desk's health."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends

from app.api import reads
from app.api.acting import refuse, run
from app.api.auth import Caller, caller
from app.api.errors import ERRORS
from app.api.schemas import CommandReply, KillSwitchState, KillSwitchTrip
from engine.commands import GetStatus, TripKillSwitch

router = APIRouter(responses=ERRORS)
Authed = Annotated[Caller, Depends(caller)]


@router.get("/kill-switch", response_model=KillSwitchState, summary="The kill switch")
async def kill_switch(who: Authed) -> KillSwitchState:
    """On or off; when on: who or which limit tripped it, why, its action, and what the
    exchange still held at the last check."""
    switch = await asyncio.to_thread(reads.kill_switch_state)
    return KillSwitchState(
        on=switch.on, reason=switch.reason or None, tripped_by=switch.tripped_by,
        tripped_at=switch.tripped_at, action=switch.action.value if switch.action else None,
        outstanding=list(switch.outstanding), checked_at=switch.checked_at,
    )  # fmt: skip


@router.post("/kill-switch/trip", response_model=CommandReply, summary="Pull the kill switch")
async def trip(who: Authed, body: KillSwitchTrip) -> CommandReply:
    """Stop all trading now (a trader); its action runs at the exchange. Only a person resets
    it, on the desk, with their password."""
    reply = await run(who, TripKillSwitch(actor=who.principal.username, reason=body.reason))
    if not reply.ok:
        raise refuse(reply)
    return CommandReply(ok=True, code=reply.code, message=reply.message, data=reply.data)


@router.get("/health", summary="The engine's health")
async def health(who: Authed) -> dict[str, Any]:
    """The engine's state, uptime, loop lag, queue, streams, REST latency and weight, circuit
    breakers and clock offset: what the Status page shows."""
    reply = await run(who, GetStatus(actor=who.principal.username))
    if not reply.ok:
        raise refuse(reply)
    return reply.data
