"""The demo page in a real browser: Debian's chromium driven by playwright against `crq serve` on the
sample data (a subprocess, as a person runs it), and against the same files built by `make site`
served from another origin (CORS and the page's CSP as on S3).

Every test fails on a console error it does not expect, a JavaScript exception or a dialog. Tables
and charts are compared with the rows the API returned, whole rows; numbers as the CLI formats them.
Screenshots go to a temporary folder (printed); CRQ_WRITE_DEMO_PNG=1 also rewrites docs/img/demo.png.
"""

from __future__ import annotations

import csv
import datetime as dt
import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conftest import AS_OF, SAMPLE, _loaded_marker
from playwright.sync_api import Browser, Locator, Page, Request, Response, Route, expect, sync_playwright

from runtime.answer import format_value
from runtime.web import site
from semantic import load_model

CHROMIUM = Path("/usr/bin/chromium")
CRQ = str(Path(sys.executable).parent / "crq")
ROOT = Path(__file__).resolve().parents[2]
DEMO_PNG = ROOT / "docs" / "img" / "demo.png"
FORMATS = {m.name: m.format for m in load_model().metrics}
TOP5 = "Top 5 accounts by cost last month"
MONTHLY = "Monthly cost by service for the last 6 months"
XSS = "<img src=x onerror=alert(1)>"
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


# --- the servers -----------------------------------------------------------------------------------


@dataclass
class Served:
    api: str  # crq serve: the API and the page at /
    site: str  # the `make site` build of the page, on another origin
    shots: Path

    def page_url(self, origin: str | None = None) -> str:
        return f"{origin or self.api}/?as_of={AS_OF}"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


def _wait_for_port(log: Path, process: subprocess.Popen[bytes]) -> int:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = re.search(r"crq API on http://127\.0\.0\.1:(\d+)/v1", log.read_text())
        if found:
            return int(found[1])
        if process.poll() is not None:
            pytest.fail(f"crq serve exited with {process.returncode}:\n{log.read_text()}")
        time.sleep(0.1)
    pytest.fail(f"crq serve did not start within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def served(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    from runtime.sample import load_sample, sample_marker

    if _loaded_marker(pg_url) != sample_marker(**SAMPLE):
        load_sample(pg_url, **SAMPLE)
    work = tmp_path_factory.mktemp("web")
    shots = work / "screenshots"
    shots.mkdir()
    site_dir = work / "site"
    # the site's origin must be known before crq serve starts (its CORS origins), the API's before the
    # site is built (config.js): bind the site's port first, fill its folder afterwards
    static = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(site_dir)))
    site_origin = f"http://127.0.0.1:{static.server_address[1]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRQ_")}
    env |= {"CRQ_AUTH": "none", "CRQ_CORS_ORIGINS": site_origin, "CRQ_HOME": str(work / "home")}
    log = work / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen([CRQ, "serve", "--port", "0", "--database-url", pg_url],
                                   stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        api = f"http://127.0.0.1:{_wait_for_port(log, process)}"
        site.build(site_dir, api)
        threading.Thread(target=static.serve_forever, daemon=True).start()
        print(f"\npage screenshots in {shots}")
        yield Served(api, site_origin, shots)
    finally:
        static.shutdown()
        static.server_close()
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: `make tools-browser` installs it (make test does)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM))
        yield chromium
        chromium.close()


# --- a watched tab -------------------------------------------------------------------------------------


