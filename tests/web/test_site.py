"""The demo page's files outside the browser: `crq serve` serves them at / with their content types and
CSP and nothing else from the folder; `make site` (python -m runtime.web.site) builds them for S3;
CRQ_CORS_ORIGINS lets a page on another origin call the API, and no other."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import web
from runtime.aws import api
from runtime.web import site

ROOT = Path(__file__).resolve().parents[2]
PAGE = ["app.js", "chart.js", "config.js", "favicon.svg", "format.js", "index.html", "style.css"]
API = "https://abc123.execute-api.eu-west-1.amazonaws.com"
CSP_WITHOUT_FRAMES = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
                      "connect-src 'self'{api}; base-uri 'none'; form-action 'none'")


def test_the_page_is_these_files() -> None:
    assert [p.name for p in web.page_files()] == PAGE


def test_the_scripts_never_parse_text_as_html_or_code() -> None:
    """Values reach the page only as text; the CSP forbids the rest too, this keeps it from being tried."""
    for script in web.ROOT.glob("*.js"):
        text = script.read_text()
        for risky in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(",
                      "setAttribute(\"style\"", ".style."):
            assert risky not in text, (script.name, risky)


# --- make site -----------------------------------------------------------------------------------------


def test_the_site_gets_the_api_url_in_config_js_and_the_csp_in_index_html(tmp_path: Path) -> None:
    written = site.build(tmp_path / "site", API + "/")
    assert sorted(p.name for p in written) == PAGE == sorted(p.name for p in (tmp_path / "site").iterdir())
    config = (tmp_path / "site" / "config.js").read_text()
    source = (web.ROOT / "config.js").read_text()
    assert config == source.replace('  apiBaseUrl: "",', f'  apiBaseUrl: "{API}",')
    index = (tmp_path / "site" / "index.html").read_text()
    csp = CSP_WITHOUT_FRAMES.format(api=f" {API}")
    meta = f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
    assert index == (web.ROOT / "index.html").read_text().replace(
        '<meta charset="utf-8">', f'<meta charset="utf-8">\n  {meta}')
    for name in set(PAGE) - {"config.js", "index.html"}:
        assert (tmp_path / "site" / name).read_bytes() == (web.ROOT / name).read_bytes(), name


def test_a_rest_apis_stage_stays_in_the_base_url_but_not_in_the_csp(tmp_path: Path) -> None:
    site.build(tmp_path, f"{API}/prod/")
    assert f'apiBaseUrl: "{API}/prod",' in (tmp_path / "config.js").read_text()
    assert f"connect-src 'self' {API};" in (tmp_path / "index.html").read_text()


@pytest.mark.parametrize(("url", "why"), [
    ("abc123.execute-api.eu-west-1.amazonaws.com", "must be the API's absolute URL"),
    ("ftp://example.com", "must be the API's absolute URL"),
    ("http://api.example.com", "must use https (http only on 127.0.0.1 or localhost)"),
    ("https://api.example.com/?stage=prod", "takes no user, query or fragment"),
    ("https://user:pw@api.example.com", "takes no user, query or fragment"),
    ("https://api.example.com:99999", "has an invalid port"),
    ('https://api.example.com/"><script>', "has characters a host name or an API path does not"),
    ("https://api.example.com'; script-src *", "has characters a host name or an API path does not"),
])
def test_a_base_url_that_is_not_an_api_origin_is_refused(tmp_path: Path, url: str, why: str) -> None:
    with pytest.raises(site.SiteError) as caught:
        site.build(tmp_path / "site", url)
    assert why in str(caught.value)
    assert not (tmp_path / "site").exists()


def test_an_earlier_site_is_replaced_and_any_other_folder_left_alone(tmp_path: Path) -> None:
    site.build(tmp_path, "http://127.0.0.1:8080")
    (tmp_path / "stale.js").write_text("old")
    site.build(tmp_path, API)
    assert sorted(p.name for p in tmp_path.iterdir()) == PAGE
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(site.SiteError, match="is not empty and holds no earlier site"):
        site.build(other, API)
    assert [p.name for p in other.iterdir()] == ["keep.txt"]


def _site(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k != "CRQ_API_BASE_URL"}
    return subprocess.run([sys.executable, "-m", "runtime.web.site", *args], capture_output=True, text=True,
                          env=clean | env, cwd=ROOT, timeout=60)


def test_make_sites_command_reads_crq_api_base_url_and_says_what_is_missing(tmp_path: Path) -> None:
    done = _site("--out", str(tmp_path / "site"), env={"CRQ_API_BASE_URL": API})
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"7 files in {tmp_path / 'site'} for the API at {API}; upload with: aws s3 sync " \
                          f"{tmp_path / 'site'} s3://BUCKET/\n"
    missing = _site("--out", str(tmp_path / "other"), env={})
    assert missing.returncode == 2 and not (tmp_path / "other").exists()
    assert missing.stderr == ("make site: set CRQ_API_BASE_URL to the API's URL, e.g. "
                              "CRQ_API_BASE_URL=https://abc123.execute-api.eu-west-1.amazonaws.com make site\n")
    bad = _site("--out", str(tmp_path / "other"), env={"CRQ_API_BASE_URL": "http://api.example.com"})
    assert bad.returncode == 2
    assert bad.stderr.startswith("make site: CRQ_API_BASE_URL must use https")


# --- crq serve: the page at / ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    from runtime.server import make_server

    s = make_server("127.0.0.1", 0)
    threading.Thread(target=s.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{s.server_address[1]}"
    s.shutdown()
    s.server_close()


def _get(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method=method), timeout=10) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()


@pytest.mark.parametrize(("path", "name", "content_type"), [
    ("/", "index.html", "text/html; charset=utf-8"),
    ("/index.html", "index.html", "text/html; charset=utf-8"),
    ("/app.js?v=2", "app.js", "text/javascript; charset=utf-8"),
    ("/format.js", "format.js", "text/javascript; charset=utf-8"),
    ("/style.css", "style.css", "text/css; charset=utf-8"),
    ("/config.js", "config.js", "text/javascript; charset=utf-8"),
    ("/favicon.svg", "favicon.svg", "image/svg+xml"),
])
def test_crq_serve_serves_the_page_with_its_type_and_csp(server: str, path: str, name: str, content_type: str) -> None:
    status, headers, body = _get(server + path)
    assert status == 200 and body == (web.ROOT / name).read_bytes()
    assert headers["Content-Type"] == content_type
    assert headers["Content-Security-Policy"] == CSP_WITHOUT_FRAMES.format(api="") + "; frame-ancestors 'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Length"] == str(len(body))
    head_status, head_headers, head_body = _get(server + path, "HEAD")
    assert (head_status, head_headers["Content-Length"], head_body) == (200, str(len(body)), b"")


@pytest.mark.parametrize("path", [
    "/__init__.py", "/site.py", "/../pyproject.toml", "/%2e%2e/pyproject.toml", "/..%2fpyproject.toml",
    "/web/app.js", "/.hidden", "/app.js%00.html", "/__pycache__/", "/missing.js",
])
def test_nothing_else_in_or_outside_the_folder_is_served(server: str, path: str) -> None:
    status, headers, body = _get(server + path)
    assert status == 404 and headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "not_found"


def test_the_api_paths_are_still_the_apis(server: str) -> None:
    status, headers, body = _get(server + "/v1/chat")
    assert status == 405 and headers["Allow"] == "POST"
    assert json.loads(body)["error"]["code"] == "method_not_allowed"
    status, _, body = _get(server + "/", "POST")
    assert status == 404 and json.loads(body)["error"]["message"] == "no route /; the API lives under /v1"


# --- CORS -----------------------------------------------------------------------------------------------

PAGE_ORIGIN = "https://d111.cloudfront.net"


def test_cors_origins_come_from_crq_cors_origins_and_default_to_none() -> None:
    assert api.cors_config({}) is None
    assert api.cors_config({"CRQ_CORS_ORIGINS": " , "}) is None
    cors = api.cors_config({"CRQ_CORS_ORIGINS": f"{PAGE_ORIGIN}/, http://127.0.0.1:8000"})
    assert cors is not None
    assert cors.allowed_origin(PAGE_ORIGIN) == PAGE_ORIGIN
    assert cors.allowed_origin("http://127.0.0.1:8000") == "http://127.0.0.1:8000"
    assert cors.allowed_origin("https://evil.example") is None


def _event(method: str, path: str, origin: str) -> dict[str, Any]:
    return {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
            "headers": {"origin": origin, "access-control-request-method": "POST",
                        "access-control-request-headers": "content-type"},
            "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                        "sourceIp": "127.0.0.1", "userAgent": "test"},
                               "requestId": "r", "routeKey": "$default", "stage": "$default",
                               "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
                               "accountId": "1", "apiId": "abc123", "timeEpoch": 0, "time": ""},
            "body": None, "isBase64Encoded": False}


RUN_HANDLER = """
import json, sys
from runtime.aws import api
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "crq", 1024, "req"
    invoked_function_arn = "arn:aws:lambda:eu-west-1:1:function:crq"
