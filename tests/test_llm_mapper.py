"""The LLM mapper against a local OpenAI-compatible server (``fake_openai``), through the real SDK.

No network beyond 127.0.0.1; backoff is recorded instead of slept, and the one timeout test uses
0.2 s timeouts, so the module runs in about a second.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, closed_port_url, load_fixture

from compiler import compile
from models.errors import UserError
from models.intent import Intent
from models.responses import Mapping
from models.semantic_model import Metric, SemanticModel
from runtime.mappers.factory import HybridMapper, build_mapper
from runtime.mappers.llm import LLMMapper, backoff_delay, retry_after_seconds
from runtime.mappers.llm_prompt import estimate_tokens, prompt_size, system_prompt
from runtime.mappers.llm_schema import (
    SCHEMA_NAME,
    ReplyError,
    dimension_names,
    intent_to_json,
    parse_reply,
    reply_schema,
    strict_problems,
)
from runtime.mappers.offline import OfflineMapper
from runtime.mappers.settings import DEFAULT_PRICES, LLMSettings, Price
from runtime.usage import METRICS, UsageLog, failed_calls_by_kind

AS_OF = dt.date(2026, 6, 17)


# --- helpers -------------------------------------------------------------------------------------------


class StubMapper:
    """A fallback / offline stand-in that answers one fixed mapping and counts its calls."""

    name = "offline"

    def __init__(self, mapping: Mapping):
        self.mapping = mapping
        self.calls = 0

    def map(self, question: str, previous: Intent | None = None) -> Mapping:
        self.calls += 1
        return self.mapping


OFFLINE_ANSWER = Mapping(status="answered", intent=Intent(metrics=("cost",)), message="interpreted as: cost")


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def usage(tmp_path: Path) -> UsageLog:
    return UsageLog(tmp_path / "usage.jsonl")


def settings_for(url: str, **overrides: Any) -> LLMSettings:
    values: dict[str, Any] = {
        "base_url": url,
        "model": "gpt-4o-mini",
        "api_key": "sk-test",
        "timeout": 2.0,
        "max_retries": 3,
        "mapper": "llm",
        "backoff_base": 0.01,
        "backoff_max": 0.05,
    }
    values.update(overrides)
    return LLMSettings.model_validate(values)


def make_mapper(
    model: SemanticModel,
    url: str,
    usage: UsageLog,
    *,
    fallback: Any = None,
    sleeps: list[float] | None = None,
    **overrides: Any,
) -> LLMMapper:
    record = sleeps if sleeps is not None else []
    return LLMMapper(
        model,
        settings_for(url, **overrides),
        fallback=fallback,
        usage_log=usage,
        as_of=AS_OF,
        sleep=record.append,
        rng=random.Random(7),
    )


def lines(usage: UsageLog) -> list[dict[str, Any]]:
    return list(usage.lines())


# --- happy path ------------------------------------------------------------------------------------------


def test_question_becomes_an_intent_that_compiles(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    fake.reply("answered_cost_by_region.json")
    mapping = make_mapper(model, fake.base_url, usage).map("What did we spend per region last month?")

    assert (mapping.status, mapping.mapper) == ("answered", "llm")
    assert mapping.intent is not None
    assert mapping.intent.metrics == ("cost",)
    assert [d.name for d in mapping.intent.dimensions] == ["region"]
    assert mapping.message == "interpreted as: cost by region, last month"
    compiled = compile(mapping.intent, model, as_of=AS_OF)
    assert compiled.params["usage_date_start"] == dt.date(2026, 5, 1)

    (request,) = fake.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer sk-test"
    body = request.body
    assert body["model"] == "gpt-4o-mini"
    assert body["temperature"] == 0
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": SCHEMA_NAME, "strict": True, "schema": reply_schema(model)},
    }
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][1]["content"].endswith("Question: What did we spend per region last month?")


def test_follow_up_keeps_the_previous_intent(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    mapper = make_mapper(model, fake.base_url, usage)
    fake.reply("answered_cost_by_region.json")
    first = mapper.map("cost by region last month")
    assert first.intent is not None
    fake.reply("answered_follow_up_prod.json")
    second = mapper.map("now only in production", first.intent)

    assert second.intent is not None
    assert second.intent.previous == first.intent
    assert [f.field for f in second.intent.filters] == ["environment"]
    context = fake.requests[1].messages[1]["content"]
    assert (
        "Previous intent of this conversation: "
        + json.dumps(intent_to_json(first.intent, model), separators=(", ", ": "))
        in context
    )


def test_segments_and_top_n_replies_compile(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    mapper = make_mapper(model, fake.base_url, usage)
    for fixture in ("answered_top_accounts.json", "answered_untagged_storage.json"):
        fake.reply(fixture)
        mapping = mapper.map("question")
        assert mapping.status == "answered" and mapping.intent is not None, mapping.message
        compile(mapping.intent, model, as_of=AS_OF)
    assert len(fake.requests) == 2


def test_shares_and_skipped_periods_come_through_the_schema(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    """ "Which 3 services had the largest prod share of spend the week before last?": a share with a
    part and a period that skips the latest week are both expressible in the strict schema."""
    fake.reply("answered_share_week_before_last.json")
    mapping = make_mapper(model, fake.base_url, usage).map("prod share of spend by service, week before last")
    assert mapping.status == "answered" and mapping.intent is not None, mapping.message
    assert mapping.intent.share is not None and mapping.intent.share.part[0].field == "environment"
    assert mapping.intent.time_range is not None and mapping.intent.time_range.skip == 1
    compiled = compile(mapping.intent, model, as_of=AS_OF)
    assert (compiled.params["usage_date_start"], compiled.params["usage_date_end"]) == (
        dt.date(2026, 6, 1),
        dt.date(2026, 6, 7),
    )
    assert "cost_share DESC" in compiled.sql


def test_clarify_and_refusals_pass_through(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    mapper = make_mapper(model, fake.base_url, usage)
    fake.reply("clarify_ambiguous.json")
    fake.reply("refused_write.json")
    fake.reply("refusal_field.json")

    clarify = mapper.map("how big is it?")
    assert clarify.status == "clarify" and clarify.intent is None
    # the model's words, labelled as such (issue 15: never shown as crq's own)
    assert (
        clarify.message == "the language model asks: “Do you mean the number of resources or what they cost?”"
    )
    assert clarify.suggestions == ("resource count by region", "cost by region last month")
    refused = mapper.map("what will the weather be in Dublin tomorrow?")
    assert refused.status == "refused"
    assert (
        refused.message
        == "refused by the language model: “crq only answers questions; it cannot terminate instances.”"
    )
    provider_refusal = mapper.map("something the provider refuses")
    assert provider_refusal.status == "refused"
    assert (
        provider_refusal.message
        == "refused by the language model: “I'm sorry, I can't help with that request.”"
    )
    assert len(fake.requests) == 3


def test_empty_and_overlong_questions_cost_no_call(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    mapper = make_mapper(model, fake.base_url, usage)
    assert mapper.map("   ").status == "clarify"
    assert mapper.map("cost " * 1000).status == "refused"
    assert fake.requests == []


# --- the schema ------------------------------------------------------------------------------------------


def test_schema_enums_come_from_the_model(model: SemanticModel) -> None:
    extra = Metric(name="carbon_kg", measure="resources.resource_count", description="Estimated CO2 in kg.")
    changed = model.model_copy(update={"metrics": (*model.metrics, extra)})

    before, after = reply_schema(model), reply_schema(changed)
    intent = after["properties"]["intent"]["anyOf"][0]["properties"]
    assert (
        "carbon_kg"
        not in before["properties"]["intent"]["anyOf"][0]["properties"]["metrics"]["items"]["enum"]
    )
    assert "carbon_kg" in intent["metrics"]["items"]["enum"]
    assert "carbon_kg" in intent["filters"]["items"]["properties"]["field"]["enum"]  # metric filters (HAVING)
    assert "carbon_kg" in intent["order_by"]["items"]["properties"]["field"]["enum"]
    assert "Estimated CO2 in kg." in system_prompt(changed)

    dims = intent["dimensions"]["items"]["properties"]["name"]["enum"]
    assert dims == dimension_names(model)
    assert {"region", "usage_date", "created_at", "tag:owner", "tag:cost-center", "resources.region"} <= set(
        dims
    )
    assert "tag" not in dims  # a tags dimension is only usable with a key
    assert intent["segments"]["items"]["enum"] == [s.name for s in model.segments]
    assert intent["dimensions"]["items"]["properties"]["grain"]["anyOf"][0]["enum"] == [
        "day",
        "week",
        "month",
        "quarter",
        "year",
    ]
    assert "not in" in intent["filters"]["items"]["properties"]["op"]["enum"]
    time_range = intent["time_range"]["anyOf"][0]["properties"]
    assert time_range["dimension"]["anyOf"][0]["enum"] == ["created_at", "usage_date"]
    assert after["properties"]["status"]["enum"] == ["answered", "clarify", "refused"]


def test_a_model_without_segments_has_no_segments_property(model: SemanticModel) -> None:
    bare = model.model_copy(update={"segments": ()})
    intent = reply_schema(bare)["properties"]["intent"]["anyOf"][0]
    assert "segments" not in intent["properties"]
    assert strict_problems(reply_schema(bare)) == []


def _objects(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every object schema in ``node`` (an independent walk, not the module's own checker)."""
    if isinstance(node, dict):
        types = node.get("type")
        if types == "object" or (isinstance(types, list) and "object" in types):
            yield path, node
        for key, value in node.items():
            yield from _objects(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _objects(value, f"{path}[{i}]")


def test_schema_follows_openai_strict_mode_rules(model: SemanticModel) -> None:
    schema = reply_schema(model)
    assert schema["type"] == "object" and "anyOf" not in schema
    objects = list(_objects(schema))
    assert len(objects) >= 6  # reply, intent, dimension, filter, time range, order by
    for path, obj in objects:
        assert obj["additionalProperties"] is False, path
        assert sorted(obj["required"]) == sorted(obj["properties"]), path
    text = json.dumps(schema)
    for keyword in ('"pattern"', '"format"', '"minimum"', '"maxLength"', '"$ref"', '"default"'):
        assert keyword not in text
    assert strict_problems(schema) == []


def test_strict_checker_catches_violations() -> None:
    broken = {
        "type": "object",
        "properties": {
            "a": {"type": "object", "properties": {"b": {"type": "string", "pattern": "x"}}, "required": []}
        },
        "required": ["a"],
        "additionalProperties": False,
    }
    problems = strict_problems(broken)
    assert "$.a: additionalProperties must be false" in problems
    assert "$.a: every property must be required" in problems
    assert "$.a.b: keyword 'pattern' is not allowed in strict mode" in problems


def test_reply_parsing_errors_are_written_for_the_model() -> None:
    with pytest.raises(ReplyError, match="not valid JSON"):
        parse_reply('{"status": "answered", ')
    with pytest.raises(ReplyError, match="status must be one of"):
        parse_reply('{"status": "maybe"}')
    with pytest.raises(ReplyError, match="needs an intent object"):
        parse_reply('{"status": "answered", "intent": null, "message": "", "suggestions": []}')
    with pytest.raises(ReplyError, match="needs a non-empty list"):
        parse_reply(
            json.dumps(
                {
                    "status": "answered",
                    "intent": {
                        "metrics": ["cost"],
                        "filters": [{"field": "region", "op": "in", "value": "eu-west-1"}],
                    },
                }
            )
        )
    fenced = parse_reply(
        '```json\n{"status": "clarify", "intent": null, "message": "which?", "suggestions": []}\n```'
    )
    assert fenced.status == "clarify" and fenced.message == "which?"


def test_intent_round_trips_through_the_reply_shape(model: SemanticModel) -> None:
    intent = Intent.model_validate(
        {
            "metrics": ["cost"],
            "dimensions": ["usage_date__month", "tag:team"],
            "filters": [
                {"field": "region", "op": "in", "value": ["eu-west-1", "eu-central-1"]},
                {"field": "cost", "op": ">", "value": 100},
            ],
            "segments": ["production"],
            "time_range": "last 3 months",
            "order_by": [{"field": "cost", "direction": "desc"}],
            "limit": 5,
            "share": {"part": [{"field": "environment", "value": "prod"}]},
        }
    )
    reply = json.dumps(
        {
            "status": "answered",
            "follow_up": False,
            "intent": intent_to_json(intent, model),
            "message": "",
            "suggestions": [],
        }
    )
    assert parse_reply(reply).intent == intent


# --- the prompt ------------------------------------------------------------------------------------------


def test_prompt_prefix_is_identical_across_questions(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    mapper = make_mapper(model, fake.base_url, usage)
    fake.reply("answered_cost_by_region.json")
    fake.reply("answered_top_accounts.json")
    fake.reply("answered_follow_up_prod.json")
    first = mapper.map("cost by region last month")
    mapper.map("top 5 accounts by cost last month")
    mapper.map("only prod", first.intent)

    systems = {r.messages[0]["content"] for r in fake.requests}
    assert len(systems) == 1
    system = systems.pop()
    assert system == system_prompt(model)
    for r in fake.requests:  # what changes per call (question, date) stays out of the cached prefix
        content = r.messages[0]["content"]
        assert "cost by region last month" not in content and "only prod" not in content
        assert AS_OF.isoformat() not in content
    assert fake.requests[0].messages[1]["content"].startswith("Today is 2026-06-17 (Wednesday).")
    schemas = {json.dumps(r.body["response_format"], sort_keys=True) for r in fake.requests}
    assert len(schemas) == 1
    # the fixed part describes the model: names, synonyms, values, segments
    for needle in (
        "avg_daily_cost",
        "burn rate",
        "eu-central-1",
        "unattached_volumes",
        "tag:cost-center",
        "prod = production",
    ):
        assert needle in system


def test_verified_queries_become_few_shot_examples(model: SemanticModel) -> None:
    from models.semantic_model import VerifiedQuery

    vq = VerifiedQuery(
        question="Monthly cost in prod",
        intent=Intent.model_validate(
            {"metrics": ["cost"], "dimensions": ["usage_date__month"], "segments": ["production"]}
        ),
    )
    prompt = system_prompt(model.model_copy(update={"verified_queries": (vq,)}))
    assert "Question: Monthly cost in prod" in prompt
    example = prompt.split("Question: Monthly cost in prod\nReply: ", 1)[1].splitlines()[0]
    assert parse_reply(example).intent == vq.intent


def test_known_values_are_listed_for_dimensions_without_an_enum(model: SemanticModel) -> None:
    prompt = system_prompt(model, {"account_name": ["payments-prod", "zeta-dev"], "tag:team": ["sre", "ml"]})
    assert "zeta-dev" in prompt and "- tag:team" in prompt and "sre, ml" in prompt


def test_prompt_size_is_an_estimate_without_network(model: SemanticModel) -> None:
    size = prompt_size(model)
    assert estimate_tokens("abcd" * 10) == 10
    assert size.system_tokens == estimate_tokens(system_prompt(model))
    assert 1000 < size.fixed_tokens < 8000
    assert "estimate" in str(size)


# --- retries, timeouts, fallback ---------------------------------------------------------------------


def test_retries_with_backoff_and_jitter_then_success(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    sleeps: list[float] = []
    fake.rate_limit(retry_after=2)
    fake.server_error(500)
    fake.server_error(503)
    fake.reply("answered_cost_by_region.json")
    mapping = make_mapper(model, fake.base_url, usage, sleeps=sleeps, backoff_base=0.5, backoff_max=8).map(
        "cost by region"
    )

    assert mapping.status == "answered" and mapping.mapper == "llm"
    assert len(fake.requests) == 4
    assert sleeps[0] == 2.0  # Retry-After honoured
    assert 0 <= sleeps[1] <= 0.5 * 2**1 and 0 <= sleeps[2] <= 0.5 * 2**2  # full jitter, growing caps
    assert [(line["outcome"], line["error"]) for line in lines(usage)] == [
        ("retry", "rate_limit"),
        ("retry", "http_500"),
        ("retry", "http_503"),
        ("ok", None),
    ]
    assert [line["attempt"] for line in lines(usage)] == [1, 2, 3, 4]


def test_backoff_is_exponential_full_jitter_and_capped() -> None:
    rng = random.Random(1)
    for attempt in range(8):
        samples = [backoff_delay(attempt, 0.5, 8.0, rng) for _ in range(200)]
        cap = min(8.0, 0.5 * 2**attempt)
        assert all(0 <= s <= cap for s in samples)
        assert max(samples) > cap * 0.8 and min(samples) < cap * 0.2  # spread over the whole range


def test_retry_after_headers() -> None:
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": "3"}) == 3.0
    assert retry_after_seconds({}) is None
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert 25 < (retry_after_seconds({"retry-after": future}) or 0) <= 30


def test_a_retry_after_longer_than_allowed_gives_up(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    fake.rate_limit(retry_after=120, ms=True)
    fallback = StubMapper(OFFLINE_ANSWER)
    mapping = make_mapper(model, fake.base_url, usage, fallback=fallback).map("cost")
    assert mapping.message.startswith("LLM unavailable (rate_limit); answered by the offline mapper")
    assert len(fake.requests) == 1


def test_timeout_retries_then_falls_back_to_offline(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the HTTP client's own timeout must fire first: on a busy machine the waiting side's grace (a
    # quarter second) can run out before the call's thread is scheduled, and that is a "deadline"
    monkeypatch.setattr("runtime.mappers.llm._GRACE", 5.0)
    fake.slow(1.0)
    fake.slow(1.0)
    fallback = StubMapper(OFFLINE_ANSWER)
    mapping = make_mapper(model, fake.base_url, usage, fallback=fallback, timeout=0.2, max_retries=1).map(
        "cost by region last month"
    )

    assert mapping.status == "answered" and mapping.intent == OFFLINE_ANSWER.intent
    assert mapping.mapper == "offline-fallback"
    assert (
        mapping.message == "LLM unavailable (timeout); answered by the offline mapper; interpreted as: cost"
    )
    assert fallback.calls == 1 and len(fake.requests) == 2
    assert [(line["outcome"], line["error"]) for line in lines(usage)] == [
        ("retry", "timeout"),
        ("error", "timeout"),
    ]


def test_unreachable_endpoint_falls_back(model: SemanticModel, usage: UsageLog) -> None:
    before = failed_calls_by_kind().get("connection", 0)
    fallback = StubMapper(OFFLINE_ANSWER)
    mapping = make_mapper(model, closed_port_url(), usage, fallback=fallback, max_retries=2).map("cost")
    assert mapping.message.startswith("LLM unavailable (connection); answered by the offline mapper")
    assert failed_calls_by_kind()["connection"] == before + 3


def test_other_4xx_is_not_retried(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    fake.client_error(401)
    mapping = make_mapper(model, fake.base_url, usage, fallback=StubMapper(OFFLINE_ANSWER)).map("cost")
    assert len(fake.requests) == 1
    assert mapping.message.startswith("LLM unavailable (http_401); answered by the offline mapper")
    assert [line["outcome"] for line in lines(usage)] == ["error"]


def test_without_a_fallback_the_user_is_told(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    fake.server_error(500)
    mapping = make_mapper(model, fake.base_url, usage, max_retries=0).map("cost")
    assert mapping.status == "clarify" and mapping.message.startswith("LLM unavailable (http_500)")


# --- repairs -----------------------------------------------------------------------------------------------


def test_malformed_json_gets_a_repair_attempt(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    fake.reply("malformed_json.json")
    fake.reply("answered_cost_by_region.json")
    mapping = make_mapper(model, fake.base_url, usage).map("cost by region last month")

    assert mapping.status == "answered"
    repair = fake.requests[1].messages
    assert repair[:2] == fake.requests[0].messages  # the cached prefix and the question are kept
    assert repair[2] == {
        "role": "assistant",
        "content": load_fixture("malformed_json.json")["choices"][0]["message"]["content"],
    }
    assert repair[3]["role"] == "user" and "not valid JSON" in repair[3]["content"]
    assert [line["purpose"] for line in lines(usage)] == ["map", "repair"]


def test_invented_names_break_the_schema_then_the_offline_mapper_answers(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    """A name outside the enums (a non-strict endpoint can send one) fails the local check of the schema
    crq sent: a repair each time, then the offline mapper answers and says why (issue 15)."""
    for _ in range(3):
        fake.reply("invented_metric.json")
    fallback = StubMapper(OFFLINE_ANSWER)
    mapping = make_mapper(model, fake.base_url, usage, fallback=fallback).map(
        "carbon footprint by region last month"
    )

    assert len(fake.requests) == 3  # the first try and two repairs
    for request in fake.requests[1:]:
        assert request.messages[-1]["content"] == (
            "Your reply could not be used: the reply does not follow the schema: $.intent.metrics[0]: "
            "'carbon_footprint' is not one of the 12 allowed values. Reply again."
        )
    assert (mapping.status, mapping.mapper, mapping.intent) == (
        "answered",
        "offline-fallback",
        OFFLINE_ANSWER.intent,
    )
    assert mapping.note == "LLM unavailable (invalid_reply); answered by the offline mapper"
    assert [(line["outcome"], line["error"], line["purpose"]) for line in lines(usage)] == [
        ("invalid", "invalid_reply", "map"),
        ("invalid", "invalid_reply", "repair"),
        ("invalid", "invalid_reply", "repair"),
    ]


def test_values_the_compiler_rejects_get_its_error_then_clarify(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    for _ in range(3):
        fake.reply("invented_value.json")
    mapping = make_mapper(model, fake.base_url, usage).map("how many resources are in production-eu?")

    assert len(fake.requests) == 3
    for request in fake.requests[1:]:
        assert request.messages[-1]["content"].startswith(
            "crq could not compile that intent: filters[0]: 'production-eu' is not a value of environment"
        )
    assert (mapping.status, mapping.mapper, mapping.complete) == ("clarify", "llm", False)
    assert mapping.message.startswith(
        "I could not build that query: filters[0]: 'production-eu' is not a value"
    )
    assert mapping.suggestions == ("prod", "staging", "dev", "sandbox")
    assert [line["outcome"] for line in lines(usage)] == ["ok", "ok", "ok"]


@pytest.mark.parametrize(
    ("fixture", "error"),
    [
        (
            "invented_dimension.json",
            "$.intent.dimensions[0].name: 'datacenter' is not one of the 28 allowed values",
        ),
        ("invented_value.json", "'production-eu' is not a value of environment"),
    ],
)
def test_a_repair_can_fix_the_intent(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, fixture: str, error: str
) -> None:
    fake.reply(fixture)
    fake.reply("answered_cost_by_region.json")
    mapping = make_mapper(model, fake.base_url, usage).map("question")
    assert mapping.status == "answered"
    assert error in fake.requests[1].messages[-1]["content"]


def test_repair_attempts_are_configurable(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    fake.reply("invented_metric.json")
    mapping = make_mapper(model, fake.base_url, usage, repair_attempts=0).map("carbon")
    assert mapping.status == "clarify" and len(fake.requests) == 1


# --- usage -------------------------------------------------------------------------------------------------


def test_usage_lines_have_tokens_cost_and_latency(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    fake.reply("answered_cost_by_region.json")
    fake.reply("answered_top_accounts.json", model="my-local-model")
    mapper = make_mapper(model, fake.base_url, usage)
    mapper.map("cost by region")
    (line,) = lines(usage)
    assert line["model"] == "gpt-4o-mini"
    assert (line["prompt_tokens"], line["completion_tokens"], line["cached_tokens"]) == (3912, 118, 3840)
    price = DEFAULT_PRICES["gpt-4o-mini"]
    expected = ((3912 - 3840) * price.input + 3840 * (price.cached_input or 0) + 118 * price.output) / 1e6
    assert line["cost_usd"] == pytest.approx(expected)
    assert line["latency_ms"] > 0 and line["outcome"] == "ok"
    dt.datetime.fromisoformat(line["ts"])

    unpriced = LLMMapper(
        model, settings_for(fake.base_url, model="my-local-model"), usage_log=usage, as_of=AS_OF
    )
    unpriced.map("top 5 accounts")
    assert lines(usage)[-1]["cost_usd"] is None


def test_summarize_totals_per_model_and_day(tmp_path: Path) -> None:
    log = UsageLog(tmp_path / "nested" / "usage.jsonl")
    day1 = dt.datetime(2026, 6, 16, 10, tzinfo=dt.UTC)
    day2 = dt.datetime(2026, 6, 17, 10, tzinfo=dt.UTC)
    log.record(
        model="gpt-4o-mini",
        outcome="ok",
        prompt_tokens=1000,
        completion_tokens=100,
        cached_tokens=800,
        cost_usd=0.001,
        latency_ms=500,
        now=day1,
    )
    log.record(model="gpt-4o-mini", outcome="retry", error="rate_limit", latency_ms=20, now=day1)
    log.record(
        model="gpt-4o-mini",
        outcome="ok",
        prompt_tokens=2000,
        completion_tokens=50,
        cost_usd=0.002,
        latency_ms=300,
        now=day2,
    )
    log.record(model="llama3", outcome="ok", prompt_tokens=500, completion_tokens=10, cost_usd=None, now=day2)
    log.record(model="llama3", outcome="error", error="timeout", latency_ms=200, now=day2)
    with log.path.open("a") as f:
        f.write("not json\n")

    summary = log.summarize()
    assert summary.total.calls == 5 and summary.total.failed_calls == 2
    assert summary.total.prompt_tokens == 3500 and summary.total.cached_tokens == 800
    assert summary.total.cost_usd == pytest.approx(0.003)
    assert summary.by_model["gpt-4o-mini"].calls == 3 and summary.by_model["gpt-4o-mini"].failed_calls == 1
    assert summary.by_model["llama3"].unpriced_calls == 1
    assert summary.rows[("2026-06-16", "gpt-4o-mini")].completion_tokens == 100
    assert summary.rows[("2026-06-17", "gpt-4o-mini")].cost_usd == pytest.approx(0.002)
    assert dict(summary.failures) == {"rate_limit": 1, "timeout": 1}
    data = summary.as_dict()
    assert data["total"]["failed_calls"] == 2 and len(data["days"]) == 3
    assert log.summarize(since=dt.date(2026, 6, 17)).total.calls == 3
    text = summary.to_text()
    assert "failed calls: rate_limit 1, timeout 1" in text and "+?" in text
    assert UsageLog(tmp_path / "none.jsonl").summarize().to_text() == "no LLM calls recorded"


def test_usage_log_defaults_to_crq_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CRQ_HOME", str(tmp_path))
    log = UsageLog()
    log.record(model="m", outcome="error", error="timeout")
    assert (tmp_path / "usage.jsonl").exists()
    assert METRICS["llm.failed.timeout"] >= 1


# --- hybrid and the factory ----------------------------------------------------------------------------


def test_hybrid_saves_calls_when_offline_is_complete(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog
) -> None:
    offline = StubMapper(OFFLINE_ANSWER)
    hybrid = HybridMapper(offline, make_mapper(model, fake.base_url, usage))
    saved_before = METRICS["hybrid.saved_calls"]
    for _ in range(3):
        mapping = hybrid.map("cost")
        assert mapping.mapper == "hybrid-offline" and mapping.intent == OFFLINE_ANSWER.intent
    assert hybrid.saved_calls == 3 and METRICS["hybrid.saved_calls"] == saved_before + 3
    assert fake.requests == [] and lines(usage) == []


@pytest.mark.parametrize(
    "offline_reading",
    [
        OFFLINE_ANSWER.model_copy(
            update={"complete": False, "message": "interpreted as: cost (ignored: carbon)"}
        ),
        Mapping(status="clarify", message="I am not sure what you mean", complete=False),
    ],
)
def test_hybrid_asks_the_llm_otherwise(
    model: SemanticModel, fake: FakeOpenAI, usage: UsageLog, offline_reading: Mapping
) -> None:
    fake.reply("answered_cost_by_region.json")
    hybrid = HybridMapper(StubMapper(offline_reading), make_mapper(model, fake.base_url, usage))
    mapping = hybrid.map("carbon and cost by region last month")
    assert mapping.mapper == "hybrid-llm" and mapping.status == "answered"
    assert hybrid.saved_calls == 0 and hybrid.llm_questions == 1 and len(fake.requests) == 1


def test_hybrid_keeps_the_offline_reading_when_the_llm_is_down(model: SemanticModel, usage: UsageLog) -> None:
    reading = OFFLINE_ANSWER.model_copy(update={"complete": False})
    offline = StubMapper(reading)
    hybrid = HybridMapper(offline, make_mapper(model, closed_port_url(), usage, max_retries=0))
    mapping = hybrid.map("cost and carbon")
    assert offline.calls == 1 and mapping.mapper == "hybrid-offline"
    # "read", not "answered": the reading is incomplete, so the service asks the user back
    assert mapping.message == "LLM unavailable (connection); read by the offline mapper; interpreted as: cost"
    assert mapping.note == "LLM unavailable (connection); read by the offline mapper"


def test_build_mapper_picks_the_kind(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    base = settings_for(fake.base_url)
    assert isinstance(build_mapper(model, {}, base.model_copy(update={"mapper": "offline"})), OfflineMapper)
    llm = build_mapper(model, {}, base, AS_OF, usage_log=usage)
    assert isinstance(llm, LLMMapper) and isinstance(llm.fallback, OfflineMapper)
    hybrid = build_mapper(model, {}, base.model_copy(update={"mapper": "hybrid"}), AS_OF, usage_log=usage)
    assert isinstance(hybrid, HybridMapper)
    with pytest.raises(UserError, match="CRQ_MAPPER=llm needs CRQ_LLM_MODEL"):
        build_mapper(model, {}, LLMSettings(mapper="llm"))


def test_hybrid_with_the_real_offline_mapper(model: SemanticModel, fake: FakeOpenAI, usage: UsageLog) -> None:
    settings = settings_for(fake.base_url, mapper="hybrid")
    hybrid = build_mapper(model, {}, settings, AS_OF, usage_log=usage)
    assert isinstance(hybrid, HybridMapper)
    mapping = hybrid.map("cost by region last month")
    assert mapping.status == "answered" and mapping.mapper == "hybrid-offline"
    assert fake.requests == []


# --- settings ----------------------------------------------------------------------------------------------


def test_settings_from_env(tmp_path: Path) -> None:
    assert LLMSettings.from_env({}).mapper == "offline"
    env = {
        "CRQ_LLM_BASE_URL": "http://127.0.0.1:9/v1",
        "CRQ_LLM_MODEL": "gpt-4o-mini-2024-07-18",
        "CRQ_LLM_API_KEY": "sk-secret",
        "CRQ_LLM_TIMEOUT": "12.5",
        "CRQ_LLM_MAX_RETRIES": "5",
    }
    s = LLMSettings.from_env(env)
    assert (s.mapper, s.timeout, s.max_retries) == ("llm", 12.5, 5)
    assert "sk-secret" not in repr(s)
    assert s.price_for("gpt-4o-mini-2024-07-18") == DEFAULT_PRICES["gpt-4o-mini"]
    assert s.price_for("gpt-4o-2024-08-06") == DEFAULT_PRICES["gpt-4o"]
    assert s.price_for("llama3") is None
    assert LLMSettings.from_env({**env, "CRQ_MAPPER": "hybrid"}).mapper == "hybrid"
    assert LLMSettings.from_env({"CRQ_LLM_MODEL": "gpt-4o"}).mapper == "offline"
    with pytest.raises(UserError, match="CRQ_MAPPER must be offline, llm or hybrid"):
        LLMSettings.from_env({"CRQ_MAPPER": "magic"})
    with pytest.raises(UserError, match="CRQ_LLM_TIMEOUT must be a number"):
        LLMSettings.from_env({"CRQ_LLM_TIMEOUT": "soon"})
    with pytest.raises(UserError, match="invalid LLM settings: timeout"):
        LLMSettings.from_env({"CRQ_LLM_TIMEOUT": "-1"})

    prices = tmp_path / "prices.json"
    prices.write_text(json.dumps({"llama3": {"input": 0, "output": 0}, "gpt-4o-mini": [1, 2]}))
    s = LLMSettings.from_env({**env, "CRQ_LLM_PRICES": str(prices)})
    assert s.price_for("llama3") == Price(input=0, output=0)
    assert s.cost("gpt-4o-mini", 1_000_000, 1_000_000) == 3.0
    assert s.price_for("gpt-4o") == DEFAULT_PRICES["gpt-4o"]
    prices.write_text('{"x": {"input": "free"}}')
    with pytest.raises(UserError, match="CRQ_LLM_PRICES: price of 'x'"):
        LLMSettings.from_env({"CRQ_LLM_PRICES": str(prices)})
    with pytest.raises(UserError, match="cannot read"):
        LLMSettings.from_env({"CRQ_LLM_PRICES": str(tmp_path / "missing.json")})