@dataclass
class Tab:
    page: Page
    served: Served
    errors: list[str] = field(default_factory=list)
    allowed: list[re.Pattern[str]] = field(default_factory=list)
    seen: list[Request | Response] = field(default_factory=list)

    def watch(self) -> Tab:
        """Fail on console errors, uncaught exceptions and dialogs; keep the API's requests and answers."""
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(f"uncaught exception: {e}"))
        self.page.on("dialog", lambda d: (self.errors.append(f"a dialog opened: {d.message}"), d.dismiss()))
        self.page.on("request", lambda r: self.seen.append(r))
        self.page.on("response", lambda r: self.seen.append(r))
        self.page.set_default_timeout(15_000)
        return self

    def expect_console_error(self, pattern: str) -> None:
        """A console error this test causes on purpose (a failed request it routes)."""
        self.allowed.append(re.compile(pattern))

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.allowed)]

    @property
    def requests(self) -> list[dict[str, Any]]:
        """The bodies the page posted to /v1/chat."""
        return [json.loads(r.post_data or "{}") for r in self.seen
                if isinstance(r, Request) and r.method == "POST" and r.url.endswith("/v1/chat")]

    @property
    def answers(self) -> list[dict[str, Any]]:
        """The answers the page received: 200s of /v1/chat, and finished jobs' answers."""
        found = []
        for r in self.seen:
            if not isinstance(r, Response) or r.status != 200:
                continue
            if r.request.method == "POST" and r.url.endswith("/v1/chat"):
                found.append(r.json())
            elif r.request.method == "GET" and "/v1/jobs/" in r.url and r.json().get("answer"):
                found.append(r.json()["answer"])
        return found

    def open(self, url: str | None = None) -> None:
        self.page.goto(url or self.served.page_url())
        expect(self.page.locator("#catalog-body details").first).to_be_visible()

    def submit(self, question: str) -> int:
        """Types the question and presses Enter; returns the index of its turn."""
        count = self.page.locator(".turn").count()
        self.page.get_by_label("Question").fill(question)
        self.page.get_by_label("Question").press("Enter")
        return count

    def ask(self, question: str) -> dict[str, Any]:
        """Asks and waits for the answer; returns the answer the API sent (after any job)."""
        return self.answered(self.submit(question))

    def answered(self, index: int) -> dict[str, Any]:
        """The answer shown in turn ``index`` once it is there (the page drew it from the last one)."""
        expect(self.page.locator(".turn").nth(index).locator(".answer:not(.pending)")).to_be_visible()
        return self.answers[-1]

    def turn(self, index: int = -1) -> Locator:
        turns = self.page.locator(".turn")
        return turns.nth(index if index >= 0 else turns.count() + index)

    def shot(self, name: str) -> Path:
        path = self.served.shots / f"{name}.png"
        self.page.screenshot(path=path, full_page=True)
        return path


@pytest.fixture
def tab(browser: Browser, served: Served) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    t = Tab(context.new_page(), served).watch()
    yield t
    context.close()
    assert not t.unexpected(), t.unexpected()


# --- what the page should show, computed here from the API's rows ---------------------------------------


def _date(value: str, grain: str) -> str:
    d = dt.date.fromisoformat(value)
    month = MONTHS[d.month - 1]
    return {"month": f"{month} {d.year}", "quarter": f"Q{(d.month - 1) // 3 + 1} {d.year}", "year": str(d.year),
            "week": f"Week of {d.day} {month} {d.year}"}.get(grain, f"{d.day} {month} {d.year}")


def expected_cells(answer: dict[str, Any]) -> list[list[str]]:
    """Each row as the page must show it: metrics as `crq ask` formats them, dates by their grain."""
    metrics = set(answer["intent"]["metrics"])
    shown = []
    for row in answer["rows"]:
        cells = []
        for name, value in zip(answer["columns"], row, strict=True):
            if value is None:
                cells.append("—")
            elif name in metrics:
                cells.append(format_value(value, FORMATS[name]))
            elif name.endswith("_share") and name.removesuffix("_share") in metrics:
                cells.append(format_value(value, "share"))
            elif "__" in name:
                cells.append(_date(value, name.rsplit("__", 1)[1]))
            else:
                cells.append(str(value))
        shown.append(cells)
    return shown


def table_of(turn: Any) -> tuple[list[str], list[list[str]], list[list[Any]]]:
    """(headers, cell texts, raw values) of the result table in a turn."""
    return turn.locator("table.result").evaluate(
        """t => [
            [...t.tHead.rows[0].cells].map(c => c.textContent),
            [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent)),
            [...t.tBodies[0].rows].map(r => [...r.cells].map(c => JSON.parse(c.dataset.value))),
        ]""")


def assert_table_is(turn: Any, answer: dict[str, Any]) -> None:
    headers, cells, raw = table_of(turn)
    assert len(headers) == len(answer["columns"])
    assert raw == answer["rows"]
    assert cells == expected_cells(answer)


# --- an answer: sentence, reading, table, chart, SQL, CSV; a follow-up ------------------------------------


