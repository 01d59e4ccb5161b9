"""Issue 16, item 2: the LLM sees only the part of a large model a question needs.

A model of 30 providers (the shipped three tables copied per provider with its own names, synonyms,
values, metrics, segments and verified queries; ``provider_model`` below, a small generator of this
file's own) is far over strict mode's limits as a whole. Each question about one provider must get a
prompt and schema under the caps that still hold every name its intent needs; the shipped model, which
fits, is sent whole and byte-identical, so its questions map as before. ``crq validate`` and ``crq
prompt`` warn about the whole schema.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import random
import re
import subprocess
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from fake_openai import FakeOpenAI

from compiler import compile
from models.intent import Intent
from models.semantic_model import SemanticModel
from runtime.mappers.llm import LLMMapper
from runtime.mappers.llm_prompt import PromptBuilder, PromptCaps, prompt_size, question_schema, system_prompt
from runtime.mappers.llm_schema import enum_value_count, intent_to_json, reply_schema, strict_problems
from runtime.mappers.settings import LLMSettings
from runtime.usage import UsageLog
from semantic.loader import check_model_text

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "semantic" / "models" / "cloud_inventory.yaml"
CRQ = str(Path(sys.executable).parent / "crq")
AS_OF = dt.date(2026, 6, 17)
CAPS = PromptCaps()

# fictional tenants; the shipped model is the 30th provider
PROVIDERS = (
    "acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne",
    "soylent", "aperture", "vandelay", "oscorp", "gringotts", "duff", "monarch", "krusty", "pied", "dunder",
    "bluth", "sterling", "prestige", "massive", "nakatomi", "zorg", "weyland", "gekko", "ollivander",
)  # fmt: skip
# the shipped verified queries asked about one provider, in that provider's words
QUESTIONS = {
    "How many running EC2 instances are there per region?": "How many running {p} instances are there per {p} region?",
    "Top 5 accounts by cost last month": "Top 5 {p} accounts by {p} cost last month",
    "Monthly cost by service for the last 6 months": "Monthly {p} cost by {p} service for the last 6 months",
    "What share of S3 buckets are public?": "What share of {p} buckets are public?",
    "Total EBS storage in GB by environment": "Total {p} ebs storage in GB by {p} environment",
    "Cost of untagged resources in prod last month": "{p} cost of untagged resources in prod last month",
    "Average daily cost by business unit over the last 30 days":
        "{p} average daily cost by {p} business unit over the last 30 days",
    "Resources without an owner tag by team": "{p} resources without an owner tag by team",
    "Cost per resource by business unit": "{p} cost per resource by {p} business unit",
    "Which region had the highest spend this quarter?": "Which {p} region had the highest {p} spend this quarter?",
}  # fmt: skip
_OWN_VALUES = ("region", "service", "resource_type", "instance_type")  # each provider's own names
_SHARED = (
    "state",
    "environment",
    "business_unit",
    "is_public",
    "is_encrypted",
    "is_untagged",
)  # everyone's words


def provider_copy(base: dict[str, Any], p: str) -> dict[str, Any]:
    """One provider's copy of the shipped tables: names prefixed, words qualified, values its own."""
    table = {t["name"]: f"{p}_{t['name']}" for t in base["tables"]}
    metric = {m["name"]: f"{p}_{m['name']}" for m in base["metrics"]}
    segment = {s["name"]: f"{p}_{s['name']}" for s in base["segments"]}
    enums = {d["name"]: d["enum"] for t in base["tables"] for d in t.get("dimensions", []) if d.get("enum")}
    own = {d: {v: f"{p}-{v}" for v in enums[d]} for d in _OWN_VALUES}

    def dim(name: str) -> str:
        head, colon, key = name.partition(":")
        t, dot, d = head.rpartition(".")
        return f"{table[t] + '.' if dot else ''}{p}_{d}{colon}{key}"

    def value(field: str, v: Any) -> Any:
        if isinstance(v, list):
            return [value(field, x) for x in v]
        return own.get(field, {}).get(v, v)

    def words(ws: list[str]) -> list[str]:
        return [f"{p} {w}" for w in ws if not w.startswith("aws ")]

    tables = []
    for t in base["tables"]:
        t2 = copy.deepcopy(t)
        t2.update(name=table[t["name"]], table=t["name"], synonyms=words(t.get("synonyms", [])))
        if t.get("default_time_dimension"):
            t2["default_time_dimension"] = f"{p}_{t['default_time_dimension']}"
        for d in (*t2.get("dimensions", []), *t2.get("time_dimensions", [])):
            shared = d["name"] in _SHARED
            d["synonyms"] = [*(d.get("synonyms", []) if shared else []), *words(d.get("synonyms", []))]
            if d["name"] in own and d.get("enum"):
                d["enum"] = [own[d["name"]][v] for v in d["enum"]]
                d["value_synonyms"] = {
                    own[d["name"]][k]: words(ws) for k, ws in d.get("value_synonyms", {}).items()
                }
                for g in d.get("groups", {}).values():
                    g["values"] = [own[d["name"]][v] for v in g["values"]]
            if d.get("sample_values"):
                d["sample_values"] = [f"{p}-{v}" for v in d["sample_values"]]
            if d.get("untagged"):
                d["untagged"] = f"{p}_{d['untagged']}"
            if d.get("applies_to"):
                d["applies_to"] = {
                    f"{p}_{f}": [own.get(f, {}).get(v, v) for v in vs] for f, vs in d["applies_to"].items()
                }
            d["name"] = f"{p}_{d['name']}"
        tables.append(t2)
    metrics = []
    for m in base["metrics"]:
        m2 = {**copy.deepcopy(m), "name": metric[m["name"]], "synonyms": words(m.get("synonyms", []))}
        if m.get("measure"):
            t, _, measure = m["measure"].partition(".")
            m2["measure"] = f"{table[t]}.{measure}"
        for side in ("numerator", "denominator"):
            if m.get(side):
                m2[side] = metric[m[side]]
        if m.get("expr"):
            m2["expr"] = re.sub(r"\b[a-z_]+\b", lambda x: metric.get(x[0], x[0]), m["expr"])
        metrics.append(m2)

    def intent(i: dict[str, Any]) -> dict[str, Any]:
        i = copy.deepcopy(i)
        i["metrics"] = [metric[m] for m in i.get("metrics", [])]
        for d in i.get("dimensions", []):
            d["name"] = dim(d["name"])
        for f in i.get("filters", []):
            if "value" in f:
                f["value"] = value(f["field"], f["value"])
            f["field"] = metric.get(f["field"]) or dim(f["field"])
        i["segments"] = [segment[s] for s in i.get("segments", [])]
        for o in i.get("order_by", []):
            o["field"] = metric.get(o["field"]) or dim(o["field"])
        return i

    return {
        "tables": tables,
        "relationships": [
            {**r, "name": f"{p}_{r['name']}", "from": table[r["from"]], "to": table[r["to"]]}
            for r in base["relationships"]
        ],
        "metrics": metrics,
        "segments": [
            {
                **s,
                "name": segment[s["name"]],
                "synonyms": words(s.get("synonyms", [])),
                "filters": [
                    {**f, "field": dim(f["field"]), "value": value(f["field"], f["value"])}
                    for f in s["filters"]
                ],
            }
            for s in base["segments"]
        ],
        "verified_queries": [
            {"question": QUESTIONS[q["question"]].format(p=p), "intent": intent(q["intent"])}
            for q in base["verified_queries"]
        ],
    }


