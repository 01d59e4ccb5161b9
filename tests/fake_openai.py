"""A local OpenAI-compatible endpoint for tests: ``POST /v1/chat/completions`` served from a queue.

Why a real HTTP server rather than a mocked client: the mapper is tested through the real ``openai``
SDK, so timeouts, status codes, Retry-After headers and response parsing behave as they will against
a provider. It listens on 127.0.0.1 on a random port (no other network), in a background thread.

Replies come from JSON files under ``tests/fixtures/llm/`` in the shape of real chat-completion
responses (``id``, ``choices[].message``, ``usage`` with cached tokens, ...). A test queues what the
next requests get, in order, and afterwards asserts on ``requests`` (what the SDK sent)::

    with FakeOpenAI() as fake:
        fake.rate_limit(retry_after=1)
        fake.reply("answered_cost_by_region.json")
        ... OpenAI(base_url=fake.base_url, ...) ...
        assert fake.requests[1].body["response_format"]["json_schema"]["strict"] is True

A request that finds the queue empty gets a 500 naming the problem, so a test that makes more calls
than it planned fails visibly.

It also plays a hostile or broken endpoint (issue 15): any envelope (``reply_with`` edits a recorded
one, ``raw`` sends any bytes), a body trickled a byte at a time (``trickle``), a connection closed
without a reply (``drop``), headers that never end (``stall``).
"""

from __future__ import annotations