for event in json.loads(sys.stdin.read()):
    r = api.handler(event, Context())
    print(json.dumps({"status": r["statusCode"], "headers": r.get("headers") or {}}))
"""


def _handled(events: list[dict[str, Any]], origins: str | None) -> list[dict[str, Any]]:
    """The handler's answers in a fresh interpreter, where CRQ_CORS_ORIGINS is read as in Lambda."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRQ_")} | {"CRQ_DATABASE_URL": "postgresql://x@127.0.0.1:9/x"}
    if origins is not None:
        env["CRQ_CORS_ORIGINS"] = origins
    done = subprocess.run([sys.executable, "-c", RUN_HANDLER], input=json.dumps(events), capture_output=True,
                          text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"status"')]


def test_a_page_on_an_allowed_origin_gets_cors_headers_and_no_other_origin_does() -> None:
    events = [_event("OPTIONS", "/v1/chat", PAGE_ORIGIN), _event("GET", "/v2/nothing", PAGE_ORIGIN),
              _event("OPTIONS", "/v1/chat", "https://evil.example"), _event("GET", "/v2/nothing", "https://evil.example")]
    preflight, error, foreign_preflight, foreign_error = _handled(events, f"{PAGE_ORIGIN},http://127.0.0.1:8000")
    assert preflight["status"] == 204
    assert preflight["headers"]["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    assert set(preflight["headers"]["Access-Control-Allow-Methods"].split(",")) >= {"GET", "POST", "OPTIONS"}
    assert "Content-Type" in preflight["headers"]["Access-Control-Allow-Headers"].split(",")
    assert preflight["headers"]["Access-Control-Max-Age"] == "600"
    assert error["status"] == 404 and error["headers"]["Access-Control-Allow-Origin"] == PAGE_ORIGIN
    for answer in (foreign_preflight, foreign_error):
        assert not any(h.startswith("Access-Control-Allow-Origin") for h in answer["headers"]), answer
    # without CRQ_CORS_ORIGINS no origin gets any: a preflight is a method the route does not take
    plain = _handled(events[:2], None)
    assert plain[0]["status"] == 405 and plain[1]["status"] == 404
    assert not any(h.startswith("Access-Control") for a in plain for h in a["headers"])