def test_an_answer_shows_its_reading_table_bar_chart_and_sql_and_a_follow_up_refines_it(tab: Tab) -> None:
    tab.open()
    first = tab.ask(TOP5)
    assert first["status"] == "answered" and len(first["rows"]) == 5
    turn = tab.turn(0)
    assert turn.locator(".question-bubble p").text_content() == TOP5
    sentence, reading = first["answer"].rsplit(" (interpreted as ", 1)
    assert turn.locator(".sentence").text_content() == sentence + "."
    assert turn.locator(".reading").text_content() == "Interpreted as " + reading.removesuffix(").")
    assert_table_is(turn, first)
    assert turn.locator("th").all_text_contents() == ["Account id", "Account name", "Cost"]
    # one bar per row, in the API's order, each titled with its label and value
    bars = turn.locator("svg.bar-chart g.bar title").all_text_contents()
    assert bars == [f"{a} · {n}: {format_value(c, 'currency')}" for a, n, c in first["rows"]]
    assert turn.locator("figure.chart figcaption").text_content() == "Cost by account id and account name"
    view = first["materialization"]
    provenance = f"Answered from the materialized view {view}" if view else "Answered from the base tables"
    assert turn.locator(".facts").text_content().startswith(f"{provenance} · read by the offline mapper · ")
    # Show SQL: the SQL and its parameters, exactly as the API sent them
    panel = turn.locator(".sql-panel")
    expect(panel).to_be_hidden()
    turn.get_by_role("button", name="Show SQL").click()
    expect(panel).to_be_visible()
    assert panel.locator("pre").nth(0).text_content() == first["sql"]
    assert json.loads(panel.locator("pre").nth(1).text_content()) == first["params"]
    assert turn.get_by_role("button", name="Hide SQL").get_attribute("aria-expanded") == "true"
    # Copy CSV and Download CSV: the raw rows
    tab.page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    turn.get_by_role("button", name="Copy CSV").click()
    expect(turn.locator(".action-status")).to_have_text("Copied 5 rows as CSV.")
    copied = list(csv.reader(io.StringIO(tab.page.evaluate("navigator.clipboard.readText()"))))
    assert copied == [first["columns"], *[[str(v) for v in r] for r in first["rows"]]]
    with tab.page.expect_download() as download:
        turn.get_by_role("button", name="Download CSV").click()
    downloaded = Path(download.value.path()).read_bytes().decode()
    assert list(csv.reader(io.StringIO(downloaded, newline=""))) == copied and downloaded.endswith("\r\n")
    assert download.value.suggested_filename == "top-5-accounts-by-cost-last-month.csv"

    second = tab.ask("make it 3")
    assert tab.requests[-1]["conversation_id"] == first["conversation_id"]
    assert second["conversation_id"] == first["conversation_id"]
    assert second["rows"] == first["rows"][:3]
    assert_table_is(tab.turn(1), second)
    tab.shot("answer-and-follow-up")


def test_a_time_series_is_a_line_per_series_and_a_single_number_no_chart(tab: Tab) -> None:
    tab.open()
    monthly = tab.ask(MONTHLY)
    turn = tab.turn(0)
    assert_table_is(turn, monthly)
    chart = turn.locator("svg.line-chart")
    services = {r[1] for r in monthly["rows"]}
    assert chart.locator("path.line").count() == len(services) == 8
    totals = {s: sum(abs(r[2]) for r in monthly["rows"] if r[1] == s) for s in services}
    assert turn.locator(".legend li").all_text_contents() == sorted(services, key=lambda s: -totals[s])
    # every row is a point on its service's line, titled with its month and value
    points = sorted(chart.locator("circle title").all_text_contents())
    assert points == sorted(f"{s}, {_date(d, 'month')}: {format_value(c, 'currency')}" for d, s, c in monthly["rows"])
    notes = turn.locator(".callout-note").all_text_contents()
    assert notes == ([f"Note: {monthly['message']}"] if monthly["message"] else [])

    single = tab.ask("What percentage of EBS volumes are encrypted?")
    turn = tab.turn(1)
    assert single["columns"] == ["encrypted_share"] and len(single["rows"]) == 1
    assert turn.locator(".kpi dt").all_text_contents() == ["Encrypted share"]
    assert turn.locator(".kpi dd").all_text_contents() == [format_value(single["rows"][0][0], "percent")]
    assert turn.locator("figure.chart").count() == 0 and turn.locator("table").count() == 0
    tab.shot("line-chart-and-single-number")


# --- clarify, refused -------------------------------------------------------------------------------


def test_a_clarify_suggestion_asks_the_suggested_question(tab: Tab) -> None:
    tab.open()
    clarify = tab.ask("how many flurbs")
    assert clarify["status"] == "clarify" and clarify["suggestions"]
    turn = tab.turn(0)
    expect(turn.locator(".badge")).to_have_text("Needs a clearer question")
    assert turn.locator(".message").text_content() == clarify["message"]
    assert turn.locator("button.suggestion").all_text_contents() == clarify["suggestions"]
    turn.locator("button.suggestion").first.click()
    answer = tab.answered(1)
    assert tab.requests[-1]["question"] == clarify["suggestions"][0]
    assert tab.turn(1).locator(".question-bubble p").text_content() == clarify["suggestions"][0]
    assert answer["status"] == "answered"
    assert_table_is(tab.turn(1), answer)


