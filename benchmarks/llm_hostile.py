"""A hostile or broken LLM endpoint against crq, per category: attempts, crashes, misleading answers.

    .venv/bin/python benchmarks/llm_hostile.py [--database-url URL] [--only CATEGORY ...]

The endpoint is the tests' local OpenAI-compatible server (``tests/fake_openai.py``, bound to
127.0.0.1), scripted per question: malformed envelopes and contents, schema violations, huge replies,
absurd usage counts, 429/5xx/timeouts/dropped connections, bodies trickled at 1 byte/s, the model's
own prose, replies that answer another question, and questions crq must refuse. Every question goes
through ``Service.ask`` (mapper, compiler, the sample database), as ``crq ask`` sends it, with
``CRQ_LLM_TIMEOUT`` 2 s, one retry and two repairs.

Per question it records: a crash (an exception out of ``Service.ask``: ``crq ask`` prints "internal
error" and loses the questions after it), a misleading answer (``answered`` where crq must refuse or
ask back, an answer from a reply that broke the schema or answered another question, an offline
answer that does not say the LLM was unavailable, the model's words shown as crq's), another wrong
outcome (a refused question that reached the model, a repair request over 64 kB, suggestions that are
not the model's strings), usage that is wrong (not one line per call, or impossible token counts or
costs) and run time over 10 s. The sample database is checksummed before and after.

The crq code measured is the one next to this file (its repository root comes first on sys.path), so
copying this file and ``tests/fake_openai.py`` into an older checkout measures that checkout with the
same endpoint. Last line: ``hostile_attempts= crashes= misleading= other_wrong= usage_wrong= over_time=
data_unchanged=``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))

from fake_openai import FakeOpenAI  # noqa: E402

AS_OF = dt.date(2026, 6, 17)
TIME_BUDGET_S = 10.0
REPAIR_REQUEST_CAP = 64 * 1024
CALLS_PER_QUESTION = 6  # (1 retry + 1) x (2 repairs + 1): the most any version makes
SANE_TOKENS = 10_000_000
SANE_COST_USD = 100.0

# a question the offline mapper answers whole, cheap to run (every fallback answer runs it)
QUESTION = "how many resources per region"
MONTH = {
    "kind": "previous", "unit": "month", "n": 1, "skip": None, "start": None, "end": None, "month": None,
    "quarter": None, "year": None, "dimension": None,
}  # fmt: skip
GOOD_INTENT: dict[str, Any] = {
    "metrics": ["resource_count"],
    "dimensions": [{"name": "region", "grain": None}],
    "filters": [],
    "segments": [],
    "time_range": None,
    "order_by": [],
    "limit": None,
    "share": None,
}


def reply(intent: Any = None, status: str = "answered", message: str = "", suggestions: Any = None) -> dict:
    return {
        "status": status,
        "follow_up": False,
        "intent": intent,
        "message": message,
        "suggestions": [] if suggestions is None else suggestions,
    }


def intent(**changes: Any) -> dict[str, Any]:
    return {**GOOD_INTENT, **changes}


# --- what the endpoint does -------------------------------------------------------------------------

Play = Callable[[FakeOpenAI], None]


def content(value: Any) -> Play:
    return lambda fake: fake.content(value if isinstance(value, str) else json.dumps(value))


def envelope(change: Callable[[dict[str, Any]], object], **planned: Any) -> Play:
    """A recorded chat completion replying GOOD_INTENT, then ``change``d (``planned``: ``trickle``...)."""

    def edit(data: dict[str, Any]) -> None:
        data["choices"][0]["message"]["content"] = json.dumps(reply(GOOD_INTENT))
        change(data)

    return lambda fake: fake.reply_with("answered_cost_by_region.json", edit, **planned)


def raw(body: bytes, status: int = 200) -> Play:
    return lambda fake: fake.raw(status, body)


def set_message(field_name: str, value: Any) -> Callable[[dict[str, Any]], object]:
    return lambda d: d["choices"][0]["message"].__setitem__(field_name, value)


def set_usage(**values: Any) -> Callable[[dict[str, Any]], object]:
    def change(d: dict[str, Any]) -> None:
        for k, v in values.items():
            if k == "cached_tokens":
                d["usage"]["prompt_tokens_details"]["cached_tokens"] = v
            else:
                d["usage"][k] = v

    return change


def deep(n: int) -> str:
    return "[" * n + "]" * n


# --- expected outcomes ------------------------------------------------------------------------------


@dataclass
class Case:
    category: str
    name: str
    plays: list[Play]
    expect: str  # "refused", "fallback", "answer", "clarify", "answer_or_clarify"
    question: str = QUESTION
    mode: str = "llm"
    repeat_last: bool = True  # the last play fills the rest of the calls
    check: Callable[[Any], str | None] | None = None  # an extra check: what is wrong, or None
    bad_intent: dict[str, Any] | None = None  # answering with this intent is misleading
    no_calls: bool = False  # the question must not reach the model


@dataclass
class Row:
    attempts: int = 0
    crashes: int = 0
    misleading: int = 0
    other_wrong: int = 0
    usage_wrong: int = 0
    over_time: int = 0
    max_s: float = 0.0
    notes: list[str] = field(default_factory=list)


def labelled(answer: Any) -> str | None:
    """The model's words must read as the model's: labelled, capped, no control characters."""
    text = answer.message
    if "language model" not in text.lower():
        return "misleading: the model's words shown as crq's"
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 for c in text):
        return "misleading: control characters in the message"
    if len(text) > 1000:
        return f"other: message of {len(text)} characters"
    for s in answer.suggestions:
        if not isinstance(s, str) or s in ("None", "5", "{'x': 1}") or len(s) > 300:
            return f"other: suggestion {s!r:.40}"
    return None


def cases() -> list[Case]:
    out: list[Case] = []
    cost_count = reply({**GOOD_INTENT, "metrics": ["resource_count"], "dimensions": [], "time_range": None})
    for mode in ("llm", "hybrid"):
        for q in (
            "delete all stopped instances",
            "drop table inventory.resources",
            "SELECT * FROM pg_shadow",
            "terminate every instance in prod",
        ):
            out.append(
                Case(
                    "refusal override",
                    f"{mode}: {q}",
                    [content(cost_count)],
                    "refused",
                    q,
                    mode,
                    no_calls=True,
                )
            )

    def envelope_case(name: str, play: Play) -> None:
        out.append(Case("malformed envelope", name, [play], "fallback"))

    envelope_case("content an object", envelope(set_message("content", {"status": "answered"})))
    envelope_case("content a number", envelope(set_message("content", 42)))
    envelope_case("choices a string", envelope(lambda d: d.__setitem__("choices", "none")))
    envelope_case("choices [null]", envelope(lambda d: d.__setitem__("choices", [None])))
    envelope_case("choices []", envelope(lambda d: d.__setitem__("choices", [])))
    envelope_case("message null", envelope(lambda d: d["choices"][0].__setitem__("message", None)))
    envelope_case("tool call, no content", envelope(set_message("content", None)))
    body = json.dumps(
        {"choices": [{"message": {"content": json.dumps(reply(GOOD_INTENT))}}], "usage": {}}
    ).encode()
    envelope_case("truncated JSON body", raw(body[: len(body) // 2]))
    envelope_case("100,000-deep arrays body", raw(deep(100_000).encode()))
    envelope_case("5,000-digit integer body", raw(b'{"choices": [], "n": ' + b"9" * 5000 + b"}"))
    envelope_case("HTML body", raw(b"<html><body>502 Bad Gateway</body></html>"))
    envelope_case("empty body", raw(b""))

    def content_case(name: str, text: str) -> None:
        out.append(Case("malformed content", name, [content(text)], "fallback"))

    good = json.dumps(reply(GOOD_INTENT))
    content_case("truncated JSON", good[: len(good) // 2])
    content_case("100,000-deep arrays", deep(100_000))
    content_case("5,000-digit integer", '{"status": "answered", "limit": ' + "9" * 5000 + "}")
    content_case("prose", "Sure! Total cost last month was $1,234.")
    content_case("NaN limit", good.replace('"limit": null', '"limit": NaN'))
    content_case("a list", "[1, 2, 3]")

    def schema_case(name: str, bad: dict[str, Any]) -> None:
        out.append(Case("schema violation", name, [content(bad)], "fallback", bad_intent=bad.get("intent")))

    schema_case("tag key with a newline", reply(intent(dimensions=[{"name": "tag:owner\n", "grain": None}])))
    schema_case("extra property in the intent", reply({**GOOD_INTENT, "having": "cost > 0"}))
    schema_case("extra top-level property", {**reply(intent(limit=3)), "sql": "SELECT 1"})
    schema_case("limit as a string", reply(intent(limit="3")))
    schema_case("metrics as a string", reply(intent(metrics="cost", limit=2)))
    schema_case("grain outside the enum", reply(intent(dimensions=[{"name": "usage_date", "grain": "hour"}])))
    schema_case("n as a float", reply(intent(time_range={**MONTH, "n": 2.5})))

    many = [{"field": "account_name", "op": "!=", "value": f"r{i}"} for i in range(8000)]
    out.append(
        Case("huge reply", "8,000 filters", [content(reply(intent(filters=many)))], "answer_or_clarify")
    )
    over = [{"field": "account_name", "op": "!=", "value": f"r{i}"} for i in range(60)]
    out.append(Case("huge reply", "60 filters", [content(reply(intent(filters=over)))], "answer_or_clarify"))
    values = [{"field": "account_name", "op": "in", "value": [f"a{i}" for i in range(2000)]}]
    out.append(
        Case(
            "huge reply",
            "2,000 values in one filter",
            [content(reply(intent(filters=values)))],
            "answer_or_clarify",
        )
    )
    name = "y" * 200_000
    out.append(
        Case(
            "huge reply",
            "200 kB name (repairs echo it)",
            [content(reply(intent(metrics=[name])))],
            "answer_or_clarify",
        )
    )
    in_list = [{"field": "region", "op": "in", "value": [f"r{i}" for i in range(100_000)]}]
    out.append(
        Case(
            "huge reply",
            "100,000 values in one filter",
            [content(reply(intent(filters=in_list)))],
            "answer_or_clarify",
        )
    )
    mb = "x" * 1_000_000
    out.append(
        Case(
            "huge reply",
            "1 MB filter value",
            [content(reply(intent(filters=[{"field": "region", "op": "=", "value": mb}])))],
            "answer_or_clarify",
        )
    )
    out.append(
        Case(
            "huge reply",
            "1 MB name (repairs echo it)",
            [content(reply(intent(metrics=[mb])))],
            "answer_or_clarify",
        )
    )
    out.append(
        Case(
            "huge reply",
            "10,000 metrics",
            [content(reply(intent(metrics=["cost"] * 10_000)))],
            "answer_or_clarify",
        )
    )

    for name, change in (
        ("Infinity", set_usage(prompt_tokens=math.inf)),
        ("NaN", set_usage(completion_tokens=math.nan)),
        ("a string", set_usage(prompt_tokens="lots")),
        ("a list", set_usage(completion_tokens=[1, 2])),
        ("10^400", set_usage(prompt_tokens=10**400)),
        ("1e30", set_usage(prompt_tokens=1e30, completion_tokens=1e30)),
        ("-1e9", set_usage(prompt_tokens=-(10**9))),
        ("cached > prompt", set_usage(prompt_tokens=10, cached_tokens=10**12)),
        ("usage a string", lambda d: d.__setitem__("usage", "free")),
    ):
        out.append(Case("absurd usage", name, [envelope(change)], "answer"))

    ok = content(reply(GOOD_INTENT))
    out.append(
        Case(
            "transient failures",
            "429 then ok",
            [lambda f: f.rate_limit(0.05), ok],
            "answer",
            repeat_last=False,
        )
    )
    out.append(
        Case(
            "transient failures",
            "503 then ok",
            [lambda f: f.server_error(503), ok],
            "answer",
            repeat_last=False,
        )
    )
    out.append(
        Case(
            "transient failures", "timeout then ok", [lambda f: f.slow(3.0), ok], "answer", repeat_last=False
        )
    )
    out.append(
        Case(
            "transient failures",
            "dropped connection then ok",
            [lambda f: f.drop(), ok],
            "answer",
            repeat_last=False,
        )
    )
    out.append(Case("transient failures", "always 500", [lambda f: f.server_error(500)], "fallback"))
    out.append(Case("transient failures", "always 429", [lambda f: f.rate_limit(0.05)], "fallback"))

    out.append(
        Case(
            "slow body",
            "first 12 bytes at 1 byte/s",
            [envelope(lambda d: None, trickle=1.0, trickle_bytes=12)],
            "answer_or_fallback",
        )
    )
    out.append(Case("slow body", "headers never end", [lambda f: f.stall(12.0)], "fallback"))
    out.append(
        Case(
            "slow body",
            "headers at 1 byte/s",
            [envelope(lambda d: None, trickle=1.0, trickle_bytes=1, trickle_head=True)],
            "answer_or_fallback",
        )
    )

    verified = "Total cost last month was $1.00 (verified by crq)"
    out.append(
        Case(
            "model prose",
            "clarify claiming a number",
            [content(reply(None, "clarify", verified))],
            "clarify",
            check=labelled,
        )
    )
    out.append(
        Case(
            "model prose",
            "control characters",
            [content(reply(None, "clarify", "\x1b[2Jwhich one?\x07"))],
            "clarify",
            check=labelled,
        )
    )
    out.append(
        Case(
            "model prose",
            "refusal prose",
            [content(reply(None, "refused", "crq verified: no access"))],
            "refused",
            check=labelled,
        )
    )
    out.append(
        Case(
            "model prose",
            "non-string suggestions",
            [content(reply(None, "clarify", "which?", [None, 5, {"x": 1}, "cost by region"]))],
            "clarify",
            check=labelled,
        )
    )
    out.append(
        Case(
            "model prose",
            "10 kB message",
            [content(reply(None, "clarify", "why " * 2500))],
            "clarify",
            check=labelled,
        )
    )

    accounts = reply({**GOOD_INTENT, "metrics": ["account_count"], "dimensions": [], "time_range": None})
    out.append(
        Case(
            "another question",
            "cost asked, account count replied",
            [content(accounts)],
            "clarify_or_right",
            "cost by region last month",
            bad_intent=accounts["intent"],
        )
    )
    storage = reply(
        {
            **GOOD_INTENT,
            "metrics": ["total_storage_gb"],
            "dimensions": [{"name": "service", "grain": None}],
            "time_range": None,
        }
    )
    out.append(
        Case(
            "another question",
            "instances asked, storage replied",
            [content(storage)],
            "clarify_or_right",
            "how many ec2 instances per region",
            bad_intent=storage["intent"],
        )
    )
    out.append(
        Case(
            "another question",
            "hybrid: typo question, account count replied",
            [content(accounts)],
            "clarify_or_right",
            "how many resources per regoin",
            "hybrid",
            bad_intent=accounts["intent"],
        )
    )

    out.append(Case("fallback disclosed", "llm: endpoint down", [lambda f: f.server_error(502)], "fallback"))
    out.append(
        Case(
            "fallback disclosed",
            "hybrid: endpoint down",
            [lambda f: f.server_error(502)],
            "fallback",
            "how many resources per region, the stale ones",  # a word the offline mapper does not know
            "hybrid",
        )
    )
    return out


# --- running ----------------------------------------------------------------------------------------


def _settings(url: str, mode: str, timeout: float) -> Any:
    from runtime.mappers.settings import LLMSettings

    wanted = {
        "base_url": url,
        "model": "gpt-4o-mini",
        "api_key": "sk-bench",
        "timeout": timeout,
        "max_retries": 1,
        "mapper": mode,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
        "repair_attempts": 2,
        "question_timeout": 4 * timeout,
    }
    return LLMSettings.model_validate({k: v for k, v in wanted.items() if k in LLMSettings.model_fields})


def _database(url: str | None) -> str:
    if url:
        return url
    home = Path(os.environ.get("CRQ_BENCH_HOME") or Path(tempfile.gettempdir()) / "crq-bench-hostile")
    os.environ["CRQ_HOME"] = str(home)
    from runtime.database import database_url
    from runtime.sample import load_sample, sample_marker

    url = database_url()
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute("SELECT obj_description(to_regnamespace('inventory'), 'pg_namespace')").fetchone()
    if not row or row[0] != sample_marker(seed=42, scale=0.2, as_of=AS_OF, days=60):
        load_sample(url, seed=42, scale=0.2, as_of=AS_OF, days=60)
    return url


def checksum(url: str) -> str:
    """Row count and a hash of every row, per table of the sample: equal before and after means no
    write got through."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        query = "SELECT tablename FROM pg_tables WHERE schemaname = 'inventory' ORDER BY 1"
        tables = [r[0] for r in conn.execute(query).fetchall()]
        sums = [
            conn.execute(f"SELECT count(*), sum(hashtext(t::text)) FROM inventory.{t} t").fetchone()
            for t in tables
        ]
    return ";".join(f"{t}:{s}" for t, s in zip(tables, sums, strict=True))


