"""Local notification receivers for the alert tests: an HTTP webhook and an SMTP server."""

from __future__ import annotations

import email
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Webhook:
    """Collects apprise's json:// posts; `delay_s` or `status` make it slow or failing."""

    received: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    delay_s: float = 0.0
    url: str = ""
    _release: threading.Event = field(default_factory=threading.Event)

    def titles(self) -> list[str]:
        return [m.get("title", "") for m in self.received]


@contextmanager
def webhook() -> Iterator[Webhook]:
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if hook.delay_s:
                hook._release.wait(hook.delay_s)
            if hook.status == 200:
                hook.received.append(json.loads(body))
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="webhook", daemon=True)
    thread.start()
    hook.url = f"json://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield hook
    finally:
        hook._release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Mailbox:
    messages: list[Message] = field(default_factory=list)
    url: str = ""

    def subjects(self) -> list[str]:
        return [str(m["Subject"]) for m in self.messages]

    def body(self, index: int) -> str:
        message = self.messages[index]
        part = message.get_payload(0) if message.is_multipart() else message
        return part.get_payload(decode=True).decode()


class _Collect:
    def __init__(self, box: Mailbox) -> None:
        self.box = box

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.box.messages.append(email.message_from_bytes(envelope.original_content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(_Collect(box), hostname="127.0.0.1", port=port)
    controller.start()
    box.url = (
        f"mailto://127.0.0.1:{port}?from=desk@example.com&to=ops@example.com&mode=insecure&cto=2"
    )
    try:
        yield box
    finally:
        controller.stop()