def test_a_refusal_says_why(tab: Tab) -> None:
    tab.open()
    refused = tab.ask("Terminate all stopped instances in dev")
    assert refused["status"] == "refused"
    turn = tab.turn(0)
    expect(turn.locator(".badge")).to_have_text("Refused")
    assert turn.locator(".message").text_content() == refused["message"].removeprefix("refused: ")
    assert "terminate" in turn.locator(".message").text_content()
    assert turn.locator("table, figure").count() == 0


# --- errors: in words, with a retry ---------------------------------------------------------------


def _error_body(status: int, code: str, message: str) -> dict[str, Any]:
    return {"status": status, "content_type": "application/json",
            "body": json.dumps({"error": {"code": code, "message": message, "request_id": f"req-{status}"}})}


def test_api_errors_are_shown_in_words_with_a_retry(tab: Tab) -> None:
    tab.open()
    page = tab.page
    # a 500 from the API, then the retry reaches the real API
    tab.expect_console_error(r"Failed to load resource: the server responded with a status of 500")
    page.route("**/v1/chat", lambda r: r.fulfill(**_error_body(500, "internal_error", "crq failed to answer")),
               times=1)
    page.get_by_label("Question").fill(TOP5)
    page.get_by_role("button", name="Ask").click()
    failed = tab.turn(0).locator(".answer.failed")
    expect(failed.locator(".answer-title")).to_have_text("The API failed (HTTP 500)")
    assert failed.locator(".message").text_content() == "crq failed to answer"
    assert failed.locator("p.small").text_content() == "Request id req-500"
    failed.get_by_role("button", name="Retry").click()
    answer = tab.answered(0)
    assert_table_is(tab.turn(0), answer)
    assert tab.page.evaluate("document.activeElement.id") == "question"  # not lost with the Retry button

    # the server cannot be reached (as when it is stopped)
    tab.expect_console_error(r"Failed to load resource: net::ERR_CONNECTION_REFUSED")
    page.route("**/v1/chat", lambda r: r.abort("connectionrefused"), times=1)
    tab.submit("make it 3")
    failed = tab.turn(1).locator(".answer.failed")
    expect(failed.locator(".answer-title")).to_have_text("The API could not be reached")
    assert failed.locator(".message").text_content().startswith(f"Could not reach the crq API at {tab.served.api}.")
    failed.get_by_role("button", name="Retry").click()
    follow_up = tab.answered(1)
    assert follow_up["rows"] == answer["rows"][:3]

    # an answer whose status is error (the database failed): said in words, with a retry
    down = {"question": TOP5, "status": "error", "message": "the database could not answer just now; try again shortly"}
    tab.page.route("**/v1/chat", lambda r: r.fulfill(json=down), times=1)
    tab.submit(TOP5)
    card = tab.turn(2).locator(".answer.status-error")
    expect(card.locator(".badge")).to_have_text("Error")
    assert card.locator(".message").text_content() == down["message"]
    card.get_by_role("button", name="Retry").click()
    assert_table_is(tab.turn(2), tab.answered(2))

    # a gateway's HTML error page
    tab.expect_console_error(r"Failed to load resource: the server responded with a status of 502")
    page.route("**/v1/chat", lambda r: r.fulfill(status=502, content_type="text/html", body="<h1>Bad gateway</h1>"),
               times=1)
    tab.submit("Top 2 regions by cost last month")
    failed = tab.turn(3).locator(".answer.failed")
    expect(failed.locator(".answer-title")).to_have_text("The API failed (HTTP 502)")
    assert failed.locator(".message").text_content() == "The API answered HTTP 502 with something that is not JSON."
    assert tab.page.locator("h1", has_text="Bad gateway").count() == 0
    tab.shot("errors")


def test_a_catalog_that_fails_to_load_says_so_and_the_question_box_still_works(tab: Tab) -> None:
    tab.expect_console_error(r"Failed to load resource: the server responded with a status of 503")
    tab.page.route("**/v1/catalog", lambda r: r.fulfill(**_error_body(503, "unavailable", "the database is away")),
                   times=1)
    tab.page.goto(tab.served.page_url())
    alert = tab.page.locator("#catalog-body [role=alert]")
    expect(alert.locator("p")).to_have_text("Could not load the catalog: the database is away")
    expect(tab.page.locator("#samples-block")).to_be_hidden()
    answer = tab.ask(TOP5)
    assert answer["status"] == "answered"
    alert.get_by_role("button", name="Try again").click()
    expect(tab.page.locator("#catalog-body details")).to_have_count(3)
    expect(tab.page.locator("#model-name")).to_have_text("Model: cloud_inventory")


