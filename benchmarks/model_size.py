"""Start-up and prompt size as the semantic model grows: the shipped model, and 3x, 10x and 30x copies.

    .venv/bin/python benchmarks/model_size.py [--sizes 1,3,10,30] [--runs 3] [--cold-sizes 1,10] [--no-ask]
    .venv/bin/python benchmarks/model_size.py --write-model PATH [--size 30] [--copies-first]

A variant of size N is the shipped model plus N-1 copies of its three tables, one per (fictional)
provider, each with its own names, synonyms, enum values, metrics, segments, verified queries and
views, all valid (``scaled_model``). Some words are shared on purpose, as in a real estate that
spans clouds: lifecycle states ("running"), environments ("prod"), business units, regional groups
("europe"), tag keys ("owner") and yes/no words ("public"); everything else a copy names is its own
("azure instances", "gcp region"). The copies read the same physical tables (``table:``), so every
variant runs on the sample database. Tests get the models with --write-model, in a subprocess:
Hypothesis draws examples from the literals of every non-test module a session has imported, so
importing this one into pytest would change the examples of every property test.

Per size, measured in this process (median of a few runs; build and load start cold each time):
  * mapper build: ``OfflineMapper(model, values)``, which builds the vocabulary and the catalog;
  * load + validate: ``check_model_text`` on the YAML text (parse, schema, every rule);
  * the precompiled artefact (``runtime/model_artefact.py``, when the tree has it): its size, reading
    it (digest, unpickling: the model and the mapper's words), and reading it then building the
    mapper with the values (what remains of load + validate + mapper build);
  * first compile: one compile on a fresh model (its catalog, the views it considers, the SQL);
  * the LLM prompt's fixed tokens and the reply schema's enum values (OpenAI's strict mode allows
    1,000), from the public builders in ``runtime/mappers/llm_prompt.py`` and ``llm_schema.py`` for
    the whole model; when those offer a per-question subset, the same figures for one question;
  * `crq ask`, one question, wall time of a fresh process (sample database, embedded PostgreSQL under
    $CRQ_HOME/bench-size, seed 42, scale 1, loaded once and reused), each process with a CRQ_HOME of
    its size: the first run with nothing cached (no model artefact, no shared known values), then the
    median of the next ones (what an analyst waits from the second question on); skipped with --no-ask.
Per size of --cold-sizes, a cold start in a fresh process (median of --runs): the interpreter, the
API handler's imports (``runtime.aws.api``), the model loaded as the container loads it, and the
offline mapper built with the values: from the YAML, and from the artefact beside it.
Last line (the artefact figures after issue 16's keys, '-' where the tree has no artefact):
    size30_mapper_build_ms= size30_load_ms= size30_prompt_tokens= size30_enum_values= size30_ask_s=
    size30_ask_first_s= size30_artefact_load_ms= size10_cold_start_yaml_ms= size10_cold_start_artefact_ms=
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import gc
import inspect
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SHIPPED = ROOT / "semantic" / "models" / "cloud_inventory.yaml"
AS_OF = dt.date(2026, 6, 17)
ASK_QUESTION = "how many running ec2 instances per account"

# Fictional tenants of 29 providers; names only, nothing here claims how a real provider names things.
PROVIDERS: tuple[str, ...] = (
    "azure", "gcp", "oci", "ibm", "alibaba", "digitalocean", "linode", "hetzner", "ovh", "vultr",
    "scaleway", "rackspace", "tencent", "huawei", "upcloud", "exoscale", "ionos", "akamai", "equinix",
    "civo", "kamatera", "contabo", "openstack", "vmware", "nutanix", "heroku", "cloudflare", "fastly",
    "backblaze",
)  # fmt: skip
MAX_SIZE = len(PROVIDERS) + 1

# What each shipped service is, in words a provider-neutral catalogue would use.
_SERVICE_KINDS = {
    "ec2": ("compute", ["compute", "vm service"]),
    "ebs": ("disk", ["disk service", "block storage"]),
    "s3": ("object", ["object storage", "blob storage"]),
    "rds": ("sql", ["managed sql", "sql service"]),
    "lambda": ("functions", ["functions service", "serverless"]),
    "elb": ("lb", ["load balancing"]),
    "dynamodb": ("nosql", ["nosql service", "document database"]),
    "eks": ("k8s", ["kubernetes service", "kubernetes"]),
}
_TYPE_WORDS = {  # resource type -> the provider's words for it (qualified with the provider's name)
    "ec2:instance": ["instance", "instances", "vm", "vms", "server", "servers"],
    "ebs:volume": ["volume", "volumes", "disk", "disks"],
    "s3:bucket": ["bucket", "buckets"],
    "rds:db-instance": ["database", "databases", "db instance", "db instances"],
    "lambda:function": ["function", "functions"],
    "elb:load-balancer": ["load balancer", "load balancers"],
    "dynamodb:table": ["nosql table", "nosql tables"],
    "eks:cluster": ["cluster", "clusters"],
}
_SHARED_DIMENSION_SYNONYMS = {"state", "environment", "is_public", "is_encrypted", "is_untagged", "tag"}


def shipped_model() -> dict[str, Any]:
    return yaml.safe_load(SHIPPED.read_text())


def scaled_model(n: int, *, copies_first: bool = False) -> dict[str, Any]:
    """The shipped model with ``n - 1`` provider copies of its tables (``n`` = 1 is the shipped model).

    ``copies_first`` declares the copies before the shipped tables, metrics, segments and views: a
    reading must not depend on which was declared first."""
    if not 1 <= n <= MAX_SIZE:
        raise ValueError(f"size {n}: between 1 and {MAX_SIZE}")
    base = shipped_model()
    copies = [_provider_copy(base, p) for p in PROVIDERS[: n - 1]]
    out = copy.deepcopy(base)
    out["name"] = base["name"] if n == 1 else f"{base['name']}_x{n}"
    for section in ("tables", "relationships", "metrics", "segments", "verified_queries", "materializations"):
        theirs = [item for c in copies for item in c[section]]
        out[section] = [*theirs, *base[section]] if copies_first else [*base[section], *theirs]
    return out


def scaled_model_text(n: int, *, copies_first: bool = False) -> str:
    header = f"# The shipped model and {n - 1} provider copies (benchmarks/model_size.py).\n"
    data = scaled_model(n, copies_first=copies_first)
    return header + yaml.dump(data, Dumper=_NoAliases, sort_keys=False, width=110, allow_unicode=True)


class _NoAliases(yaml.SafeDumper):
    """Every value written out: crq's loader refuses YAML aliases (E007)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _provider_copy(base: dict[str, Any], p: str) -> dict[str, Any]:
    """One provider's copy: every name prefixed with ``p``, words qualified, values its own."""
    tables = {t["name"]: f"{p}_{t['name']}" for t in base["tables"]}
    dims = {d["name"]: f"{p}_{d['name']}" for t in base["tables"] for d in t.get("dimensions", [])}
    dims.update({d["name"]: f"{p}_{d['name']}" for t in base["tables"] for d in t.get("time_dimensions", [])})
    metrics = {m["name"]: f"{p}_{m['name']}" for m in base["metrics"]}
    segments = {s["name"]: f"{p}_{s['name']}" for s in base["segments"]}
    values = _value_map(p, base)

    def dim_name(name: str) -> str:
        base_name, colon, key = name.partition(":")
        if "." in base_name:  # table.dimension
            t, _, d = base_name.partition(".")
            return f"{tables[t]}.{dims[d]}{colon}{key}"
        return f"{dims[base_name]}{colon}{key}"

    def value(field: str, v: Any) -> Any:
        if isinstance(v, list):
            return [value(field, x) for x in v]
        return values.get(field.partition(":")[0], {}).get(v, v) if isinstance(v, str) else v

    def intent(i: dict[str, Any]) -> dict[str, Any]:
        i = copy.deepcopy(i)
        i["metrics"] = [metrics[m] for m in i.get("metrics", [])]
        for d in i.get("dimensions", []):
            d["name"] = dim_name(d["name"])
        for f in i.get("filters", []):
            f["value"] = value(f["field"], f.get("value")) if "value" in f else None
            f["field"] = metrics.get(f["field"]) or dim_name(f["field"])
            if f["value"] is None:
                del f["value"]
        i["segments"] = [segments[s] for s in i.get("segments", [])]
        for o in i.get("order_by", []):
            o["field"] = metrics.get(o["field"]) or dim_name(o["field"])
        return {k: v for k, v in i.items() if v != []}

    out_tables = []
    for t in base["tables"]:
        t2 = copy.deepcopy(t)
        t2["name"], t2["table"], t2["schema"] = tables[t["name"]], t["name"], base["schema"]
        t2["description"] = f"{p}: {t['description']}"
        t2["synonyms"] = [f"{p} {s}" for s in t.get("synonyms", []) if not s.startswith("aws ")]
        if t.get("default_time_dimension"):
            t2["default_time_dimension"] = dims[t["default_time_dimension"]]
        t2["dimensions"] = [_dimension(d, p, dims, values) for d in t.get("dimensions", [])]
        t2["dimensions"] += _extra_dimensions(t["name"], p)
        for td in t2.get("time_dimensions", []):
            td["name"] = dims[td["name"]]
            td["synonyms"] = [f"{p} {s}" for s in td.get("synonyms", [])]
        t2["measures"] = [*t.get("measures", []), *_extra_measures(t["name"])]
        out_tables.append(t2)
    relationships = [
        {**r, "name": f"{p}_{r['name']}", "from": tables[r["from"]], "to": tables[r["to"]]}
        for r in base["relationships"]
    ]
    out_metrics = []
    for m in [*base["metrics"], *_extra_metrics()]:
        m2 = copy.deepcopy(m)
        m2["name"] = metrics.get(m["name"]) or f"{p}_{m['name']}"
        metrics[m["name"]] = m2["name"]
        if m.get("measure"):
            t, _, measure = m["measure"].partition(".")
            m2["measure"] = f"{tables[t]}.{measure}"
        for side in ("numerator", "denominator"):
            if m.get(side):
                m2[side] = metrics.get(m[side]) or f"{p}_{m[side]}"
        if m.get("expr"):
            m2["expr"] = re.sub(r"\b[a-z_]+\b", lambda x: metrics.get(x.group(), x.group()), m["expr"])
        m2["description"] = f"{p}: {m['description']}"
        m2["synonyms"] = [f"{p} {s}" for s in m.get("synonyms", []) if s.split()[0] not in _FUNCTION_WORDS]
        out_metrics.append(m2)
    out_segments = [
        {
            **s,
            "name": segments[s["name"]],
            "synonyms": [f"{p} {w}" for w in s.get("synonyms", [])],
            "filters": [
                {**f, "field": dim_name(f["field"]), "value": value(f["field"], f["value"])}
                for f in s["filters"]
            ],
        }
        for s in base["segments"]
    ]
    verified = [
        {"question": q.format(p=p), "intent": intent(i)}
        for q, i in _verified_templates(base["verified_queries"])
    ]
    views = []
    for v in base["materializations"]:
        v2 = copy.deepcopy(v)
        v2["name"], v2["table"] = f"{p}_{v['name']}", tables[v["table"]]
        v2["dimensions"] = [dim_name(d) for d in v.get("dimensions", [])]
        if v.get("time_dimension"):
            v2["time_dimension"] = dims[v["time_dimension"]]
        views.append(v2)
    return {
        "tables": out_tables,
        "relationships": relationships,
        "metrics": out_metrics,
        "segments": out_segments,
        "verified_queries": verified,
        "materializations": views,
    }