def usage_problem(lines: list[dict[str, Any]], calls: int) -> str | None:
    if len(lines) != calls:
        return f"{len(lines)} usage lines for {calls} calls"
    for line in lines:
        for k in ("prompt_tokens", "completion_tokens", "cached_tokens"):
            v = line.get(k)
            if not isinstance(v, int) or isinstance(v, bool) or not 0 <= v <= SANE_TOKENS:
                return f"{k}={v!r:.30}"
        cost = line.get("cost_usd")
        if cost is not None and not (isinstance(cost, float | int) and 0 <= cost <= SANE_COST_USD):
            return f"cost_usd={cost!r:.30}"
    return None


def judge(case: Case, answer: Any, offline_intent: Any, calls: int, repair_sizes: list[int]) -> list[str]:
    """What is wrong with this answer: entries start with 'misleading:' or 'other:'."""
    wrong: list[str] = []
    status = answer.status
    said_unavailable = "unavailable" in (answer.message or "").lower()
    got = answer.intent.model_dump(mode="json", exclude={"previous"}) if answer.intent else None
    right = offline_intent.model_dump(mode="json", exclude={"previous"}) if offline_intent else None
    if case.no_calls and calls:
        wrong.append(f"other: the question reached the model ({calls} calls)")
    if case.expect == "refused":
        if status != "refused":
            wrong.append(f"misleading: {status} instead of refused ({answer.answer[:40]!r})")
    elif case.expect in ("fallback", "answer_or_fallback"):
        if status == "answered":
            if got != right:
                wrong.append("misleading: answered with another intent than the question's")
            elif case.expect == "fallback" and answer.mapper in ("llm", "hybrid-llm"):
                wrong.append("misleading: answered from a reply that broke the schema")
            elif case.expect == "fallback" and not said_unavailable:
                wrong.append("misleading: offline answer without saying the LLM was unavailable")
        elif status not in ("clarify",):
            wrong.append(f"other: {status}")
    elif case.expect == "answer":
        if status != "answered" or got != right:
            wrong.append(f"other: {status} instead of the answer")
    elif case.expect == "answer_or_clarify":
        if status == "answered" and got != right:
            wrong.append("misleading: answered with the reply's intent")
    elif case.expect == "clarify_or_right":
        if status == "answered" and got != right:
            wrong.append("misleading: answered another question")
    elif case.expect in ("clarify",) and status != "clarify":
        wrong.append(f"other: {status} instead of clarify")
    if case.bad_intent is not None and status == "answered" and got != right:
        wrong.append("misleading: answered from an invalid or unrelated reply")
    if case.check is not None and (problem := case.check(answer)):
        wrong.append(problem)
    if any(size > REPAIR_REQUEST_CAP for size in repair_sizes):
        wrong.append(f"other: repair request of {max(repair_sizes):,} bytes")
    return list(dict.fromkeys(wrong))