def test_an_expired_conversation_is_a_real_404_and_the_page_offers_a_new_one(tab: Tab) -> None:
    tab.open()
    tab.ask(TOP5)

    def lose_the_conversation(route: Route) -> None:
        body = json.loads(route.request.post_data or "{}") | {"conversation_id": "expired-conversation"}
        route.continue_(post_data=json.dumps(body))

    tab.expect_console_error(r"Failed to load resource: the server responded with a status of 404")
    tab.page.route("**/v1/chat", lose_the_conversation, times=1)
    tab.submit("make it 3")
    failed = tab.turn(1).locator(".answer.failed")
    expect(failed.locator(".answer-title")).to_have_text("The API refused the request (HTTP 404)")
    assert failed.locator(".message").text_content() == "no such conversation (unknown, expired or not yours)"
    failed.get_by_role("button", name="Ask again in a new conversation").click()
    again = tab.answered(1)
    assert "conversation_id" not in tab.requests[-1] and tab.requests[-1]["question"] == "make it 3"
    badge = {"answered": "Answered", "clarify": "Needs a clearer question", "refused": "Refused"}[again["status"]]
    expect(tab.turn(1).locator(".badge")).to_have_text(badge)


def test_a_request_that_takes_too_long_is_stopped_and_can_be_retried(tab: Tab) -> None:
    config = "window.CRQ_CONFIG = {apiBaseUrl: '', requestTimeoutMs: 800};"
    tab.page.route("**/config.js", lambda r: r.fulfill(content_type="text/javascript", body=config))
    tab.open()
    held: list[Route] = []
    tab.page.route("**/v1/chat", lambda r: held.append(r), times=1)  # never answered
    tab.submit(TOP5)
    failed = tab.turn(0).locator(".answer.failed")
    expect(failed.locator(".answer-title")).to_have_text("The API took too long")
    assert failed.locator(".message").text_content() == "No answer from the crq API within 0.8 seconds."
    failed.get_by_role("button", name="Retry").click()
    assert tab.answered(0)["status"] == "answered"


# --- asynchronous jobs (202, then GET /v1/jobs/{id}) ------------------------------------------------


def _real_answer(served: Served, question: str) -> dict[str, Any]:
    request = urllib.request.Request(f"{served.api}/v1/chat", method="POST",
                                     data=json.dumps({"question": question, "as_of": str(AS_OF)}).encode())
    with urllib.request.urlopen(request, timeout=30) as r:
        return json.loads(r.read())


def _job(status: str, answer: dict[str, Any] | None = None, error: dict[str, str] | None = None,
         attempts: int = 1) -> dict[str, Any]:
    return {"job_id": "job-1", "status": status, "attempts": attempts, "submitted_at": "2026-06-17T10:00:00Z",
            "started_at": None if status == "queued" else "2026-06-17T10:00:01Z",
            "finished_at": "2026-06-17T10:00:05Z" if status in ("done", "failed") else None,
            "error": error, "answer": answer}


ACCEPTED = {"job_id": "job-1", "status": "queued", "status_url": "/v1/jobs/job-1", "conversation_id": "conv-1",
            "request_id": "req-job", "reason": "a heavy query (PostgreSQL's plan cost is over CRQ_ASYNC_PLAN_COST)"}


def _jobs(tab: Tab, states: list[dict[str, Any]]) -> list[float]:
    """202 for the next question; then each poll gets the next state (the last one repeats)."""
    polls: list[float] = []

    def poll(route: Route) -> None:
        polls.append(time.monotonic())
        route.fulfill(json=states[min(len(polls), len(states)) - 1])

    tab.page.route("**/v1/chat", lambda r: r.fulfill(status=202, json=ACCEPTED), times=1)
    tab.page.route("**/v1/jobs/job-1", poll)
    return polls


def test_a_job_shows_its_progress_then_the_answer(tab: Tab) -> None:
    real = _real_answer(tab.served, MONTHLY) | {"conversation_id": "conv-1"}
    tab.open()
    polls = _jobs(tab, [_job("queued"), _job("running"), _job("running", attempts=2), _job("done", real)])
    tab.submit(MONTHLY)
    pending = tab.turn(0).locator(".answer.pending")
    expect(pending).to_contain_text("crq runs this as a background job (a heavy query")
    expect(pending.locator(".pending-text")).to_contain_text("Queued: waiting for a worker")
    expect(pending.locator(".pending-text")).to_contain_text("Running the query")
    expect(pending.locator(".pending-text")).to_contain_text("Running the query (attempt 2)")
    answer = tab.answered(0)
    assert answer == real and len(polls) == 4
    assert_table_is(tab.turn(0), real)
    assert tab.turn(0).locator("svg.line-chart path.line").count() == 8
    # the conversation the 202 named carries on (the real API knows no conv-1: a 404, in words)
    tab.expect_console_error(r"Failed to load resource: the server responded with a status of 404")
    tab.submit("now only ec2")
    expect(tab.turn(1).locator(".answer.failed .message")).to_have_text(
        "no such conversation (unknown, expired or not yours)")
    assert tab.requests[-1]["conversation_id"] == "conv-1"