_FUNCTION_WORDS = {"how", "number", "count"}  # "how many", "number of": counting words, not a provider's


def _value_map(p: str, base: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each provider's own region, service, type and size names; states, environments and business
    units are the organisation's words and stay shared."""
    by_dim = {d["name"]: d for t in base["tables"] for d in t.get("dimensions", []) if d.get("enum")}
    regions = {r: f"{p}-{r}" for r in by_dim["region"]["enum"]}
    services = {s: f"{p}-{kind}" for s, (kind, _) in _SERVICE_KINDS.items()}
    types = {
        t: f"{services[t.partition(':')[0]]}:{t.partition(':')[2]}" for t in by_dim["resource_type"]["enum"]
    }
    sizes = {s: f"{p}.{s}" for s in by_dim["instance_type"]["enum"]}
    return {"region": regions, "service": services, "resource_type": types, "instance_type": sizes}


def _dimension(
    d: dict[str, Any], p: str, dims: dict[str, str], values: dict[str, dict[str, str]]
) -> dict[str, Any]:
    d2 = copy.deepcopy(d)
    name = d["name"]
    d2["name"] = dims[name]
    d2["description"] = f"{p}: {d['description']}"
    own = values.get(name, {})
    if name in _SHARED_DIMENSION_SYNONYMS:
        d2["synonyms"] = [*d.get("synonyms", []), f"{p} {name.replace('_', ' ')}"]
    else:
        d2["synonyms"] = [f"{p} {s}" for s in d.get("synonyms", []) if not s.startswith("aws ")]
    if d.get("enum"):
        d2["enum"] = [own.get(v, v) for v in d["enum"]]
    if name == "service":
        d2["value_synonyms"] = {own[s]: [f"{p} {w}" for w in ws] for s, (_, ws) in _SERVICE_KINDS.items()}
    elif name == "resource_type":
        d2["value_synonyms"] = {own[t]: [f"{p} {w}" for w in ws] for t, ws in _TYPE_WORDS.items()}
    elif d.get("value_synonyms"):
        d2["value_synonyms"] = {own.get(k, k): list(v) for k, v in d["value_synonyms"].items()}
    if d.get("groups"):  # regional groups keep their everyday names: "europe" is europe at any provider
        d2["groups"] = {
            g: {**spec, "values": [own.get(v, v) for v in spec["values"]]} for g, spec in d["groups"].items()
        }
    if d.get("sample_values"):
        d2["sample_values"] = [f"{p}-{v}" for v in d["sample_values"]]
    if d.get("untagged"):
        d2["untagged"] = dims[d["untagged"]]
    if d.get("applies_to"):
        d2["applies_to"] = {
            dims[f]: [values.get(f, {}).get(v, v) for v in vs] for f, vs in d["applies_to"].items()
        }
    return d2


def _extra_dimensions(table: str, p: str) -> list[dict[str, Any]]:
    """What a provider's inventory adds: labels read from the tags document, derived flags and sizes."""
    if table == "resources":
        return [
            {"name": f"{p}_project", "json": ["tags", "project"], "description": f"{p}: project label",
             "synonyms": [f"{p} project", f"{p} projects"]},
            {"name": f"{p}_application", "json": ["tags", "app"], "description": f"{p}: application label",
             "synonyms": [f"{p} application", f"{p} app"]},
            {"name": f"{p}_instance_family", "expr": "split_part(instance_type, '.', 1)",
             "description": f"{p}: instance family", "synonyms": [f"{p} instance family", f"{p} family"]},
            {"name": f"{p}_storage_tb", "expr": "storage_gb / 1024.0", "type": "number",
             "description": f"{p}: provisioned storage in TB", "synonyms": [f"{p} storage in tb"]},
            {"name": f"{p}_is_large", "expr": "storage_gb >= 500", "type": "boolean",
             "description": f"{p}: 500 GB or more", "synonyms": [f"{p} large", f"{p} big"]},
        ]
    if table == "accounts":
        return [
            {"name": f"{p}_owner_domain", "expr": "split_part(owner_email, '@', 2)",
             "description": f"{p}: the owner's email domain", "synonyms": [f"{p} owner domain"]},
        ]
    return []


def _extra_measures(table: str) -> list[dict[str, Any]]:
    if table == "resources":
        return [
            {"name": "max_storage_gb", "agg": "max", "expr": "storage_gb", "description": "Largest storage."},
            {"name": "running_count", "agg": "count", "filter": "state = 'running'",
             "description": "Number of running resources."},
            {"name": "untagged_count", "agg": "count", "filter": "tags = '{}'::jsonb",
             "description": "Number of untagged resources."},
        ]
    return []


def _extra_metrics() -> list[dict[str, Any]]:
    return [
        {"name": "max_storage_gb", "measure": "resources.max_storage_gb", "format": "gb",
         "description": "Largest provisioned storage of one resource.", "synonyms": ["largest storage"]},
        {"name": "running_count", "measure": "resources.running_count", "format": "integer",
         "description": "Number of running resources.", "synonyms": ["running count"]},
        {"name": "running_share", "type": "ratio", "numerator": "running_count",
         "denominator": "resource_count", "format": "percent",
         "description": "Share of resources that are running.", "synonyms": ["running rate"]},
        {"name": "untagged_count", "measure": "resources.untagged_count", "format": "integer",
         "description": "Number of untagged resources.", "synonyms": ["untagged count"]},
        {"name": "cost_per_account", "type": "ratio", "numerator": "cost", "denominator": "account_count",
         "format": "currency", "description": "Cost divided by the number of accounts.",
         "synonyms": ["cost per account"]},
    ]


# The shipped verified queries, asked about one provider (same intents, the provider's names).
_QUESTIONS = {
    "How many running EC2 instances are there per region?":
        "How many running {p} instances are there per {p} region?",
    "Top 5 accounts by cost last month": "Top 5 {p} accounts by {p} cost last month",
    "Monthly cost by service for the last 6 months": "Monthly {p} cost by {p} service for the last 6 months",
    "What share of S3 buckets are public?": "What share of {p} buckets are public?",
    "Total EBS storage in GB by environment":
        "Total {p} storage in GB of the {p} disk service by environment",
    "Cost of untagged resources in prod last month": "{p} cost of {p} untagged resources in prod last month",
    "Average daily cost by business unit over the last 30 days":
        "{p} average daily cost by {p} business unit over the last 30 days",
    "Resources without an owner tag by team": "{p} resources without an owner tag by team",
    "Cost per resource by business unit": "{p} cost per resource by {p} business unit",
    "Which region had the highest spend this quarter?":
        "Which {p} region had the highest {p} spend this quarter?",
}


def _verified_templates(shipped: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    return [(_QUESTIONS[q["question"]], q["intent"]) for q in shipped]


# --- measuring ---------------------------------------------------------------------------------------


def _median_ms(fn: Any, runs: int) -> float:
    """Each run starts after a full collection, as a cold start would: the garbage of the sizes
    measured before must not be scanned on this one's clock; and without the phrase keys an earlier
    run left in the vocabulary's cache (a process builds each model's words once)."""
    times = []
    for _ in range(runs):
        _clear_caches()
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _clear_caches() -> None:
    from runtime.mappers import vocabulary

    keys = getattr(vocabulary, "_key", None)  # trees before it have no cache
    if keys is not None:
        keys.cache_clear()


def _values(model: Any) -> dict[str, list[str]]:
    """The values `crq ask` would find in the sample's data, without a database."""
    from runtime.sample import BUSINESS_UNITS, ENVIRONMENTS, TAG_VALUES

    accounts = [f"{bu}-{env}" for bu in BUSINESS_UNITS for env in ENVIRONMENTS]
    out: dict[str, list[str]] = {}
    for t in model.tables:
        for d in t.dimensions:
            if d.tags:
                out.update({f"{d.name}:{k}": list(TAG_VALUES.get(k, ())) for k in d.tag_keys})
            elif d.column == "account_name":
                out[d.name] = accounts
            elif d.column == "owner_email":
                out[d.name] = sorted({f"{bu}-team@example.com" for bu in BUSINESS_UNITS})
    return out


def enum_values(schema: Any) -> int:
    """How many enum values a JSON Schema holds in all (OpenAI's strict mode allows 1,000). The same
    count as ``llm_schema.enum_value_count``, kept here because this benchmark also measures older
    trees (``git archive`` of an earlier commit), which do not have that function."""
    if isinstance(schema, dict):
        own = len(schema["enum"]) if isinstance(schema.get("enum"), list) else 0
        return own + sum(enum_values(v) for k, v in schema.items() if k != "enum")
    if isinstance(schema, list):
        return sum(enum_values(v) for v in schema)
    return 0


def _fresh_model(text: str) -> Any:
    from semantic.loader import check_model_text

    model, issues = check_model_text(text, "scaled.yaml")
    errors = [i for i in issues if i.level == "error"]
    if model is None or errors:
        raise SystemExit("the generated model is invalid:\n" + "\n".join(map(str, errors[:10])))
    return model


def _prompt_figures(model: Any, values: dict[str, list[str]]) -> dict[str, Any]:
    """Fixed prompt tokens and reply-schema enum values, whole model, and per question when the
    builders take a question (the subset another change introduces); '-' when they do not."""
    from runtime.mappers import llm_prompt, llm_schema

    size = llm_prompt.prompt_size(model, values)
    out: dict[str, Any] = {
        "prompt_tokens": size.fixed_tokens,
        "enum_values": enum_values(llm_schema.reply_schema(model)),
        "question_prompt_tokens": "-",
        "question_enum_values": "-",
    }
    takes_question = "question" in inspect.signature(llm_prompt.prompt_size).parameters
    if takes_question:
        q = llm_prompt.prompt_size(model, values, question=ASK_QUESTION)  # type: ignore[call-arg]
        out["question_prompt_tokens"] = q.fixed_tokens
        schema_of = getattr(llm_prompt, "question_schema", None)
        if schema_of is not None:
            out["question_enum_values"] = enum_values(schema_of(model, ASK_QUESTION, values))
    return out


def measure(n: int, runs: int) -> dict[str, Any]:
    from compiler import compile as compile_intent
    from models.intent import DimensionRef, Intent
    from runtime.mappers.offline import OfflineMapper

    text = scaled_model_text(n)
    model = _fresh_model(text)
    values = _values(model)
    OfflineMapper(_fresh_model(SHIPPED.read_text()), {}, as_of=AS_OF)  # imports and caches of the code
    load_ms = _median_ms(lambda: _fresh_model(text), runs)
    # each build starts from a model no catalog has seen: the first question of a cold start
    fresh = [_fresh_model(text) for _ in range(runs)]
    build_ms = _median_ms(lambda: OfflineMapper(fresh.pop(), values, as_of=AS_OF), runs)
    intent = Intent(metrics=("cost",), dimensions=(DimensionRef(name="service"),))
    compile_intent(intent, _fresh_model(SHIPPED.read_text()), as_of=AS_OF, views={})
    fresh = [_fresh_model(text) for _ in range(runs)]
    # views={}: the service passes the view states it read (none built here), so views are considered
    compile_ms = _median_ms(lambda: compile_intent(intent, fresh.pop(), as_of=AS_OF, views={}), runs)
    dims = sum(len(t.dimensions) + len(t.time_dimensions) for t in model.tables)
    return {
        "size": n,
        "tables": len(model.tables),
        "dimensions": dims,
        "metrics": len(model.metrics),
        "yaml_kb": len(text.encode()) / 1024,
        "mapper_build_ms": build_ms,
        "load_ms": load_ms,
        **_artefact_figures(text, values, runs),
        "first_compile_ms": compile_ms,
        **_prompt_figures(model, values),
    }


def _artefact_figures(text: str, values: dict[str, list[str]], runs: int) -> dict[str, Any]:
    """The precompiled model's size, reading it, and reading it then building the mapper; '-' for a
    tree without ``runtime/model_artefact.py``."""
    try:
        from runtime import model_artefact
    except ImportError:
        return {"artefact_kb": "-", "artefact_load_ms": "-", "artefact_ready_ms": "-"}
    from runtime.mappers.offline import OfflineMapper

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.yaml"
        path.write_text(text)
        target, _ = model_artefact.build_artefact(path)
        data = path.read_bytes()

        def read() -> Any:
            model, base = model_artefact.read_artefact(target, data)
            model_artefact.remember_base(model, base)  # type: ignore[attr-defined]  # as the loaders do
            return model

        return {
            "artefact_kb": target.stat().st_size / 1024,
            "artefact_load_ms": _median_ms(read, runs),
            "artefact_ready_ms": _median_ms(lambda: OfflineMapper(read(), values, as_of=AS_OF), runs),
        }


_COLD_START = """
import json, sys, time
start = time.perf_counter()
import runtime.aws.api as api
from runtime.mappers.offline import OfflineMapper  # what the first request imports, model or not
import semantic.loader
try:
    import runtime.model_artefact
except ImportError:
    pass
imported = time.perf_counter()
if hasattr(api, "_model"):
    model = api._model()  # as Container.from_env loads it: the artefact beside CRQ_MODEL when it matches
else:
    from semantic import load_model
    model = load_model(sys.argv[1])
OfflineMapper(model, json.loads(open(sys.argv[2]).read()))
ready = time.perf_counter()
print(json.dumps({"imports_ms": (imported - start) * 1000, "model_ms": (ready - imported) * 1000}))
"""


def cold_start(n: int, runs: int, folder: Path) -> dict[str, Any]:
    """Wall time of a fresh interpreter until the handler's module and what its first request imports
    are imported and the model and its offline mapper are ready, from the YAML and from the artefact
    beside it, the two alternating (median of ``runs`` each); and the model's part of it."""
    text = scaled_model_text(n)
    model = _fresh_model(text)
    values_file = folder / f"values_x{n}.json"
    values_file.write_text(json.dumps(_values(model)))
    paths: dict[str, Path] = {}
    out: dict[str, Any] = {}
    for how in ("yaml", "artefact"):
        here = folder / f"{how}_x{n}"
        here.mkdir()
        paths[how] = here / "model.yaml"
        paths[how].write_text(text)
    try:
        from runtime import model_artefact
    except ImportError:
        out.update({"cold_artefact_ms": "-", "cold_artefact_model_ms": "-"})
        del paths["artefact"]
    else:
        model_artefact.build_artefact(paths["artefact"])
    walls: dict[str, list[float]] = {how: [] for how in paths}
    model_ms: dict[str, list[float]] = {how: [] for how in paths}
    for _ in range(runs):
        for how, path in paths.items():
            env = {k: v for k, v in os.environ.items() if not k.startswith("CRQ_")} | {"CRQ_MODEL": str(path)}
            start = time.perf_counter()
            p = subprocess.run([sys.executable, "-c", _COLD_START, str(path), str(values_file)],
                               capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)  # fmt: skip
            walls[how].append((time.perf_counter() - start) * 1000)
            if p.returncode:
                raise SystemExit(f"cold start failed at size {n} ({how}):\n{p.stderr[-2000:]}")
            model_ms[how].append(json.loads(p.stdout.strip().splitlines()[-1])["model_ms"])
    for how in paths:
        out[f"cold_{how}_ms"] = statistics.median(walls[how])
        out[f"cold_{how}_model_ms"] = statistics.median(model_ms[how])
    return out


def _database() -> str:
    """The sample in an embedded PostgreSQL under $CRQ_HOME/bench-size, kept alive by this process."""
    from runtime.database import crq_home

    os.environ["CRQ_HOME"] = str(crq_home() / "bench-size")
    import psycopg

    from runtime.database import database_url
    from runtime.sample import load_sample, sample_marker

    url = database_url()
    with psycopg.connect(url, autocommit=True) as conn:
        query = "SELECT obj_description(to_regnamespace('inventory'), 'pg_namespace')"
        marker = conn.execute(query).fetchone()
    if not marker or marker[0] != sample_marker(seed=42, scale=1, as_of=AS_OF, days=180):
        load_sample(url, seed=42, scale=1, as_of=AS_OF, days=180)
    return url


def ask_seconds(n: int, url: str, folder: Path, runs: int) -> tuple[float, float]:
    """(the first run, nothing cached; the median of the next ``runs``): each size has a CRQ_HOME of
    its own (the CLI's model cache starts empty) and the shared known values are dropped first."""
    import psycopg

    path = folder / f"model_x{n}.yaml"
    path.write_text(scaled_model_text(n))
    crq = str(Path(sys.executable).parent / "crq")
    cmd = [crq, "ask", "--model", str(path), "--database-url", url, "--as-of", AS_OF.isoformat(), "--json",
           ASK_QUESTION]
    home = folder / f"home_x{n}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRQ_LLM")}
    env |= {"CRQ_MAPPER": "offline", "CRQ_HOME": str(home)}
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS crq_app.known_values")
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        times.append(time.perf_counter() - start)
        if p.returncode:
            raise SystemExit(f"crq ask failed at size {n}:\n{p.stderr[-2000:]}")
    answer = json.loads(p.stdout.strip().splitlines()[-1])
    if answer.get("status") != "answered":
        print(f"  (size {n}: '{ASK_QUESTION}' -> {answer.get('status')}: {answer.get('message')})")
    return times[0], statistics.median(times[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,3,10,30")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-ask", action="store_true", help="skip `crq ask` (needs the sample database)")
    parser.add_argument("--cold-sizes", default="1,10", help="sizes of the cold starts ('' for none)")
    parser.add_argument("--cold-runs", type=int, default=7, help="fresh processes per size and way")
    parser.add_argument("--write-model", metavar="PATH", help="only write the model of --size to PATH")
    parser.add_argument("--size", type=int, default=30)
    parser.add_argument("--copies-first", action="store_true", help="declare the copies before the shipped")
    args = parser.parse_args()
    if args.write_model:
        Path(args.write_model).write_text(scaled_model_text(args.size, copies_first=args.copies_first))
        return
    sizes = [int(s) for s in args.sizes.split(",")]
    cold_sizes = [int(s) for s in args.cold_sizes.split(",") if s.strip()]
    rows = [measure(n, args.runs) for n in sizes]
    by_size = {r["size"]: r for r in rows}
    with tempfile.TemporaryDirectory() as folder:
        for n in cold_sizes:
            by_size.setdefault(n, {"size": n}).update(cold_start(n, args.cold_runs, Path(folder)))
        if not args.no_ask:
            url = _database()
            for r in rows:
                r["ask_first_s"], r["ask_s"] = ask_seconds(r["size"], url, Path(folder), args.runs)
    figures = [
        ("tables / dimensions / metrics", lambda r: f"{r['tables']} / {r['dimensions']} / {r['metrics']}"),
        ("YAML, kB", lambda r: f"{r['yaml_kb']:.0f}"),
        ("offline mapper build, ms", lambda r: f"{r['mapper_build_ms']:.1f}"),
        ("load + validate, ms", lambda r: f"{r['load_ms']:.1f}"),
        ("artefact, kB", lambda r: _num(r["artefact_kb"], ".0f")),
        ("load from artefact, ms", lambda r: _num(r["artefact_load_ms"], ".1f")),
        ("artefact + mapper build, ms", lambda r: _num(r["artefact_ready_ms"], ".1f")),
        ("first compile (catalog + compile), ms", lambda r: f"{r['first_compile_ms']:.2f}"),
        ("LLM prompt, fixed tokens (estimate)", lambda r: f"{r['prompt_tokens']:,}"),
        ("reply schema enum values", lambda r: f"{r['enum_values']:,}"),
        ("  per question: prompt tokens", lambda r: str(r["question_prompt_tokens"])),
        ("  per question: enum values", lambda r: str(r["question_enum_values"])),
        ("crq ask, first run (no caches), wall s", lambda r: _num(r.get("ask_first_s", "-"), ".2f")),
        ("crq ask, one question, wall s", lambda r: _num(r.get("ask_s", "-"), ".2f")),
    ]
    print(f"{'figure':40}" + "".join(f"{str(r['size']) + 'x':>16}" for r in rows))
    for label, cell in figures:
        print(f"{label:40}" + "".join(f"{cell(r):>16}" for r in rows))
    first, last = rows[0], rows[-1]
    for key in ("mapper_build_ms", "load_ms", "first_compile_ms", "artefact_load_ms", "artefact_ready_ms"):
        if isinstance(last[key], float):
            print(f"{key}: {last['size']}x / {first['size']}x = {last[key] / first[key]:.1f}")
    if cold_sizes:
        print(f"\ncold start, fresh process (imports, model, offline mapper), ms, median of {args.cold_runs}")
        print(f"{'':40}" + "".join(f"{str(n) + 'x':>16}" for n in cold_sizes))
        for how in ("yaml", "artefact"):
            print(f"{'from the ' + how + ', wall':40}" + "".join(
                f"{_num(by_size[n][f'cold_{how}_ms'], '.0f'):>16}" for n in cold_sizes))
            print(f"{'  of which model + mapper':40}" + "".join(
                f"{_num(by_size[n][f'cold_{how}_model_ms'], '.0f'):>16}" for n in cold_sizes))
    cold = by_size.get(cold_sizes[-1], {}) if cold_sizes else {}
    c = cold_sizes[-1] if cold_sizes else last["size"]
    z = last["size"]
    print(
        f"size{z}_mapper_build_ms={last['mapper_build_ms']:.0f} size{z}_load_ms={last['load_ms']:.0f} "
        f"size{z}_prompt_tokens={last['prompt_tokens']} size{z}_enum_values={last['enum_values']} "
        f"size{z}_ask_s={_num(last.get('ask_s', '-'), '.2f')} "
        f"size{z}_ask_first_s={_num(last.get('ask_first_s', '-'), '.2f')} "
        f"size{z}_artefact_load_ms={_num(last['artefact_load_ms'], '.0f')} "
        f"size{c}_cold_start_yaml_ms={_num(cold.get('cold_yaml_ms', '-'), '.0f')} "
        f"size{c}_cold_start_artefact_ms={_num(cold.get('cold_artefact_ms', '-'), '.0f')}"
    )


def _num(value: Any, spec: str) -> str:
    return format(value, spec) if isinstance(value, float | int) else str(value)


if __name__ == "__main__":
    main()