@dataclass
class Outcome:
    """One hostile question as crq answered it: what went wrong, by kind (empty lists when nothing)."""

    case: Case
    answer: Any
    seconds: float
    calls: int
    crash: str = ""
    wrong: list[str] = field(default_factory=list)
    usage: str = ""


def run_cases(url: str, chosen: list[Case], timeout: float = 2.0, verbose: bool = False) -> list[Outcome]:
    """Each case through ``Service.ask`` against the fake endpoint (``timeout`` is CRQ_LLM_TIMEOUT)."""
    from runtime.database import Database
    from runtime.known_values import known_values
    from runtime.mappers.factory import build_mapper
    from runtime.mappers.offline import OfflineMapper
    from runtime.service import Service
    from runtime.usage import UsageLog
    from semantic import load_model

    model = load_model()
    db = Database(url)
    values = known_values(model, db)
    offline = OfflineMapper(model, values, as_of=AS_OF)
    out: list[Outcome] = []
    with FakeOpenAI() as fake, tempfile.TemporaryDirectory() as tmp:
        usage = UsageLog(Path(tmp) / "usage.jsonl")
        services = {
            mode: Service(
                model,
                db,
                build_mapper(model, values, _settings(fake.base_url, mode, timeout), AS_OF, usage_log=usage),
                as_of=AS_OF,
            )
            for mode in ("llm", "hybrid")
        }
        for case in chosen:
            fake.clear()
            for play in case.plays:
                play(fake)
            if case.repeat_last:
                for _ in range(CALLS_PER_QUESTION - len(case.plays)):
                    case.plays[-1](fake)
            before_requests, before_lines = len(fake.requests), len(list(usage.lines()))
            start = time.perf_counter()
            crash = ""
            try:
                answer = services[case.mode].ask(case.question)
            except Exception as e:  # what crq ask reports as an internal error
                answer, crash = None, f"{type(e).__name__}: {str(e)[:60]}"
            seconds = time.perf_counter() - start
            requests = fake.requests[before_requests:]
            outcome = Outcome(case, answer, seconds, len(requests), crash)
            outcome.usage = usage_problem(list(usage.lines())[before_lines:], len(requests)) or ""
            if answer is not None:
                sizes = [len(json.dumps(r.body)) for r in requests[1:] if len(r.messages) > 2]
                outcome.wrong = judge(case, answer, offline.map(case.question).intent, len(requests), sizes)
            if verbose:
                said = (answer.message if answer else crash)[:90]
                status, mapper = (answer.status, answer.mapper or "-") if answer else ("-", "-")
                print(
                    f"  {case.category[:18]:<18} {case.name[:34]:<34} {status:<8} {mapper:<16} "
                    f"calls={len(requests)} {seconds:4.1f}s {said!r}"
                )
            out.append(outcome)
        fake.clear()
    return out