def test_a_failed_or_unknown_job_says_so_and_polling_is_bounded(tab: Tab) -> None:
    config = f"window.CRQ_CONFIG = {{apiBaseUrl: '', asOf: '{AS_OF}', jobTimeoutMs: 1500}};"
    tab.page.route("**/config.js", lambda r: r.fulfill(content_type="text/javascript", body=config))
    tab.open(f"{tab.served.api}/")
    timeout = {"code": "query_timeout", "message": "the query ran longer than 300 s and was cancelled"}
    _jobs(tab, [_job("running"), _job("failed", error=timeout)])
    tab.submit(MONTHLY)
    failed = tab.turn(0).locator(".answer.failed")
    expect(failed.locator(".answer-title")).to_have_text("The job failed")
    assert failed.locator(".message").text_content() == timeout["message"]
    tab.page.unroute("**/v1/jobs/job-1")

    tab.expect_console_error(r"Failed to load resource: the server responded with a status of 404")
    tab.page.route("**/v1/chat", lambda r: r.fulfill(status=202, json=ACCEPTED), times=1)  # the real API: 404
    tab.submit(MONTHLY)
    expect(tab.turn(1).locator(".answer.failed .message")).to_have_text(
        "The job is no longer known to the API (unknown, expired or not yours).")

    # a job that stays queued: the page stops after jobTimeoutMs and offers to check again
    polls = _jobs(tab, [_job("queued")])
    tab.submit(MONTHLY)
    waiting = tab.turn(2).locator(".answer.failed")
    expect(waiting.locator(".answer-title")).to_have_text("Still waiting")
    assert re.fullmatch(r"Still queued after \d+ seconds; the page stopped checking\.",
                        waiting.locator(".message").text_content())
    assert 2 <= len(polls) <= 4  # backoff: 0.5 s, 0.8 s, 1.3 s ... not one poll per tick
    tab.page.unroute("**/v1/jobs/job-1")
    real = _real_answer(tab.served, MONTHLY)
    polls = _jobs(tab, [_job("done", real)])
    waiting.get_by_role("button", name="Check again").click()
    assert tab.answered(2) == real
    assert_table_is(tab.turn(2), real)


def test_a_result_kept_in_the_results_bucket_is_offered_as_a_download(tab: Tab) -> None:
    real = _real_answer(tab.served, MONTHLY)
    url = "https://crq-results.s3.eu-west-1.amazonaws.com/results/job-1.json?X-Amz-Signature=abc"
    tab.open()
    _jobs(tab, [_job("done", real | {"rows": []}) | {"result_url": url}])
    tab.submit(MONTHLY)
    tab.answered(0)
    link = tab.turn(0).get_by_role("link", name="Download the whole answer (JSON)")
    assert link.get_attribute("href") == url and link.get_attribute("rel") == "noopener noreferrer"
    assert tab.turn(0).locator("table, figure").count() == 0


def test_a_real_job_of_crq_serve_shows_the_same_answer_as_a_synchronous_request(tab: Tab) -> None:
    """With asyncJobs the page asks for a job (202) and polls crq serve's own job runner."""
    probe = urllib.request.Request(f"{tab.served.api}/v1/chat", method="POST", data=json.dumps(
        {"question": TOP5, "as_of": str(AS_OF), "async": True}).encode())
    try:
        with urllib.request.urlopen(probe, timeout=30) as r:
            assert r.status == 202, r.status
    except urllib.error.HTTPError as e:
        if e.code in (400, 422):  # jobs_unavailable, or an API without "async" yet
            pytest.skip(f"crq serve runs no jobs here: {json.loads(e.read())['error']['message']}")
        raise
    config = f"window.CRQ_CONFIG = {{apiBaseUrl: '', asOf: '{AS_OF}', asyncJobs: true}};"
    tab.page.route("**/config.js", lambda r: r.fulfill(content_type="text/javascript", body=config))
    tab.open(f"{tab.served.api}/")
    answer = tab.ask(TOP5)
    assert tab.requests[-1]["async"] is True
    assert any(isinstance(r, Response) and "/v1/jobs/" in r.url for r in tab.seen)
    synchronous = _real_answer(tab.served, TOP5)
    assert answer["rows"] == synchronous["rows"] and answer["sql"] == synchronous["sql"]
    assert_table_is(tab.turn(0), answer)


# --- safety -----------------------------------------------------------------------------------------


