"""Issue 15: the LLM path against a hostile or broken endpoint, through the local fake OpenAI server.

One section per defect of the issue (refusals, malformed replies, the schema, sizes, cost accounting,
deadlines, repairs, the model's prose, the fallback), each a regression test; then the suite that
runs every category of ``benchmarks/llm_hostile.py`` through ``Service.ask`` on the sample database
and asserts no crash, the answer or clarify it should be, one sane usage line per call, the data
unchanged and the run time bounded. The fake server listens on 127.0.0.1 only.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, load_fixture
from pydantic import ValidationError

from compiler.render import Params
from models.errors import UserError
from models.intent import MAX_FILTER_VALUES, MAX_FILTERS, Intent
from models.responses import Mapping
from models.semantic_model import SemanticModel
from runtime.database import Database
from runtime.mappers.factory import HybridMapper
from runtime.mappers.llm import MAX_ECHO_CHARS, LLMMapper
from runtime.mappers.offline import OfflineMapper
from runtime.mappers.settings import LLMSettings
from runtime.service import Service
from runtime.usage import MAX_TOKENS_PER_CALL, UsageLog

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
import llm_hostile  # noqa: E402  (the hostile replies, shared with the benchmark)

AS_OF = dt.date(2026, 6, 17)
CRQ = str(Path(sys.executable).parent / "crq")
QUESTION = "cost by region last month"
GOOD_JSON: dict[str, Any] = {  # the intent of QUESTION in the reply's shape
    **llm_hostile.GOOD_INTENT,
    "metrics": ["cost"],
    "time_range": llm_hostile.MONTH,
}
GOOD = llm_hostile.reply(GOOD_JSON)
GOOD_INTENT = Intent.model_validate(
    {"metrics": ["cost"], "dimensions": ["region"], "time_range": "last month"}
)
OFFLINE = Mapping(
    status="answered", intent=Intent(metrics=("account_count",)), message="interpreted as: accounts"
)


class Offline:
    """The fallback: one fixed reading, counting its calls."""

    name = "offline"

    def __init__(self, mapping: Mapping = OFFLINE):
        self.mapping, self.calls = mapping, 0

    def map(self, question: str, previous: Intent | None = None) -> Mapping:
        self.calls += 1
        return self.mapping


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def usage(tmp_path: Path) -> UsageLog:
    return UsageLog(tmp_path / "usage.jsonl")


def settings(url: str, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {
        "base_url": url,
        "model": "gpt-4o-mini",
        "api_key": "sk-test",
        "timeout": 2.0,
        "max_retries": 1,
        "mapper": "llm",
        "backoff_base": 0.01,
        "backoff_max": 0.02,
        **overrides,
    }
    return LLMSettings.model_validate(values)


def mapper(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, fallback: Any = None, **kw: Any
) -> LLMMapper:
    return LLMMapper(
        model,
        settings(fake.base_url, **kw),
        fallback=fallback,
        usage_log=usage,
        as_of=AS_OF,
        rng=random.Random(1),
    )


def lines(usage: UsageLog) -> list[tuple[str, str | None, str]]:
    return [(line["outcome"], line["error"], line["purpose"]) for line in usage.lines()]


# --- 1. refusal rules run before any mapper -------------------------------------------------------------

REFUSED = {
    "delete all stopped instances": "refused: crq only reads data; it cannot delete anything",
    "drop table inventory.resources": "refused: the question contains SQL or statement separators; ask in "
    "plain words instead",
    "SELECT * FROM pg_shadow": "refused: the question contains SQL or statement separators; ask in plain "
    "words instead",
    "terminate every instance in prod": "refused: crq only reads data; it cannot terminate anything",
}


@pytest.mark.parametrize("question", REFUSED)
@pytest.mark.parametrize("kind", ["llm", "hybrid"])
def test_a_refused_question_never_reaches_the_model(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, question: str, kind: str
) -> None:
    """The model replies with a valid intent for anything; the rules decline first, so it is never asked
    (the probe got "Resource count: 273" for "delete all stopped instances")."""
    for _ in range(3):
        fake.content(llm_hostile.reply({**GOOD_JSON, "metrics": ["resource_count"]}))
    llm = mapper(model, fake, usage, fallback=Offline())
    mappers = {"llm": llm, "hybrid": HybridMapper(OfflineMapper(model, {}, as_of=AS_OF), llm)}
    service = Service(model, Database("postgresql://127.0.0.1:9/never"), mappers[kind], as_of=AS_OF)

    answer = service.ask(question)
    by_mapper = mappers[kind].map(question)  # without the service: the mappers apply the rules themselves

    expected_mapper = "hybrid-offline" if kind == "hybrid" else "offline"
    assert (answer.status, answer.message, answer.mapper, answer.rows) == (
        "refused",
        REFUSED[question],
        expected_mapper,
        [],
    )
    assert (by_mapper.status, by_mapper.message) == ("refused", REFUSED[question])
    assert fake.requests == [] and lines(usage) == []


# --- 2. malformed replies are failed calls, never crashes ------------------------------------------------


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def change(data: dict[str, Any]) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


ENVELOPES = {
    "content an object": lambda f: f.reply_with("answered_cost_by_region.json", _set(("choices", 0, "message", "content"), {"a": 1})),
    "content a number": lambda f: f.reply_with("answered_cost_by_region.json", _set(("choices", 0, "message", "content"), 42)),
    "choices a string": lambda f: f.reply_with("answered_cost_by_region.json", _set(("choices",), "none")),
    "choices [null]": lambda f: f.reply_with("answered_cost_by_region.json", _set(("choices",), [None])),
    "refusal a list": lambda f: f.reply_with("answered_cost_by_region.json", _set(("choices", 0, "message", "refusal"), ["no"])),
    "truncated JSON body": lambda f: f.raw(200, json.dumps(load_fixture("answered_cost_by_region.json")).encode()[:300]),
    "100,000-deep arrays": lambda f: f.raw(200, b"[" * 100_000 + b"]" * 100_000),
    "5,000-digit integer": lambda f: f.raw(200, b'{"choices": ' + b"7" * 5000 + b"}"),
    "not UTF-8": lambda f: f.raw(200, b'{"choices": "\xff\xfe"}'),
    "HTML from a proxy": lambda f: f.raw(200, b"<html>502 Bad Gateway</html>"),
    "over 256 kB": lambda f: f.content("x" * 300_000),
}  # fmt: skip


@pytest.mark.parametrize("play", ENVELOPES.values(), ids=ENVELOPES.keys())
def test_a_malformed_envelope_is_retried_then_the_offline_mapper_answers(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, play: Any
) -> None:
    play(fake)
    play(fake)
    fallback = Offline()
    mapping = mapper(model, fake, usage, fallback=fallback).map(QUESTION)

    assert mapping.status == "answered" and mapping.intent == OFFLINE.intent and fallback.calls == 1
    assert mapping.mapper == "offline-fallback"
    assert mapping.note.startswith("LLM unavailable (") and mapping.note.endswith(
        "); answered by the offline mapper"
    )
    assert len(fake.requests) == 2  # the first try and one retry (CRQ_LLM_MAX_RETRIES=1)
    kinds = {line[1] for line in lines(usage)}
    assert [line[0] for line in lines(usage)] == ["retry", "error"] and kinds <= {"bad_reply", "too_large"}
    assert fake.pending == 0


CONTENTS = {
    "truncated JSON": json.dumps(GOOD)[:120],
    "100,000-deep arrays": "[" * 100_000 + "]" * 100_000,
    "5,000-digit integer": '{"status": "answered", "intent": {"limit": ' + "9" * 5000 + "}}",
    "NaN": json.dumps(GOOD).replace('"limit": null', '"limit": NaN'),
    "Infinity": json.dumps(GOOD).replace('"limit": null', '"limit": Infinity'),
    "prose": "Sure! Total cost last month was $1,234.",
    "a list": "[1, 2]",
    "empty": "",
}


@pytest.mark.parametrize("content", CONTENTS.values(), ids=CONTENTS.keys())
def test_an_unreadable_reply_is_repaired_then_the_offline_mapper_answers(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, content: str
) -> None:
    for _ in range(3):
        fake.content(content)
    mapping = mapper(model, fake, usage, fallback=Offline()).map(QUESTION)

    assert (mapping.status, mapping.intent, mapping.mapper) == (
        "answered",
        OFFLINE.intent,
        "offline-fallback",
    )
    assert mapping.note == "LLM unavailable (invalid_reply); answered by the offline mapper"
    assert lines(usage) == [
        ("invalid", "invalid_reply", "map"),
        ("invalid", "invalid_reply", "repair"),
        ("invalid", "invalid_reply", "repair"),
    ]
    assert all(
        r.messages[-1]["content"].startswith("Your reply could not be used: ") for r in fake.requests[1:]
    )


@pytest.mark.parametrize(
    ("status", "body"),
    [(500, b"[" * 100_000 + b"]" * 100_000), (429, b'{"error": ' + b"1" * 5000 + b"}"), (503, b"\xff" * 10)],
    ids=["500 deep", "429 huge number", "503 not UTF-8"],
)
def test_hostile_error_bodies_are_failed_calls(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, status: int, body: bytes
) -> None:
    fake.raw(status, body)
    fake.raw(status, body)
    mapping = mapper(model, fake, usage, fallback=Offline()).map(QUESTION)
    kind = "rate_limit" if status == 429 else f"http_{status}"
    assert mapping.note == f"LLM unavailable ({kind}); answered by the offline mapper"
    assert lines(usage) == [("retry", kind, "map"), ("error", kind, "map")]


# --- 3. replies are checked against the schema that was sent ---------------------------------------------

BROKEN = {
    "tag key with a newline": (
        {**GOOD, "intent": {**GOOD["intent"], "dimensions": [{"name": "tag:owner\n", "grain": None}]}},
        "$.intent.dimensions[0].name: 'tag:owner\\n' is not one of the 28 allowed values; did you mean 'tag:owner'?",
    ),
    "a property the schema does not have": (
        {**GOOD, "intent": {**GOOD["intent"], "having": "cost > 0"}},
        "$.intent: properties not in the schema: 'having'",
    ),
    "a top-level property": ({**GOOD, "sql": "SELECT 1"}, "$: properties not in the schema: 'sql'"),
    "a string for a number": (
        {**GOOD, "intent": {**GOOD["intent"], "limit": "5"}},
        "$.intent.limit: must be integer or null, not a string",
    ),
    "a string for a list": (
        {**GOOD, "intent": {**GOOD["intent"], "metrics": "cost"}},
        "$.intent.metrics: must be array, not a string",
    ),
    "a float for an integer": (
        {**GOOD, "intent": {**GOOD["intent"], "time_range": {**GOOD["intent"]["time_range"], "n": 1.5}}},
        "$.intent.time_range.n: must be integer or null, not a number",
    ),
    "a grain outside the enum": (
        {**GOOD, "intent": {**GOOD["intent"], "dimensions": [{"name": "usage_date", "grain": "hour"}]}},
        "$.intent.dimensions[0].grain: 'hour' is not one of the 5 allowed values",
    ),
    "follow_up a string": ({**GOOD, "follow_up": "yes"}, "$.follow_up: must be boolean, not a string"),
    "51 filters": (
        {**GOOD, "intent": {**GOOD["intent"], "filters": [{"field": "account_name", "op": "=", "value": "x"}] * 51}},
        "$.intent.filters: 51 items, at most 50",
    ),
    "1,001 values": (
        {**GOOD, "intent": {**GOOD["intent"], "filters": [{"field": "account_name", "op": "in", "value": ["a"] * 1001}]}},
        "$.intent.filters[0].value: 1001 items, at most 1000",
    ),
    "a value of 5,000 characters": (
        {**GOOD, "intent": {**GOOD["intent"], "filters": [{"field": "account_name", "op": "=", "value": "v" * 5000}]}},
        "$.intent.filters[0].value: a text of 5000 characters, at most 1000",
    ),
}  # fmt: skip


@pytest.mark.parametrize(("reply", "error"), BROKEN.values(), ids=BROKEN.keys())
def test_a_reply_that_breaks_the_schema_is_a_repair_not_an_answer(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, reply: dict[str, Any], error: str
) -> None:
    fake.content(reply)
    fake.content(GOOD)
    mapping = mapper(model, fake, usage).map(QUESTION)

    assert (mapping.status, mapping.intent) == ("answered", GOOD_INTENT)
    assert fake.requests[1].messages[-1]["content"] == (
        f"Your reply could not be used: the reply does not follow the schema: {error}. Reply again."
    )
    assert lines(usage) == [("invalid", "invalid_reply", "map"), ("ok", None, "repair")]


def test_suggestions_that_are_not_text_are_dropped_not_repaired(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    fake.content(
        llm_hostile.reply(None, "clarify", "Which cost?", [None, 5, {"x": 1}, "cost by region", "  "])
    )
    mapping = mapper(model, fake, usage).map("how much?")
    assert (mapping.status, mapping.suggestions) == ("clarify", ("cost by region",))
    assert len(fake.requests) == 1


# --- 4. sizes: parameter naming is linear, intents are capped everywhere -------------------------------------


class _CountingDict(dict):  # type: ignore[type-arg]
    lookups = 0

    def __contains__(self, key: object) -> bool:
        _CountingDict.lookups += 1
        return super().__contains__(key)


def test_parameter_naming_is_linear_in_the_number_of_values() -> None:
    """Names stay as before (hint, hint_2, ...; one name per equal value and type) but each ``add``
    looks up a constant number of names: 4,000 values of one hint used to scan 8 million."""
    params = Params()
    params.values = _CountingDict()
    _CountingDict.lookups = 0
    placeholders = [params.add("account name", f"a{i}") for i in range(4000)]
    assert _CountingDict.lookups <= 2 * 4000
    assert [p.this for p in placeholders[:3]] == ["account_name", "account_name_2", "account_name_3"]
    assert params.add("account name", "a1").this == "account_name_2"  # the same value, the same name
    assert (
        params.add("x", 1).this == "x"
        and params.add("x", 1.0).this == "x_2"
        and params.add("x", True).this == "x_3"
    )
    assert params.add("x", [1, 2]).this == "x_4" and params.add("x", [1, 2]).this == "x_4"
    assert params.add("x 2", 0).this == "x_2_2"  # "x_2" is taken by another hint's value
    assert len(params.values) == 4000 + 5


CAPS = {
    "metrics": ({"metrics": ["cost"] * 21}, "metrics", "at most 20 metrics per intent, not 21"),
    "dimensions": ({"dimensions": ["region"] * 21}, "dimensions", "at most 20 dimensions per intent, not 21"),
    "filters": ({"filters": [{"field": "region", "value": "x"}] * 51}, "filters",
                "at most 50 filters per intent, not 51"),
    "values": ({"filters": [{"field": "region", "op": "in", "value": ["x"] * 1001}]}, "filters",
               "filters[0] on 'region': at most 1000 values, not 1001"),
    "characters": ({"filters": [{"field": "region", "value": "x" * 1001}]}, "filters",
                   "filters[0] on 'region': a value of 1001 characters; at most 1000"),
    "segments": ({"segments": ["untagged"] * 21}, "segments", "at most 20 segments per intent, not 21"),
    "order_by": ({"order_by": [{"field": "cost"}] * 21}, "order_by", "at most 20 order_by per intent, not 21"),
    "share part": ({"share": {"part": [{"field": "region", "value": "x"}] * 51}}, "share",
                   "at most 50 share.part filters per intent, not 51"),
}  # fmt: skip


@pytest.mark.parametrize(("data", "field", "message"), CAPS.values(), ids=CAPS.keys())
def test_an_intent_over_a_cap_names_the_field_and_the_limit(
    data: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as e:
        Intent.model_validate({"metrics": ["cost"], **data})
    (error,) = e.value.errors()
    assert (error["loc"], error["msg"]) == ((field,), message)


def test_at_the_caps_an_intent_compiles(model: SemanticModel) -> None:
    from compiler import compile

    values = [f"acct-{i}" for i in range(MAX_FILTER_VALUES)]
    intent = Intent.model_validate(
        {
            "metrics": ["cost"],
            "filters": [{"field": "account_name", "op": "in", "value": values}] * MAX_FILTERS,
        }
    )
    compiled = compile(intent, model, as_of=AS_OF)
    assert compiled.params["account_name"] == values and len(compiled.params) == 1  # one name, reused


def test_the_cli_and_the_api_refuse_an_intent_over_a_cap(sample_url: str, tmp_path: Path) -> None:
    over = {"metrics": ["cost"], "filters": [{"field": "account_name", "value": "x"}] * 51}
    path = tmp_path / "intent.json"
    path.write_text(json.dumps(over))
    p = subprocess.run([CRQ, "compile", "--intent", str(path)], capture_output=True, text=True, timeout=60)
    assert (p.returncode, p.stderr.strip()) == (
        2,
        "crq: filters: at most 50 filters per intent, not 51",
    )

    from runtime.aws import api
    from semantic import load_model
    from semantic.access import load_policy

    event = json.loads((ROOT / "tests/fixtures/aws/events/apiGatewayProxyV2Event.json").read_text())
    event["requestContext"]["authorizer"] = {
        "jwt": {"claims": {"sub": "alice", "cognito:groups": "[finops]"}}
    }
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/v1/query"
    event["requestContext"]["http"]["method"] = "POST"
    event["rawQueryString"], event["queryStringParameters"], event["isBase64Encoded"] = "", None, False
    event["body"] = json.dumps({"intent": over, "as_of": str(AS_OF)})
    model = load_model()
    policy = load_policy(ROOT / "tests/fixtures/access/api_policy.yaml", model)
    api.use_container(api.Container(model, sample_url, policy=policy))
    try:
        result = api.handler(event, _Context())
    finally:
        api.use_container(None)
    body = json.loads(result["body"])
    assert result["statusCode"] == 422
    assert body["error"]["message"] == "intent.filters: at most 50 filters per intent, not 51"


class _Context:
    function_name, memory_limit_in_mb, aws_request_id = "crq", 1024, "req-caps"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:crq"


# --- 5. cost accounting does not trust the endpoint's counts ---------------------------------------------

ABSURD = {
    "Infinity": {"prompt_tokens": math.inf},
    "NaN": {"completion_tokens": math.nan},
    "a string": {"prompt_tokens": "lots"},
    "a list": {"completion_tokens": [1, 2]},
    "10^400": {"prompt_tokens": 10**400},
    "1e30": {"prompt_tokens": 1e30, "completion_tokens": 1e30},
    "-1e9": {"prompt_tokens": -(10**9)},
    "true": {"completion_tokens": True},
}


@pytest.mark.parametrize("counts", ABSURD.values(), ids=ABSURD.keys())
def test_impossible_token_counts_are_estimated_and_the_answer_kept(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, counts: dict[str, Any]
) -> None:
    fake.reply_with("answered_cost_by_region.json", lambda d: d["usage"].update(counts))
    mapping = mapper(model, fake, usage).map(QUESTION)
    assert (mapping.status, mapping.intent) == ("answered", GOOD_INTENT)
    (line,) = usage.lines()
    assert line["tokens_estimated"] is True and line["outcome"] == "ok"
    sent = len(json.dumps(fake.requests[0].body["response_format"])) + sum(
        len(m["content"]) for m in fake.requests[0].messages
    )
    content = load_fixture("answered_cost_by_region.json")["choices"][0]["message"]["content"]
    prompt = 3912 if "prompt_tokens" not in counts else math.ceil(sent / 4)
    output = 118 if "completion_tokens" not in counts else math.ceil(len(content) / 4)
    assert (line["prompt_tokens"], line["completion_tokens"]) == (prompt, output)
    assert line["cached_tokens"] == (3840 if prompt >= 3840 else 0)
    assert 0 < line["cost_usd"] < 0.01


def test_cached_tokens_above_the_prompt_are_not_believed(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    fake.reply_with(
        "answered_cost_by_region.json",
        lambda d: d["usage"]["prompt_tokens_details"].update(cached_tokens=10**12),
    )
    mapper(model, fake, usage).map(QUESTION)
    (line,) = usage.lines()
    assert (line["prompt_tokens"], line["cached_tokens"], line["tokens_estimated"]) == (3912, 0, True)


def test_usage_totals_leave_impossible_lines_out(tmp_path: Path) -> None:
    """Lines an older crq wrote with the endpoint's claims (1e30 tokens, 7.5e23 USD, -675 USD) are
    left out, so one bad line cannot make ``crq usage`` report 1.5e293 USD forever."""
    log = UsageLog(tmp_path / "usage.jsonl")
    log.record(
        model="m", outcome="ok", prompt_tokens=1000, completion_tokens=10, cost_usd=0.002, latency_ms=5
    )
    with log.path.open("a") as f:
        for bad in (
            {"prompt_tokens": 1e30, "cost_usd": 7.5e23},
            {"prompt_tokens": -1e9, "cost_usd": -675.0},
            {"completion_tokens": "NaN"},
            {"cost_usd": 1.5e293},
        ):
            f.write(
                json.dumps({"ts": "2026-06-17T00:00:00+00:00", "model": "m", "outcome": "ok", **bad}) + "\n"
            )
    summary = log.summarize()
    assert (summary.total.calls, summary.total.prompt_tokens, summary.total.rejected_lines) == (1, 1000, 4)
    assert summary.total.cost_usd == pytest.approx(0.002)
    assert "4 lines with impossible numbers left out of the totals" in summary.to_text()
    assert summary.as_dict()["total"]["rejected_lines"] == 4


def test_a_price_must_be_finite(tmp_path: Path) -> None:
    prices = tmp_path / "prices.json"
    prices.write_text('{"m": {"input": Infinity, "output": 1}}')
    with pytest.raises(UserError, match="CRQ_LLM_PRICES: price of 'm'"):
        LLMSettings.from_env({"CRQ_LLM_PRICES": str(prices)})


# --- 6. deadlines, not per-read timeouts --------------------------------------------------------------------


@pytest.mark.parametrize("headers", [False, True], ids=["body", "headers"])
def test_a_reply_trickled_at_one_byte_a_second_is_cut_at_the_deadline(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, headers: bool
) -> None:
    """Each byte arrives within the per-read timeout, so only a deadline stops it (the probe waited
    14.8 s with a 2 s timeout for a body sent at 1 byte/s, and used the reply)."""
    for _ in range(2):  # a byte every 0.1 s: each read returns well within the 0.6 s per-read timeout
        fake.trickle(seconds_per_byte=0.1, first=40, headers=headers)
    start = time.monotonic()
    mapping = mapper(model, fake, usage, fallback=Offline(), timeout=0.6).map(QUESTION)
    elapsed = time.monotonic() - start

    assert mapping.note == "LLM unavailable (deadline); answered by the offline mapper"
    assert elapsed < 2 * (0.6 + 0.25) + 1.0  # two calls, each cut at its deadline (plus slack for a busy CI)
    assert lines(usage) == [("retry", "deadline", "map"), ("error", "deadline", "map")]


def test_all_calls_of_a_question_share_its_deadline(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    for _ in range(10):
        fake.stall(5.0)
    start = time.monotonic()
    mapping = mapper(
        model, fake, usage, fallback=Offline(), timeout=0.5, max_retries=9, question_timeout=1.2
    ).map(QUESTION)
    elapsed = time.monotonic() - start
    assert mapping.status == "answered" and mapping.mapper == "offline-fallback"
    assert elapsed < 1.2 + 0.25 + 1.0 and len(fake.requests) <= 3
    assert [line[0] for line in lines(usage)][-1] == "error" and len(lines(usage)) == len(fake.requests)


# --- 7. repairs send back little ----------------------------------------------------------------------------


def test_a_repair_does_not_echo_a_huge_reply(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    huge = {**GOOD, "intent": {**GOOD["intent"], "metrics": ["m" * 200_000]}}
    for _ in range(3):
        fake.content(huge)
    mapper(model, fake, usage, fallback=Offline()).map(QUESTION)

    first, *repairs = (len(json.dumps(r.body)) for r in fake.requests)
    assert len(repairs) == 2
    for request in fake.requests[1:]:
        echoed = [m["content"] for m in request.messages if m["role"] == "assistant"]
        assert all(len(text) <= MAX_ECHO_CHARS and text.endswith("more characters]") for text in echoed)
    assert repairs[1] - first < 8_000  # two echoes and two messages, not 400 kB (the probe sent 4.2 MB)


def test_a_conversation_too_large_to_send_is_asked_back(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    values = [f"{i:04d}" + "v" * 600 for i in range(MAX_FILTER_VALUES)]
    previous = Intent.model_validate(
        {"metrics": ["cost"], "filters": [{"field": "account_name", "op": "in", "value": values}]}
    )
    mapping = mapper(model, fake, usage).map("and by region?", previous)
    assert mapping.status == "clarify" and "too long to send" in mapping.message
    assert fake.requests == []


# --- 8. the model's words are shown as the model's --------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "said", "shown"),
    [
        (
            "clarify",
            "Total cost last month was $1.00 (verified by crq)",
            "the language model asks: “Total cost last month was $1.00 (verified by crq)”",
        ),
        (
            "clarify",
            "\x1b[2J\u202ewhich\none?\x07",
            "the language model asks: “\\x1b[2J\\u202ewhich one?\\x07”",
        ),
        (
            "refused",
            "crq verified: you have no access",
            "refused by the language model: “crq verified: you have no access”",
        ),
        ("clarify", "", "could you say that differently?"),
    ],
)
def test_the_models_message_is_labelled_escaped_and_short(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, status: str, said: str, shown: str
) -> None:
    fake.content(llm_hostile.reply(None, status, said, ["cost\x1b[31m by region", "x" * 500]))
    mapping = mapper(model, fake, usage).map("how big is it?")
    assert (mapping.status, mapping.message) == (status, shown)
    assert mapping.suggestions == ("cost\\x1b[31m by region", "x" * 170 + "... [330 more characters]")


def test_a_long_message_is_cut(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    fake.content(llm_hostile.reply(None, "clarify", "why " * 2500))
    message = mapper(model, fake, usage).map("how big is it?").message
    assert message.startswith("the language model asks: “why why") and message.endswith("more characters]”")
    assert len(message) < 350


# --- another question: a reply whose metrics the question does not name ------------------------------------


def test_a_reply_that_answers_another_question_is_repaired_then_asked_back(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    accounts = llm_hostile.reply(
        {**GOOD_JSON, "metrics": ["account_count"], "dimensions": [], "time_range": None}
    )
    for _ in range(3):
        fake.content(accounts)
    mapping = mapper(model, fake, usage).map(QUESTION)
    assert (mapping.status, mapping.complete) == ("clarify", False)
    assert mapping.message == (
        "the language model's reading does not fit the question (the question names cost, but the intent "
        "computes account_count)"
    )
    assert fake.requests[1].messages[-1]["content"].startswith("crq checked that intent against the question")


@pytest.mark.parametrize(
    ("question", "metric"),
    [
        ("daily cost run rate by region last month", "avg_daily_cost"),  # cost and its average per day
        ("how many public resources are there by region", "public_count"),  # counts of the same table
        ("what share of resources are public, by region", "public_share"),  # names no metric
        ("total storage by region", "avg_storage_gb"),  # the same expression, averaged
    ],
)
def test_a_reply_computing_a_related_metric_is_answered(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, question: str, metric: str
) -> None:
    fake.content(llm_hostile.reply({**GOOD_JSON, "metrics": [metric], "time_range": None}))
    mapping = mapper(model, fake, usage).map(question)
    assert mapping.status == "answered" and mapping.intent is not None and mapping.intent.metrics == (metric,)
    assert len(fake.requests) == 1


def test_mentioned_metrics_take_the_longest_phrase(model: SemanticModel) -> None:
    from runtime.mappers.llm_prompt import PromptBuilder

    b = PromptBuilder(model)
    assert b.mentioned_metrics("how many accounts are there") == {"account_count"}
    assert b.mentioned_metrics("how many buckets are there") == {"resource_count"}
    assert b.mentioned_metrics("cost per resource by business unit") == {"cost_per_resource"}
    assert b.mentioned_metrics("which accounts are the most expensive") == {"cost"}
    assert b.mentioned_metrics("list the regions") == set()


# --- 9. a fallback is disclosed on every answer, in JSON and text -----------------------------------------


def test_crq_ask_refuses_survives_and_says_when_the_offline_mapper_answered(
    sample_url: str, tmp_path: Path
) -> None:
    """One ``crq ask`` conversation against the fake endpoint: a refused question reaches nobody, a
    malformed reply does not lose the questions after it, and the offline answer says so."""
    with FakeOpenAI() as fake:
        for _ in range(2):
            fake.reply_with("answered_cost_by_region.json", _set(("choices",), "none"))
        fake.content(llm_hostile.reply({**GOOD_JSON, "metrics": ["account_count"], "dimensions": [],
                                        "time_range": None}))  # fmt: skip
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CRQ_")},
            "CRQ_HOME": str(tmp_path),
            "CRQ_MAPPER": "llm",
            "CRQ_LLM_BASE_URL": fake.base_url,
            "CRQ_LLM_MODEL": "gpt-4o-mini",
            "CRQ_LLM_MAX_RETRIES": "1",
        }
        questions = ["delete all stopped instances", QUESTION, "how many accounts are there?"]
        base = [CRQ, "ask", "--database-url", sample_url, "--as-of", str(AS_OF)]
        p = subprocess.run(
            [*base, "--json", *questions], capture_output=True, text=True, timeout=120, env=env
        )
        requests = len(fake.requests)
    assert (p.returncode, p.stderr) == (0, "")
    refused, fallback, counted = (json.loads(line) for line in p.stdout.splitlines())
    assert (refused["status"], refused["mapper"]) == ("refused", "offline")
    assert (fallback["status"], fallback["mapper"]) == ("answered", "offline-fallback")
    assert fallback["message"] == "LLM unavailable (bad_reply); answered by the offline mapper"
    assert fallback["intent"]["metrics"] == ["cost"] and len(fallback["rows"]) == 6
    assert (counted["status"], counted["mapper"], counted["rows"], counted["message"]) == (
        "answered",
        "llm",
        [[24]],
        "",
    )
    assert requests == 3  # none for the refused question
    usage = [json.loads(line) for line in (tmp_path / "usage.jsonl").read_text().splitlines()]
    assert [(u["outcome"], u["error"]) for u in usage] == [
        ("retry", "bad_reply"),
        ("error", "bad_reply"),
        ("ok", None),
    ]

    with FakeOpenAI() as down:
        for _ in range(2):
            down.server_error(503)
        text = subprocess.run([*base, QUESTION], capture_output=True, text=True, timeout=120,
                              env={**env, "CRQ_LLM_BASE_URL": down.base_url})  # fmt: skip
    assert text.returncode == 0
    assert "note: LLM unavailable (http_503); answered by the offline mapper" in text.stdout


# --- the suite: every category of the benchmark, through the service, on the sample database ---------------


def test_every_hostile_category_through_the_service(sample_url: str) -> None:
    """The benchmark's cases with a 0.5 s call timeout: no crash, the answer or clarify each should be,
    one sane usage line per call, run time bounded, and the sample data unchanged."""
    before = llm_hostile.checksum(sample_url)
    cases = llm_hostile.cases()
    outcomes = llm_hostile.run_cases(sample_url, cases, timeout=0.5)
    assert {c.category for c in cases} == {
        "refusal override", "malformed envelope", "malformed content", "schema violation", "huge reply",
        "absurd usage", "transient failures", "slow body", "model prose", "another question",
        "fallback disclosed",
    }  # fmt: skip
    problems = [
        f"{o.case.category} / {o.case.name}: {o.crash or ''} {o.usage} {'; '.join(o.wrong)}"
        for o in outcomes
        if o.crash or o.usage or o.wrong
    ]
    assert problems == []
    slow = [(o.case.name, round(o.seconds, 1)) for o in outcomes if o.seconds > 4 * 0.5 + 1.5]
    assert slow == []
    assert llm_hostile.checksum(sample_url) == before


def test_the_hybrid_mapper_keeps_its_offline_reading_when_replies_are_unusable(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    reading = Mapping(status="answered", intent=GOOD_INTENT, complete=False, message="interpreted as: cost")
    for _ in range(3):
        fake.content("not json")
    mapping = HybridMapper(Offline(reading), mapper(model, fake, usage)).map("cost by regoin last month")
    assert (mapping.mapper, mapping.note) == (
        "hybrid-offline",
        "LLM unavailable (invalid_reply); read by the offline mapper",
    )


def test_usage_counts_stay_within_bounds_whatever_is_recorded(tmp_path: Path) -> None:
    log = UsageLog(tmp_path / "usage.jsonl")
    line = log.record(model="m", outcome="ok", prompt_tokens=10**30, completion_tokens=-5, cost_usd=math.inf)
    assert (line["prompt_tokens"], line["completion_tokens"], line["cost_usd"]) == (0, 0, None)
    assert MAX_TOKENS_PER_CALL == 10_000_000
    assert copy.deepcopy(line) == json.loads(log.path.read_text())