import contextlib
import copy
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures" / "llm"


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Planned:
    """One queued response: status, JSON (or raw) body, headers, and a delay before answering.

    ``trickle`` sends the first ``trickle_bytes`` bytes of the body (all of it when 0) one at a time,
    ``trickle`` seconds apart, and with ``trickle_head`` the status line and headers too; ``drop``
    closes the connection without answering; ``stall`` sends the status line and then nothing for that
    many seconds (headers that never end)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    trickle: float = 0.0
    trickle_bytes: int = 0
    drop: bool = False
    stall: float = 0.0
    trickle_head: bool = False


@dataclass(frozen=True)
class Received:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any]

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    fake: FakeOpenAI

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that gave up (timeout) closes its socket before a delayed reply; that is expected."""


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave together: no 40 ms delayed-ACK stalls
    wbufsize = -1

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:
        fake = self.server.fake
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            body = {"_raw": raw.decode("utf-8", "replace")}
        fake._record(Received("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        if self.path.rstrip("/") != "/v1/chat/completions":
            planned = _error(404, f"unknown path {self.path}", "invalid_request_error")
        else:
            planned = fake._next()
        if planned.delay and fake._released.wait(planned.delay):
            return  # the server is stopping: do not answer a request nobody waits for
        if planned.drop:
            self.close_connection = True
            return
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            if planned.stall:
                self.wfile.write(b"HTTP/1.1 200 OK\r\n")
                self.wfile.flush()
                fake._released.wait(planned.stall)
                self.close_connection = True
                return
            if planned.trickle_head:
                head = f"HTTP/1.1 {planned.status} OK\r\ncontent-type: application/json\r\n"
                head += f"content-length: {len(planned.body)}\r\n\r\n"
                self._send_slowly(head.encode(), planned.trickle)
                self._send_body(planned)
                return
            self.send_response(planned.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(planned.body)))
            for k, v in planned.headers.items():
                self.send_header(k, v)
            self.end_headers()
            self._send_body(planned)

    def _send_slowly(self, data: bytes, seconds_per_byte: float) -> bool:
        """One byte at a time; False when the server stops meanwhile."""
        for i in range(len(data)):
            self.wfile.write(data[i : i + 1])
            self.wfile.flush()
            if self.server.fake._released.wait(seconds_per_byte):
                return False
        return True

    def _send_body(self, planned: Planned) -> None:
        if not planned.trickle:
            self.wfile.write(planned.body)
            return
        slow = (
            len(planned.body) if not planned.trickle_bytes else min(planned.trickle_bytes, len(planned.body))
        )
        if self._send_slowly(planned.body[:slow], planned.trickle):
            self.wfile.write(planned.body[slow:])


def _error(
    status: int, message: str, kind: str, code: str | None = None, headers: dict[str, str] | None = None
) -> Planned:
    body = {"error": {"message": message, "type": kind, "param": None, "code": code}}
    return Planned(status, json.dumps(body).encode(), headers or {})


class FakeOpenAI:
    """Start with ``with FakeOpenAI() as fake`` (or ``start()``/``stop()``); see the module docstring."""

    def __init__(self) -> None:
        self._queue: deque[Planned] = deque()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self.requests: list[Received] = []
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.fake = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-openai", daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def start(self) -> FakeOpenAI:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what the next requests get -----------------------------------------------------------------

    def reply(
        self,
        fixture: str,
        *,
        content: str | dict[str, Any] | None = None,
        delay: float = 0.0,
        model: str | None = None,
    ) -> None:
        """A recorded chat completion; ``content`` replaces the message content (a dict is dumped)."""
        data = copy.deepcopy(load_fixture(fixture))
        if content is not None:
            data["choices"][0]["message"]["content"] = (
                content if isinstance(content, str) else json.dumps(content)
            )
        if model is not None:
            data["model"] = model
        self._push(
            Planned(200, json.dumps(data).encode(), {"x-request-id": f"req_{len(self._queue)}"}, delay)
        )

    def reply_with(
        self, fixture: str, change: Callable[[dict[str, Any]], object], *, status: int = 200, **planned: Any
    ) -> None:
        """A recorded chat completion that ``change`` edits in place (any envelope a broken or hostile
        endpoint could send: ``choices`` a string, ``usage`` of ``Infinity``, content an object...).
        ``planned`` passes ``Planned`` options (``trickle``, ``delay``). Non-finite floats are written
        as JavaScript's ``Infinity``/``NaN``, as a careless server would."""
        data = copy.deepcopy(load_fixture(fixture))
        change(data)
        self._push(Planned(status, json.dumps(data).encode(), **planned))

    def content(self, content: str | dict[str, Any], **planned: Any) -> None:
        """The recorded happy-path envelope with this reply content (a dict is dumped as JSON)."""
        text = content if isinstance(content, str) else json.dumps(content)

        def put(data: dict[str, Any]) -> None:
            data["choices"][0]["message"]["content"] = text

        self.reply_with("answered_cost_by_region.json", put, **planned)

    def trickle(
        self,
        fixture: str = "answered_cost_by_region.json",
        seconds_per_byte: float = 1.0,
        first: int = 0,
        *,
        headers: bool = False,
    ) -> None:
        """A reply whose first ``first`` body bytes (all when 0) arrive one per ``seconds_per_byte``;
        with ``headers``, the status line and headers too (then ``first`` of the body)."""
        data = load_fixture(fixture)
        body = json.dumps(data).encode()
        self._push(Planned(200, body, trickle=seconds_per_byte, trickle_bytes=first, trickle_head=headers))

    def drop(self) -> None:
        """Close the connection without a reply (the client sees the server disconnect)."""
        self._push(Planned(drop=True))

    def stall(self, seconds: float) -> None:
        """The status line, then silence for ``seconds``: headers that never end."""
        self._push(Planned(stall=seconds))

    def clear(self) -> None:
        """Forget what is still queued (a test that stops early leaves nothing for the next one)."""
        with self._lock:
            self._queue.clear()

    def rate_limit(self, retry_after: float | None = 1.0, *, ms: bool = False) -> None:
        """429 as OpenAI sends it, with ``retry-after`` (seconds) or ``retry-after-ms`` when given."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers = (
                {"retry-after-ms": str(int(retry_after * 1000))}
                if ms
                else {"retry-after": f"{retry_after:g}"}
            )
        data = load_fixture("error_429.json")
        self._push(Planned(429, json.dumps(data).encode(), headers))

    def server_error(self, status: int = 500) -> None:
        data = load_fixture("error_500.json")
        self._push(Planned(status, json.dumps(data).encode()))

    def client_error(self, status: int = 401) -> None:
        data = load_fixture("error_401.json")
        self._push(Planned(status, json.dumps(data).encode()))

    def slow(self, seconds: float, fixture: str = "answered_cost_by_region.json") -> None:
        """A reply that arrives after ``seconds``: longer than the client's timeout, it is never read."""
        self.reply(fixture, delay=seconds)

    def raw(self, status: int, body: bytes, headers: dict[str, str] | None = None, **planned: Any) -> None:
        """Any bytes as the body (truncated JSON, 100,000-deep arrays, HTML from a proxy...)."""
        self._push(Planned(status, body, headers or {}, **planned))

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    # --- internals ------------------------------------------------------------------------------------

    def _push(self, planned: Planned) -> None:
        with self._lock:
            self._queue.append(planned)

    def _next(self) -> Planned:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        return _error(500, "fake OpenAI server: no reply queued for this request", "server_error")

    def _record(self, received: Received) -> None:
        with self._lock:
            self.requests.append(received)


def closed_port_url() -> str:
    """A base URL on 127.0.0.1 where nothing listens (connection refused at once)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


__all__ = ["FIXTURES", "FakeOpenAI", "Planned", "Received", "closed_port_url", "load_fixture"]
