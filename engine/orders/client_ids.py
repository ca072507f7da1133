"""A caller's own client order ids: the same id twice places one order.

An automated client that times out does not know whether its order went out, and sends it
again. With its own `client_order_id` the second send is answered with the first order and
nothing goes to the exchange. The check runs on the engine's loop before the first await, so
two sends of one id cannot both pass; an id counts once its order is written ahead (sent or
about to be). An order refused by the desk before sending never used its id: it may be sent
again. Ids seen since the start are in memory; older ones are in the orders table.
"""

from __future__ import annotations

from collections import OrderedDict

from engine.commands import PlaceOrder, Reply
from engine.store.database import Store

REMEMBERED = 50_000
DUPLICATE = "desk.duplicate_client_id"


class ClientIds:
    def __init__(self) -> None:
        self._used: OrderedDict[str, str] = OrderedDict()  # id -> its status as last known
        self.reserved: set[str] = set()  # being checked or sent now

    def repeat(self, command: PlaceOrder, store: Store) -> Reply | None:
        """The answer to a repeated id (the first order's state), else None and the id is
        reserved until `release` or `used`."""
        client_id = command.client_order_id
        assert client_id is not None
        if client_id in self.reserved or client_id in self._used:
            stored = _status(store, client_id)  # the row may lag the answer by a few ms
            known = self._used.get(client_id, "PENDING_NEW")
            fresher = stored is None or (stored == "PENDING_NEW" and known != "PENDING")
            return _duplicate(command, client_id, known if fresher else stored)
        status = _status(store, client_id)
        if status is not None:
            return _duplicate(command, client_id, status)
        self.reserved.add(client_id)
        return None

    def used(self, client_id: str, status: str = "PENDING") -> None:
        """`client_id`'s order is written ahead (or was answered with `status`)."""
        self._used[client_id] = status
        while len(self._used) > REMEMBERED:
            self._used.popitem(last=False)

    def release(self, client_id: str) -> None:
        self.reserved.discard(client_id)


def _status(store: Store, client_id: str) -> str | None:
    with store.reader() as cur:
        row = cur.execute(
            "SELECT status FROM orders WHERE client_order_id = ?", [client_id]
        ).fetchone()
    return None if row is None else str(row[0])


def _duplicate(command: PlaceOrder, client_id: str, status: str) -> Reply:
    return Reply(
        command_id=command.command_id, ok=True, code=DUPLICATE,
        message=f"Order {client_id} was placed before (now {status}); it was not sent again.",
        data={"client_order_id": client_id, "status": status, "duplicate": True, "sent": False},
    )  # fmt: skip