class _Plain(yaml.SafeDumper):
    """Every value written out: a model may not hold YAML aliases."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


@lru_cache(maxsize=4)
def provider_model(n: int) -> SemanticModel:
    """The shipped model and ``n - 1`` provider copies, loaded and validated like any model file."""
    base = yaml.safe_load(SHIPPED.read_text())
    out = copy.deepcopy(base)
    out["name"] = f"cloud_inventory_x{n}"
    out["materializations"] = []
    for p in PROVIDERS[: n - 1]:
        part = provider_copy(base, p)
        for section in ("tables", "relationships", "metrics", "segments", "verified_queries"):
            out[section] = [*out[section], *part[section]]
    model, issues = check_model_text(yaml.dump(out, Dumper=_Plain, sort_keys=False), f"x{n}.yaml")
    errors = [str(i) for i in issues if i.level == "error"]
    assert model is not None and not errors, errors[:5]
    return model


@lru_cache(maxsize=2)
def builder_for(n: int) -> PromptBuilder:
    """One builder per size for the whole module (it indexes the model once, as a mapper does)."""
    return PromptBuilder(provider_model(n))


def names_needed(intent: Intent) -> dict[str, set[str]]:
    """Per schema enum, the names an intent uses (what the part sent for its question must offer)."""
    return {
        "metrics": set(intent.metrics),
        "dimensions": {d.name for d in intent.dimensions},
        "fields": {f.field for f in intent.filters} | {o.field for o in intent.order_by},
        "segments": set(intent.segments),
    }


def names_offered(schema: dict[str, Any]) -> dict[str, set[str]]:
    props = schema["properties"]["intent"]["anyOf"][0]["properties"]
    return {
        "metrics": set(props["metrics"]["items"]["enum"]),
        "dimensions": set(props["dimensions"]["items"]["properties"]["name"]["enum"]),
        "fields": set(props["filters"]["items"]["properties"]["field"]["enum"]),
        "segments": set(props.get("segments", {}).get("items", {}).get("enum", [])),
    }


def within_caps(prompt: Any) -> None:
    assert prompt.size.fixed_tokens <= CAPS.tokens, prompt.size
    assert enum_value_count(prompt.schema) <= CAPS.enum_values
    assert strict_problems(prompt.schema) == []


# --- the shipped model is sent whole ----------------------------------------------------------------------


def test_the_shipped_model_fits_and_is_sent_whole_for_every_question(model: SemanticModel) -> None:
    """So its questions map exactly as before: the same system prompt, byte for byte, and schema."""
    builder = PromptBuilder(model)
    questions = [vq.question for vq in model.verified_queries]
    questions += ["what is the weather", "compare cost and storage by region", "and by account?"]
    for q in questions:
        sent = builder.for_question(q, model.verified_queries[0].intent)
        assert sent.whole and sent.system == system_prompt(model) and sent.schema == reply_schema(model)
    assert prompt_size(model, question="anything") == prompt_size(model)
    within_caps(builder.for_question("x"))


def test_with_small_caps_the_shipped_models_questions_keep_their_names(model: SemanticModel) -> None:
    """The choice itself, on the shipped model: caps about half its size still leave each verified
    query every name it needs (the fixed rules and schema take ~2,600 tokens of them; 3,600 since the
    intent gained units and count_groups; 3,900 and 140 enum values since average_groups)."""
    caps = PromptCaps(tokens=3900, enum_values=140)
    builder = PromptBuilder(model, caps=caps)
    assert builder.whole is None
    for vq in model.verified_queries:
        sent = builder.for_question(vq.question)
        assert not sent.whole and sent.size.fixed_tokens <= caps.tokens
        assert enum_value_count(sent.schema) <= caps.enum_values
        offered = names_offered(sent.schema)
        for kind, names in names_needed(vq.intent).items():
            assert names <= offered[kind], (vq.question, kind, names - offered[kind])


# --- 30 providers ---------------------------------------------------------------------------------------------


def test_the_whole_30x_model_breaks_strict_mode() -> None:
    big = provider_model(30)
    assert len(big.tables) == 90
    assert enum_value_count(reply_schema(big)) > 1000
    assert any("enum values, more than 1000" in p for p in strict_problems(reply_schema(big)))


@pytest.mark.parametrize("provider", [*PROVIDERS, None], ids=lambda p: p or "shipped")
def test_a_question_about_one_provider_never_loses_the_names_it_needs(provider: str | None) -> None:
    big = provider_model(30)
    builder = builder_for(30)
    prefix = f"{provider}_" if provider else ""
    examples = [vq for vq in big.verified_queries if (vq.intent.metrics[0].startswith(prefix) if provider else
                                                        vq.intent.metrics[0] in {m.name for m in big.metrics[:12]})]  # fmt: skip
    assert len(examples) == 10
    for vq in examples:
        sent = builder.for_question(vq.question)
        within_caps(sent)
        assert not sent.whole and "Only the part of the model this question seems to need" in sent.system
        offered = names_offered(sent.schema)
        for kind, names in names_needed(vq.intent).items():
            assert names <= offered[kind], (vq.question, kind, names - offered[kind])
        if provider:  # what was shown is that provider's: its tables come first among those it names
            assert any(t.startswith(provider) for t in sent.tables), (vq.question, sent.tables)


def test_the_previous_intent_stays_in_the_part() -> None:
    big = provider_model(30)
    previous = next(vq.intent for vq in big.verified_queries if vq.question.startswith("Top 5 zorg"))
    sent = builder_for(30).for_question("and only in prod?", previous)
    offered = names_offered(sent.schema)
    for kind, names in names_needed(previous).items():
        assert names <= offered[kind], (kind, names - offered[kind])
    within_caps(sent)


@pytest.mark.parametrize(
    "question",
    [
        "what is the weather",  # names nothing: the first tables, as declared
        " ".join(f"{p} cost by {p} region" for p in PROVIDERS),  # names every provider
        "running instances in prod by environment and state",  # only words every provider shares
        "cost",
        "",
    ],
    ids=["nothing", "every provider", "shared words", "one word", "empty"],
)
def test_whatever_the_question_the_part_stays_under_the_caps(question: str) -> None:
    sent = builder_for(30).for_question(question)
    within_caps(sent)
    assert sent.tables and sent.metrics


def test_the_part_is_rendered_in_declaration_order_so_the_same_part_caches() -> None:
    big = provider_model(30)
    a = builder_for(30).for_question("Top 5 hooli accounts by hooli cost last month")
    b = PromptBuilder(big).for_question("top 5 HOOLI accounts by hooli cost, last month")
    assert a.system == b.system and a.schema == b.schema
    order = [t.name for t in big.tables]
    assert list(a.tables) == sorted(a.tables, key=order.index)


def test_benchmark_entry_points_take_a_question() -> None:
    """benchmarks/model_size.py measures the part through these names (kept importable)."""
    big = provider_model(10)
    size = prompt_size(big, question="Top 5 acme accounts by acme cost last month")
    assert size.fixed_tokens <= CAPS.tokens < prompt_size(big).fixed_tokens
    assert (
        enum_value_count(question_schema(big, "Top 5 acme accounts by acme cost last month"))
        <= CAPS.enum_values
    )


def test_the_llm_mapper_sends_the_part_and_checks_the_reply_against_it(tmp_path: Path) -> None:
    big = provider_model(30)
    vq = next(vq for vq in big.verified_queries if vq.question.startswith("Monthly wonka cost"))
    other = next(vq for vq in big.verified_queries if vq.question.startswith("Monthly zorg cost"))
    settings = LLMSettings(base_url="", model="gpt-4o-mini", mapper="llm", backoff_base=0, backoff_max=0)
    with FakeOpenAI() as fake:
        mapper = LLMMapper(
            big,
            settings.model_copy(update={"base_url": fake.base_url}),
            usage_log=UsageLog(tmp_path / "usage.jsonl"),
            as_of=AS_OF,
            rng=random.Random(1),
        )

        def answer(intent: Intent) -> dict[str, Any]:
            return {"status": "answered", "follow_up": False, "intent": intent_to_json(intent, big),
                    "message": "", "suggestions": []}  # fmt: skip

        fake.content(answer(other.intent))  # a name valid in the whole model, but not shown
        fake.content(answer(vq.intent))
        mapping = mapper.map(vq.question)
        sent = fake.requests[0].body["response_format"]["json_schema"]["schema"]
        repair = fake.requests[1].messages[-1]["content"]
    assert mapping.status == "answered" and mapping.intent == vq.intent
    compile(mapping.intent, big, as_of=AS_OF)
    assert (
        sent == mapper.prompts.for_question(vq.question).schema and enum_value_count(sent) <= CAPS.enum_values
    )
    assert re.search(r"'zorg_\w+' is not one of the \d+ allowed values; did you mean 'wonka_", repair), repair
    assert "## Metrics" in fake.requests[0].messages[0]["content"]


# --- crq validate and crq prompt warn about the whole schema --------------------------------------------------


def test_validate_and_prompt_warn_when_the_whole_schema_breaks_strict_mode(tmp_path: Path) -> None:
    big = provider_model(10)
    path = tmp_path / "x10.yaml"
    path.write_text(
        yaml.safe_dump(big.model_dump(mode="json", by_alias=True, exclude_defaults=True), sort_keys=False)
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRQ_")}

    def crq(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([CRQ, *args], capture_output=True, text=True, timeout=120, env=env)

    enums = enum_value_count(reply_schema(big))
    warning = (
        f"warning: the LLM reply schema of the whole model breaks OpenAI's strict mode ({enums} enum values, "
        "more than 1000); each question is sent the part of the model it needs (at most 500 enum values)\n"
    )
    checked = crq("validate", str(path))
    assert (checked.returncode, checked.stdout.splitlines()[0], checked.stderr) == (0, f"{path}: ok", warning)
    sized = crq("prompt", "--model", str(path))
    assert sized.returncode == 0 and sized.stderr == warning and "tokens fixed per call" in sized.stdout
    one = crq("prompt", "--model", str(path), "--question", "Top 5 acme accounts by acme cost last month")
    assert one.returncode == 0 and "the part for this question: acme_accounts" in one.stdout
    shipped = crq("validate")
    assert shipped.returncode == 0 and shipped.stderr == ""


def test_the_reply_schema_of_a_part_round_trips_its_examples() -> None:
    """Examples shown in a part are verified queries whose every name the part offers."""
    sent = builder_for(30).for_question("Which gekko region had the highest gekko spend this quarter?")
    examples = re.findall(r"^Reply: (.*)$", sent.system, flags=re.M)
    assert 1 <= len(examples) <= CAPS.examples
    offered = names_offered(sent.schema)
    for text in examples:
        intent = json.loads(text)["intent"]
        assert set(intent["metrics"]) <= offered["metrics"]
