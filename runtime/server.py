"""`crq serve`: the Lambda handler on a local HTTP server, as `sam local start-api` runs it.

Each request becomes an API Gateway HTTP API (payload 2.0) event and goes through
``runtime.aws.api.handler``: no second code path. Requests are handled one at a time, as one Lambda
container handles them (its connections are not shared between concurrent requests); the threads only
keep slow clients from blocking the accept loop. The demo page (runtime/web) is served at ``/``
next to the API, its files straight from the folder (docs/demo-page.md).
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from models.api import MAX_BODY_BYTES
from runtime import web
from runtime.aws import api


class LocalContext:
    """The parts of a Lambda context the handler and Powertools read."""

    function_name = "crq-local"
    function_version = "$LATEST"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:local:000000000000:function:crq-local"

    def __init__(self) -> None:
        self.aws_request_id = uuid.uuid4().hex

    @staticmethod
    def get_remaining_time_in_millis() -> int:
        return 29_000


def event_from(method: str, target: str, headers: dict[str, str], body: bytes, client: str) -> dict[str, Any]:
    """A payload 2.0 event for one HTTP request (the shape API Gateway's HTTP API sends)."""
    url = urlsplit(target)
    try:
        text, encoded = body.decode(), False
    except UnicodeDecodeError:
        text, encoded = base64.b64encode(body).decode(), True
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": url.path,
        "rawQueryString": url.query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "queryStringParameters": dict(parse_qsl(url.query)) or None,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "localhost",
            "domainPrefix": "localhost",
            "http": {
                "method": method,
                "path": url.path,
                "protocol": "HTTP/1.1",
                "sourceIp": client,
                "userAgent": headers.get("User-Agent", ""),
            },
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "body": text or None,
        "isBase64Encoded": encoded,
    }


class _Handler(BaseHTTPRequestHandler):
    server_version = "crq"
    protocol_version = "HTTP/1.1"  # keep-alive: a client's requests reuse one connection
    lock = threading.Lock()

    def _serve(self) -> None:
        if self.command in ("GET", "HEAD") and self._page():
            return
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, MAX_BODY_BYTES + 1)) if length > 0 else b""
        if length > MAX_BODY_BYTES:
            self.close_connection = True  # the rest of an oversized body is not read
        event = event_from(self.command, self.path, dict(self.headers), body, self.client_address[0])
        with self.lock:
            result = api.handler(event, LocalContext())
        payload = result.get("body") or ""
        data = base64.b64decode(payload) if result.get("isBase64Encoded") else payload.encode()
        self.send_response(int(result.get("statusCode", 200)))
        for name, value in (result.get("headers") or {}).items():
            self.send_header(name, str(value))
        for name, values in (result.get("multiValueHeaders") or {}).items():
            for value in values:
                self.send_header(name, str(value))
        for cookie in result.get("cookies") or ():
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _page(self) -> bool:
        """The demo page's files at / (runtime/web, with its CSP); any other path is the API's."""
        file = web.find(self.path)
        if file is None:
            return False
        data = file.read_bytes()
        self.send_response(200)
        for name, value in web.headers(file).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(data)
        return True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _serve

    def log_message(self, format: str, *args: Any) -> None:  # the handler logs each request as JSON
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 resets connections when many clients arrive at once


def make_server(host: str = "127.0.0.1", port: int = 8080) -> ThreadingHTTPServer:
    return _Server((host, port), _Handler)