def test_markup_in_a_question_or_in_the_data_is_shown_as_text_and_runs_nothing(tab: Tab) -> None:
    tab.open()
    answer = tab.ask(XSS)
    bubble = tab.turn(0).locator(".question-bubble p")
    assert bubble.text_content() == XSS
    assert answer["status"] in ("clarify", "refused")
    assert tab.turn(0).locator(".message").text_content() == answer["message"].removeprefix("refused: ")

    # an answer whose names, values and messages all carry markup (a tag value anyone can write)
    hostile = "<img src=x onerror=alert(2)><script>alert(3)</script>"
    fake = _real_answer(tab.served, TOP5)
    fake |= {"columns": ["account_id", hostile, "cost"], "answer": f"{hostile} (interpreted as {hostile}).",
             "message": hostile, "rows": [[hostile, f"{hostile}\u202e", 1.0], ["2", "b", 2.0]]}
    tab.page.route("**/v1/chat", lambda r: r.fulfill(json=fake), times=1)
    tab.ask("anything")
    turn = tab.turn(1)
    assert turn.locator(".sentence").text_content() == f"{hostile}."
    assert turn.locator(".reading").text_content() == f"Interpreted as {hostile}"
    assert turn.locator("td").nth(0).text_content() == hostile
    assert turn.locator("td").nth(1).text_content() == f"{hostile}\\u202e"  # a bidi override shown, not obeyed
    assert turn.locator("svg.bar-chart title").first.text_content().startswith(f"{hostile} · {hostile}")
    assert tab.page.evaluate("document.querySelectorAll('img, main script, svg script').length") == 0


def test_the_page_is_served_with_its_csp_and_blocks_other_origins(tab: Tab) -> None:
    response = tab.page.goto(tab.served.page_url())
    assert response is not None
    csp = response.headers["content-security-policy"]
    assert "connect-src 'self';" in csp and "script-src 'self';" in csp and "frame-ancestors 'none'" in csp
    tab.expect_console_error(r"'http://127\.0\.0\.1:9/' violates the following Content Security Policy")
    tab.expect_console_error(r"cannot load http://127\.0\.0\.1:9/\. Refused to connect because it violates")
    outcome = tab.page.evaluate("fetch('http://127.0.0.1:9/').then(() => 'fetched', e => e.name)")
    assert outcome == "TypeError"
    assert any("Content Security Policy" in e for e in tab.errors)


def test_the_built_site_on_another_origin_reaches_the_api_through_cors(tab: Tab) -> None:
    tab.open(tab.served.page_url(tab.served.site))
    meta = tab.page.locator("meta[http-equiv=Content-Security-Policy]").get_attribute("content")
    assert meta is not None and f"connect-src 'self' {tab.served.api};" in meta
    answer = tab.ask(TOP5)
    assert answer["status"] == "answered"
    assert_table_is(tab.turn(0), answer)
    assert tab.page.locator("#samples button").count() > 0  # the catalog came across origins too


# --- accessibility and layout --------------------------------------------------------------------------

CONTRAST = """() => {
  const rgb = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => [r, g, b].map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; })
    .reduce((s, v, i) => s + v * [0.2126, 0.7152, 0.0722][i], 0);
  const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const el = n.parentElement;
    const box = el.getBoundingClientRect();
    if (!n.textContent.trim() || box.width <= 1 || box.height <= 1 || el.closest('[hidden], .visually-hidden')) continue;
    const style = getComputedStyle(el);
    const fg = rgb(el instanceof SVGElement ? style.fill : style.color).slice(0, 3);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const need = size >= 24 || (bold && size >= 18.66) ? 3 : 4.5;
    const r = ratio(fg, background(el));
    if (r < need) found.push(`${n.textContent.trim().slice(0, 40)}: ${r.toFixed(2)} < ${need}`);
  }
  return found;
}"""

UNNAMED = """() => [...document.querySelectorAll('button, textarea, input, select, a[href], [tabindex]')]
  .filter(e => !(e.getAttribute('aria-label') || (e.labels && e.labels.length) || e.textContent.trim()))
  .map(e => e.outerHTML.slice(0, 80))"""

FOCUS = """() => {
  const e = document.activeElement, s = getComputedStyle(e);
  return {tag: e.tagName, text: (e.textContent || '').trim().slice(0, 40), id: e.id,
          outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2, color: s.outlineColor};
}"""