def tabulate(outcomes: list[Outcome]) -> dict[str, Row]:
    rows: dict[str, Row] = {}
    for o in outcomes:
        row = rows.setdefault(o.case.category, Row())
        row.attempts += 1
        row.max_s = max(row.max_s, o.seconds)
        if o.crash:
            row.crashes += 1
            row.notes.append(f"{o.case.name}: crash {o.crash}")
        if o.seconds > TIME_BUDGET_S:
            row.over_time += 1
            row.notes.append(f"{o.case.name}: {o.seconds:.1f} s")
        if o.usage:
            row.usage_wrong += 1
            row.notes.append(f"{o.case.name}: usage {o.usage}")
        if any(w.startswith("misleading") for w in o.wrong):
            row.misleading += 1
        elif o.wrong:
            row.other_wrong += 1
        row.notes.extend(f"{o.case.name}: {w}" for w in o.wrong)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--notes", action="store_true", help="print what went wrong, per question")
    parser.add_argument("--cases", action="store_true", help="print each question's outcome")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    import runtime.mappers.llm as llm

    print(f"crq code measured: {Path(llm.__file__).resolve().parents[2]}")
    url = _database(args.database_url)
    before = checksum(url)
    start = time.perf_counter()
    chosen = [c for c in cases() if not args.only or c.category in args.only]
    rows = tabulate(run_cases(url, chosen, verbose=args.cases))
    unchanged = checksum(url) == before
    head = (
        f"{'category':<20} {'attempts':>8} {'crashes':>8} {'misleading':>10} {'other wrong':>11} "
        f"{'usage wrong':>11} {'over 10 s':>9} {'max s':>6}"
    )
    print(head)
    total = Row()
    for name, r in rows.items():
        print(
            f"{name:<20} {r.attempts:>8} {r.crashes:>8} {r.misleading:>10} {r.other_wrong:>11} "
            f"{r.usage_wrong:>11} {r.over_time:>9} {r.max_s:>6.1f}"
        )
        for k in ("attempts", "crashes", "misleading", "other_wrong", "usage_wrong", "over_time"):
            setattr(total, k, getattr(total, k) + getattr(r, k))
        total.max_s = max(total.max_s, r.max_s)
    t = total
    print(
        f"{'total':<20} {t.attempts:>8} {t.crashes:>8} {t.misleading:>10} {t.other_wrong:>11} "
        f"{t.usage_wrong:>11} {t.over_time:>9} {t.max_s:>6.1f}"
    )
    print(f"run time {time.perf_counter() - start:.0f} s; sample data unchanged: {unchanged}")
    if args.notes:
        for name, r in rows.items():
            for note in r.notes:
                print(f"  [{name}] {note}")
    print(
        f"hostile_attempts={total.attempts} crashes={total.crashes} misleading={total.misleading} "
        f"other_wrong={total.other_wrong} usage_wrong={total.usage_wrong} over_time={total.over_time} "
        f"data_unchanged={unchanged}"
    )


if __name__ == "__main__":
    main()