def test_every_control_is_labelled_and_all_text_meets_aa_contrast(tab: Tab) -> None:
    tab.open()
    assert tab.page.locator("html").get_attribute("lang") == "en"
    assert tab.page.get_by_label("Question").evaluate("e => e.tagName") == "TEXTAREA"
    expect(tab.page.get_by_role("button", name="Ask")).to_be_visible()
    tab.ask(TOP5)
    tab.turn(0).get_by_role("button", name="Show SQL").click()
    tab.ask("how many flurbs")
    tab.ask("Terminate all stopped instances in dev")
    tab.expect_console_error(r"status of 503")
    tab.page.route("**/v1/chat", lambda r: r.fulfill(**_error_body(503, "database_unavailable", "down")), times=1)
    tab.submit(TOP5)
    expect(tab.turn(3).locator(".answer.failed")).to_be_visible()
    for details in tab.page.locator("details:not([open]) summary").all():
        details.click()
    assert tab.page.evaluate(UNNAMED) == []
    assert tab.page.evaluate(CONTRAST) == []
    for kind in ("answered", "clarify", "refused", "error"):  # the checks above saw every kind of card
        assert tab.page.locator(f".badge-{kind}").count() == 1, kind


def test_keyboard_only_asks_follows_up_and_reaches_every_control_with_a_visible_focus(tab: Tab) -> None:
    tab.open()
    page = tab.page
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUS) | {"color": None} == {"tag": "A", "text": "Skip to the question box", "id": "",
                                                     "outline": True, "color": None}
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "question"
    page.keyboard.type(TOP5)
    page.keyboard.press("Enter")
    first = tab.answered(0)
    assert page.evaluate("document.activeElement.id") == "question"  # ready for the next question
    # backwards from the question box: the answer's controls, each with a visible focus ring
    seen = []
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        focus = page.evaluate(FOCUS)
        assert focus["outline"], focus
        seen.append(focus["text"])
        if focus["text"] == "Show SQL":
            break
    assert seen[:3] == ["Download CSV", "Copy CSV", "Show SQL"], seen
    page.keyboard.press("Enter")
    expect(tab.turn(0).locator(".sql-panel")).to_be_visible()
    # a clarify suggestion by keyboard
    page.get_by_label("Question").focus()
    page.keyboard.type("how many flurbs")
    page.keyboard.press("Enter")
    clarify = tab.answered(1)
    for _ in range(12):
        page.keyboard.press("Shift+Tab")
        if page.evaluate(FOCUS)["text"] == clarify["suggestions"][-1]:
            break
    page.keyboard.press("Space")
    tab.answered(2)
    assert tab.requests[-1]["question"] == clarify["suggestions"][-1]
    assert tab.requests[-1]["conversation_id"] == first["conversation_id"]
    # forwards to New conversation, which starts over
    page.get_by_label("Question").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus["tag"] == "BODY":  # past the last control, before the first
            continue
        assert focus["outline"], focus
        if focus["text"] == "New conversation":
            break
    else:
        pytest.fail("New conversation is not reachable with Tab")
    page.keyboard.press("Enter")
    assert page.locator(".turn").count() == 0 and page.evaluate("document.activeElement.id") == "question"
    tab.ask(TOP5)
    assert "conversation_id" not in tab.requests[-1]


def test_360_px_wide_nothing_scrolls_sideways(browser: Browser, served: Served) -> None:
    context = browser.new_context(viewport={"width": 360, "height": 740}, device_scale_factor=2)
    t = Tab(context.new_page(), served).watch()
    try:
        t.open()
        t.ask(MONTHLY)
        t.ask(TOP5)
        widths = t.page.evaluate("""() => ({
            page: document.documentElement.scrollWidth,
            widest: Math.max(...[...document.querySelectorAll('.answer, figure, svg, .ask, .catalog')]
                                .map(e => e.getBoundingClientRect().right)),
        })""")
        assert widths["page"] <= 360 and widths["widest"] <= 360, widths
        # on a narrow screen each bar's label sits above it, whole
        labels = t.turn(1).locator("svg.bar-chart .bar-label").all_text_contents()
        assert labels == [f"{a} · {n}" for a, n, _ in t.answers[-1]["rows"]]
        t.shot("360px")
        assert not t.unexpected(), t.unexpected()
    finally:
        context.close()


def test_demo_screenshot(tab: Tab) -> None:
    """docs/img/demo.png: one real answer with its chart (CRQ_WRITE_DEMO_PNG=1 rewrites it)."""
    tab.page.set_viewport_size({"width": 1280, "height": 820})
    tab.open()
    answer = tab.ask("Top 8 services by cost last month")
    assert answer["status"] == "answered" and tab.turn(0).locator("svg.bar-chart g.bar").count() == 8
    tab.page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
    path = tab.served.shots / "demo.png"
    tab.page.screenshot(path=path)
    if os.environ.get("CRQ_WRITE_DEMO_PNG") == "1":
        DEMO_PNG.parent.mkdir(parents=True, exist_ok=True)
        DEMO_PNG.write_bytes(path.read_bytes())
