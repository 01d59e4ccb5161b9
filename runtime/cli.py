"""The `crq` command line. Thin: parse arguments, call one service function, map errors to exit codes.

Exit codes: 0 ok, 1 database or internal problem, 2 bad input (model, intent, arguments).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table
from rich.text import Text

from models.errors import CrqError, DatabaseError, ModelValidationError, UserError
from models.intent import (
    MAX_DATE,
    MIN_DATE,
    Compare,
    Cumulative,
    DimensionRef,
    Filter,
    Intent,
    Op,
    OrderBy,
    Share,
    parse_time_range,
)
from models.responses import Answer
from models.semantic_model import SemanticModel
from runtime.database import DEFAULT_ROW_CAP, DEFAULT_TIMEOUT_MS
from runtime.service import Service

if TYPE_CHECKING:  # imported where used, so that each command loads only what it needs
    from runtime.aws.api import Container
    from runtime.database import Database
    from runtime.materialized_views import ViewManager, ViewStatus
    from semantic.source_map import SourceMap

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="crq: ask questions about your cloud estate; get numbers you can trust.",
)
sample_app = typer.Typer(no_args_is_help=True, help="The sample cloud inventory.")
db_app = typer.Typer(no_args_is_help=True, help="The database crq queries.")
mv_app = typer.Typer(no_args_is_help=True, help="Materialized views declared in the model.")
jobs_app = typer.Typer(no_args_is_help=True, help="Async jobs of the chat API: see, re-drive, run them.")
app.add_typer(jobs_app, name="jobs")
app.add_typer(mv_app, name="mv")
app.add_typer(sample_app, name="sample")
app.add_typer(db_app, name="db")

out = Console(soft_wrap=True, width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, soft_wrap=True)

# C0 controls (the newline only where a line break is meant), DEL, C1 controls, bidi overrides/isolates
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_CONTROL_OR_NEWLINE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def visible(value: object, lines: bool = False) -> str:
    """``value`` as text that cannot act on the terminal. Tag values, names, questions and messages
    are written by anyone who can tag a resource or ask a question: an ESC starts colour, cursor and
    hyperlink sequences, a bidi override reorders what follows, a newline fakes a line of crq's own.
    Each such character is written out as an escape (``\\x1b``, ``\\u202e``); ``lines`` keeps newlines
    where a line break is meant (SQL, crq's own multi-line text)."""
    return (_CONTROL if lines else _CONTROL_OR_NEWLINE).sub(_escape, str(value))


def _escape(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def _text(*parts: str | tuple[str, str], lines: bool = False) -> Text:
    """What every print path prints: a Text, which rich never parses for markup or emoji codes (so
    '[/dim]' or '[link=...]' in data prints as itself), made of visible parts; a (text, style) pair is
    styled, which is how crq's own labels stay dim."""
    return Text.assemble(
        *((visible(p[0], lines), p[1]) if isinstance(p, tuple) else visible(p, lines) for p in parts)
    )


DatabaseUrl = Annotated[
    str | None,
    typer.Option(
        "--database-url", help="PostgreSQL URL (default: $CRQ_DATABASE_URL, else the embedded database)"
    ),
]
ModelPath = Annotated[Path | None, typer.Option("--model", help="semantic model YAML (default: shipped)")]
AsOf = Annotated[str | None, typer.Option("--as-of", help="the date 'today' means, YYYY-MM-DD")]
Explain = Annotated[
    bool,
    typer.Option("--explain", help="say which materialized view answered and why each other one did not"),
]
AwsEndpoint = Annotated[
    str | None,
    typer.Option("--aws-endpoint", help="SQS/S3 endpoint URL for jobs (moto, LocalStack); default: none"),
]
RowCap = Annotated[
    int,
    typer.Option(
        "--row-cap", envvar="CRQ_ROW_CAP", min=1, help="most rows returned; more are reported as truncated"
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        envvar="CRQ_STATEMENT_TIMEOUT",
        min=0.001,
        max=86_400,
        help="statement timeout in seconds",
    ),
]


def main() -> None:
    # SIGTERM (timeout, a CI runner, kill) exits through the exit handlers, which stop the embedded
    # PostgreSQL this process started; Python's default would leave it running (runtime/embedded.py)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        app()
    except ModelValidationError as e:
        for issue in e.issues:
            err.print(_text(str(issue)))
        sys.exit(2)
    except UserError as e:
        _fail(str(e), 2)
    except CrqError as e:
        _fail(str(e), 1)
    except OSError as e:  # the environment, not crq: e.g. CRQ_HOME is a file, a folder is not writable
        _fail(_os_problem(e), 2)
    except KeyboardInterrupt:
        _fail("interrupted", 130)
    except Exception as e:  # a bug: say so in one line; CRQ_DEBUG=1 shows the traceback
        if os.environ.get("CRQ_DEBUG"):
            raise
        _fail(f"internal error ({type(e).__name__}: {e}); rerun with CRQ_DEBUG=1 for details", 1)


def _fail(message: str, code: int) -> NoReturn:
    """One line, always: a newline in a message comes from data (a name, a value) and is shown escaped."""
    err.print(_text(f"crq: {message}"))
    sys.exit(code)


def _os_problem(e: OSError) -> str:
    """One line for a file-system problem, naming CRQ_HOME when the path is under it."""
    from runtime.database import crq_home

    home = crq_home()
    where = f"{e.filename}: " if e.filename else ""
    hint = ""
    if e.filename and Path(os.fsdecode(e.filename)).is_relative_to(home):
        hint = f" (CRQ_HOME is {home}; it must be a directory crq can write to)"
    return f"{where}{e.strerror or e}{hint}"


def _as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise UserError(f"--as-of: '{text}' is not a date; write YYYY-MM-DD") from None
    if not MIN_DATE <= day <= MAX_DATE:
        raise UserError(f"--as-of: {day} is outside {MIN_DATE}..{MAX_DATE}")
    return day


def _model(path: Path | None) -> SemanticModel:
    """The model, from its precompiled artefact in $CRQ_HOME/models when this crq made one from the
    same YAML (runtime/model_artefact.py), else parsed and validated, and the artefact written."""
    from runtime.database import crq_home
    from runtime.model_artefact import load_cached

    return load_cached(path, crq_home()).model


def _service(
    model_path: Path | None,
    database_url: str | None,
    as_of: str | None,
    with_mapper: bool,
    row_cap: int = DEFAULT_ROW_CAP,
    timeout: float = DEFAULT_TIMEOUT_MS / 1000,
    use_views: bool = True,
) -> Service:
    from runtime.database import Database
    from runtime.database import database_url as resolve_url

    model = _model(model_path)
    url = resolve_url(database_url)
    db = Database(url, row_cap=row_cap, timeout_ms=round(timeout * 1000))
    day = _as_of(as_of) or dt.datetime.now(dt.UTC).date()
    if not with_mapper:  # intents given as flags or JSON: nothing to read in words
        return Service(model, db, None, as_of=day, use_views=use_views)
    from runtime.service import build_service

    return build_service(model, db, values=_known_values(model, db, url), as_of=day, use_views=use_views)


def _known_values(model: SemanticModel, db: Database, url: str) -> dict[str, list[str]]:
    """The values the chat API shares (``crq_app.known_values``) when this login can use the app
    schema (the embedded database can), else read from the tables."""
    from runtime.known_values import ValueCache, max_age_from_env, shared_known_values

    cache = ValueCache(url, max_age_from_env())
    try:
        return shared_known_values(model, db, cache, warn=lambda what, error: None)
    finally:
        cache.close()


# --- ask ---------------------------------------------------------------------------------------------


@app.command()
def ask(
    questions: Annotated[list[str], typer.Argument(help="one or more questions, asked as one conversation")],
    as_json: Annotated[bool, typer.Option("--json", help="one JSON object per question per line")] = False,
    as_of: AsOf = None,
    database_url: DatabaseUrl = None,
    model: ModelPath = None,
    row_cap: RowCap = DEFAULT_ROW_CAP,
    timeout: Timeout = DEFAULT_TIMEOUT_MS / 1000,
    explain: Explain = False,
) -> None:
    """Answer questions in plain English (follow-ups refer to the previous question).

    Exit code 1 when any question could not be run (status ``error``: the database failed or timed
    out), after every question has been asked and printed."""
    service = _service(model, database_url, as_of, True, row_cap, timeout)
    failed = False
    for answer in service.conversation(questions):
        _emit(answer, as_json, explain)
        failed |= answer.status == "error"
    if failed:
        raise typer.Exit(1)


def _emit(answer: Answer, as_json: bool, explain: bool) -> None:
    if as_json:  # json.dumps escapes every control character; pydantic's JSON leaves C1 and bidi raw
        body = answer.model_dump(mode="json", exclude=None if explain else {"explain"})
        print(json.dumps(body), flush=True)
    else:
        _print_answer(answer, explain)


def _print_answer(a: Answer, explain: bool = False) -> None:
    if a.question:
        out.print(_text(("Q: ", "bold"), a.question))
    if a.status != "answered":
        message = a.message.removeprefix(f"{a.status}: ")
        out.print(_text((a.status, "red" if a.status == "error" else "yellow"), ": ", message))
        for s in a.suggestions:
            out.print(_text(f"  - {s}"))
        out.print()
        return
    out.print(_text(a.answer))
    if a.message:
        out.print(_text((f"note: {a.message}", "dim")))
    _print_rows(a.columns, a.rows, a.truncated)
    if a.materialization:
        out.print(_text((f"answered from materialized view {a.materialization}", "dim")))
    if explain:
        _print_explain(a.explain)
    out.print(_text(("SQL:", "dim")))
    out.print(_text(a.sql or "", lines=True))
    if a.params:
        out.print(_text((f"params: {json.dumps(a.params)}", "dim")))
    out.print()


def _print_explain(report: dict[str, str]) -> None:
    if not report:
        out.print(_text("views: none declared, or none built in this database (crq mv create)"))
    for view, reason in report.items():
        out.print(_text(f"view {view}: {reason}"))


def _print_rows(columns: list[str], rows: list[list[Any]], truncated: bool, max_rows: int = 25) -> None:
    table = Table(show_lines=False)
    for column in columns:
        table.add_column(_text(column))
    for row in rows[:max_rows]:
        table.add_row(*(_text(_cell(v)) for v in row))
    out.print(table)
    if len(rows) > max_rows or truncated:
        more = "more (row cap reached)" if truncated else f"{len(rows) - max_rows} more"
        out.print(_text((f"... {more}", "dim")))


def _cell(v: Any) -> str:
    return "" if v is None else f"{v:,.2f}" if isinstance(v, float) else str(v)


# --- compile / query ---------------------------------------------------------------------------------

_OPS = r"(?P<op>is not null|is null|not in|!=|<>|<=|>=|=|<|>|in|contains|between)"
# the operator with spaces around it first, so a tag key may hold '=', '/' or '.' (tag:a=b = c);
# then the compact form (environment=prod)
_WHERE_SPACED = re.compile(rf"^\s*(?P<field>\S+?)\s+{_OPS}(?:\s+(?P<value>.*?))?\s*$", re.IGNORECASE)
_WHERE = re.compile(rf"^\s*(?P<field>[\w.:-]+)\s*{_OPS}\s*(?P<value>.*?)\s*$", re.IGNORECASE)


def _parse_where(text: str) -> Filter:
    m = _WHERE_SPACED.match(text) or _WHERE.match(text)
    if not m:
        raise UserError(
            f"--where: cannot read {text!r}; write 'field op value', e.g. 'environment = prod', "
            "'storage_gb > 100', 'region in eu-west-1,eu-central-1', 'tag:owner is null'"
        )
    op = m["op"].lower().replace("<>", "!=")
    raw = (m["value"] or "").strip().strip("'\"")
    value: Any
    if op in ("in", "not in"):
        value = [v.strip().strip("'\"") for v in raw.split(",") if v.strip()]
    elif op == "between":
        value = [v.strip().strip("'\"") for v in re.split(r"\s+and\s+|,", raw)]
    elif op in ("is null", "is not null"):
        value = None
    else:
        value = raw
    try:
        return Filter(field=m["field"], op=Op(op), value=value)
    except ValidationError as e:
        raise UserError(f"--where {text!r}: {e.errors()[0]['msg']}") from None


def _intent_from_flags(
    intent_file: Path | None,
    metric: list[str],
    by: list[str],
    where: list[str],
    last: str | None,
    time: str | None,
    order: list[str],
    limit: int | None,
    extra: IntentExtras | None = None,
) -> Intent:
    """The intent of --intent, else of the flags; ``extra`` holds the flags beyond the basic ones."""
    extra = extra or IntentExtras()
    try:
        if intent_file is not None:
            try:
                return Intent.model_validate_json(intent_file.read_text())
            except OSError as e:
                raise UserError(f"--intent: cannot read {intent_file}: {e.strerror}") from None
            except UnicodeDecodeError:
                raise UserError(f"--intent: {intent_file} is not UTF-8 text") from None
        time_range = None
        if last:
            time_range = parse_time_range(f"last {last}")
        elif time:
            time_range = parse_time_range(time)
        if extra.time_dimension:
            if time_range is None:
                raise UserError(
                    "--time-dimension names the date a time range applies to: add --last or --time"
                )
            time_range = time_range.model_copy(update={"dimension": extra.time_dimension})
        order_by = []
        for o in order:
            name, _, direction = o.partition(":")
            order_by.append(OrderBy.model_validate({"field": name, "direction": direction or "desc"}))
        return Intent(
            metrics=tuple(metric),
            dimensions=tuple(DimensionRef.model_validate(b) for b in by),
            filters=tuple(_parse_where(w) for w in where),
            time_range=time_range,
            order_by=tuple(order_by),
            limit=limit,
            segments=tuple(extra.segment),
            timezone=extra.timezone,
            share=Share() if extra.share else None,
            compare=Compare() if extra.compare else None,
            cumulative=Cumulative() if extra.cumulative else None,
        )
    except ValidationError as e:
        first = e.errors()[0]
        where_ = ".".join(str(x) for x in first["loc"]) or "intent"
        raise UserError(f"{where_}: {first['msg']}") from None


Metric = Annotated[list[str], typer.Option("--metric", "-m", help="metric name (repeatable)")]
By = Annotated[
    list[str], typer.Option("--by", "-b", help="dimension, e.g. region, usage_date__month, tag:owner")
]
Where = Annotated[list[str], typer.Option("--where", "-w", help="filter 'field op value' (repeatable)")]
Last = Annotated[str | None, typer.Option("--last", help="e.g. '30 days', 'month', '3 months'")]
Time = Annotated[str | None, typer.Option("--time", help="e.g. 'last month', 'May 2026', 'Q1 2026'")]
Order = Annotated[list[str], typer.Option("--order", help="field[:asc|desc] (repeatable)")]
NoViews = Annotated[bool, typer.Option("--no-views", help="read base tables only")]
Limit = Annotated[int | None, typer.Option("--limit", min=1)]
IntentFile = Annotated[Path | None, typer.Option("--intent", help="an intent JSON file instead of flags")]
SegmentFlag = Annotated[
    list[str], typer.Option("--segment", "-s", help="a segment of the model (repeatable)")
]
TimeDimension = Annotated[
    str | None,
    typer.Option("--time-dimension", help="the date --last/--time applies to (default: each table's)"),
]
TimeZone = Annotated[
    str | None, typer.Option("--timezone", help="time zone of dates and buckets, e.g. Europe/Paris")
]
ShareFlag = Annotated[bool, typer.Option("--share", help="show sums and counts as a percentage of the total")]
CompareFlag = Annotated[bool, typer.Option("--compare", help="compare with the period before --last/--time")]
CumulativeFlag = Annotated[bool, typer.Option("--cumulative", help="running totals along the time dimension")]


@dataclass(frozen=True)
class IntentExtras:
    """The intent flags beyond metrics, dimensions, filters, time, order and limit (JSON: --intent)."""

    segment: list[str] = field(default_factory=list)
    time_dimension: str | None = None
    timezone: str | None = None
    share: bool = False
    compare: bool = False
    cumulative: bool = False


@app.command("compile")
def compile_cmd(
    metric: Metric = [],
    by: By = [],
    where: Where = [],
    last: Last = None,
    time: Time = None,
    order: Order = [],
    limit: Limit = None,
    segment: SegmentFlag = [],
    time_dimension: TimeDimension = None,
    timezone: TimeZone = None,
    share: ShareFlag = False,
    compare: CompareFlag = False,
    cumulative: CumulativeFlag = False,
    intent: IntentFile = None,
    as_of: AsOf = None,
    model: ModelPath = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Print the SQL and parameters for an intent, without running it."""
    from compiler import compile as compile_intent
    from runtime.json_values import json_value

    extras = IntentExtras(segment, time_dimension, timezone, share, compare, cumulative)
    the_intent = _intent_from_flags(intent, metric, by, where, last, time, order, limit, extras)
    compiled = compile_intent(
        the_intent, _model(model), as_of=_as_of(as_of) or dt.datetime.now(dt.UTC).date()
    )
    params = {k: json_value(v) for k, v in compiled.params.items()}
    if as_json:
        print(json.dumps({"sql": compiled.sql, "params": params}))
        return
    out.print(_text(compiled.sql, lines=True))
    out.print(_text(f"-- params: {json.dumps(params)}"))


@app.command()
def query(
    metric: Metric = [],
    by: By = [],
    where: Where = [],
    last: Last = None,
    time: Time = None,
    order: Order = [],
    limit: Limit = None,
    segment: SegmentFlag = [],
    time_dimension: TimeDimension = None,
    timezone: TimeZone = None,
    share: ShareFlag = False,
    compare: CompareFlag = False,
    cumulative: CumulativeFlag = False,
    intent: IntentFile = None,
    as_of: AsOf = None,
    model: ModelPath = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    row_cap: RowCap = DEFAULT_ROW_CAP,
    timeout: Timeout = DEFAULT_TIMEOUT_MS / 1000,
    explain: Explain = False,
    no_views: NoViews = False,
) -> None:
    """Compile an intent and run it."""
    extras = IntentExtras(segment, time_dimension, timezone, share, compare, cumulative)
    the_intent = _intent_from_flags(intent, metric, by, where, last, time, order, limit, extras)
    service = _service(model, database_url, as_of, False, row_cap, timeout, use_views=not no_views)
    answer = service.run(the_intent)
    if answer.status != "answered":
        raise UserError(answer.message)
    _emit(answer, as_json, explain)


@app.command("explain")
def explain_cmd(
    metric: Metric = [],
    by: By = [],
    where: Where = [],
    last: Last = None,
    time: Time = None,
    order: Order = [],
    limit: Limit = None,
    segment: SegmentFlag = [],
    time_dimension: TimeDimension = None,
    timezone: TimeZone = None,
    share: ShareFlag = False,
    compare: CompareFlag = False,
    cumulative: CumulativeFlag = False,
    intent: IntentFile = None,
    as_of: AsOf = None,
    model: ModelPath = None,
    database_url: DatabaseUrl = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the SQL for an intent, the materialized view that answers it and why each other one does not."""
    extras = IntentExtras(segment, time_dimension, timezone, share, compare, cumulative)
    the_intent = _intent_from_flags(intent, metric, by, where, last, time, order, limit, extras)
    compiled = _service(model, database_url, as_of, False).compile(the_intent)
    used = ", ".join(compiled.plan.materializations) or None
    report = dict(compiled.plan.view_report)
    if as_json:
        print(json.dumps({"sql": compiled.sql, "materialization": used, "views": report}))
        return
    out.print(_text(f"answered from: {used or 'base tables'}"))
    _print_explain(report)
    out.print(_text(compiled.sql, lines=True))


# --- evaluation --------------------------------------------------------------------------------------


@app.command("eval")
def eval_cmd(
    file: Annotated[
        Path, typer.Argument(help="question file (the format of shared/eval/dev_questions.yaml)")
    ],
    database_url: DatabaseUrl = None,
    model: ModelPath = None,
    load_sample: Annotated[
        bool, typer.Option("--load-sample", help="load the seed-42 sample as of the file's date if missing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Execution accuracy on a question file: each answer's rows against the reference SQL's."""
    from runtime.database import Database
    from runtime.database import database_url as resolve_url
    from runtime.evaluation import evaluate, load_questions
    from runtime.sample import sample_marker

    as_of, questions = load_questions(file)
    url = resolve_url(database_url)
    marker = sample_marker(seed=42, scale=1, as_of=as_of, days=180)
    found = Database(url).execute("SELECT obj_description(to_regnamespace('inventory'), 'pg_namespace')", {})
    if found.rows[0][0] != marker:
        if not load_sample:
            raise UserError(
                f"the database does not hold the sample as of {as_of}; run "
                f"`crq sample load --as-of {as_of}` or pass --load-sample"
            )
        sample_load(database_url=url, seed=42, scale=1.0, as_of=as_of.isoformat(), days=180, views=True)
    service = _service(model, url, as_of.isoformat(), True)
    verdicts = []
    for v in evaluate(service, questions):
        verdicts.append(v)
        if as_json:
            print(json.dumps({"id": v.id, "ok": v.passed, "why": v.why}), flush=True)
        else:
            out.print(_text(f"{'PASS' if v.passed else 'FAIL'} {v.id}: {v.question[:70]} | {v.why[:160]}"))
    passed = sum(v.passed for v in verdicts)
    share = 100.0 * passed / len(verdicts) if verdicts else 0.0
    line = f"score: {share:.1f}% ({passed}/{len(verdicts)}) execution accuracy"
    (err if as_json else out).print(_text(line))


@app.command("test")
def test_cmd(
    path: Annotated[Path | None, typer.Argument(help="model YAML (default: shipped)")] = None,
    database_url: DatabaseUrl = None,
    as_of: AsOf = None,
) -> None:
    """Check the model's verified queries, each three ways: its intent compiles and runs; `crq ask`
    reads the question as that intent (the same mapper ask uses); and the offline mapper alone, without
    the verified queries, reads it the same (so rewordings work). A FAIL lists expected against got."""
    from runtime.database import database_url as resolve_url
    from runtime.evaluation import check_verified_queries
    from runtime.mappers.offline import OfflineMapper

    url = resolve_url(database_url)
    service = _service(path, url, as_of, True)
    unaided = service.model.model_copy(update={"verified_queries": ()})  # no verbatim answers
    mapper = OfflineMapper(unaided, _known_values(service.model, service.database, url), as_of=service.as_of)
    verdicts = list(check_verified_queries(service, mapper))
    for v in verdicts:
        out.print(_text(f"{'ok  ' if v.passed else 'FAIL'} {v.question} | {v.why}"))
        for line in v.details:
            out.print(_text(f"       {line}"))
    failed = [v for v in verdicts if not v.passed]
    out.print(_text(f"{len(verdicts) - len(failed)} of {len(verdicts)} verified queries hold"))
    if failed:
        raise typer.Exit(1)


# --- model ---------------------------------------------------------------------------------------------


@app.command()
def validate(
    path: Annotated[Path | None, typer.Argument(help="model YAML (default: shipped)")] = None,
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="also check that every table and column exists there")
    ] = None,
) -> None:
    """Check a semantic model and report every problem as file:line:col, all at once. Columns are
    checked against the database with --database-url, else against the tables' own `columns:` lists;
    the output says which tables' columns were not checked."""
    from semantic import DEFAULT_MODEL, check_model
    from semantic.rules import database_columns, undeclared_tables

    model, issues = check_model(path or DEFAULT_MODEL)
    unchecked: list[str] = []
    if model is not None and database_url:  # even beside other errors: every problem in one run
        from runtime.database import Database

        db = Database(database_url)
        schemas = sorted({t.schema_name or model.schema_name or "public" for t in model.tables})
        found = database_columns(model, _source_map(path or DEFAULT_MODEL), db.columns(schemas))
        issues = sorted([*issues, *found], key=lambda i: (i.line, i.col, i.code))
    elif model is not None:
        unchecked = undeclared_tables(model)
    for issue in issues:
        err.print(_text(str(issue)))
    errors = [i for i in issues if i.level == "error"]
    if errors:
        err.print(_text(f"{len(errors)} error(s)"))
        raise typer.Exit(2)
    if model is not None:
        from runtime.mappers.llm_prompt import strict_mode_warnings

        for warning in strict_mode_warnings(model):
            err.print(_text(f"warning: {warning}"))
    out.print(_text(f"{path or DEFAULT_MODEL}: ok"))
    if unchecked:
        out.print(
            _text(
                f"note: columns of {', '.join(unchecked)} not checked: they list no `columns:`; "
                "`crq validate --database-url URL` checks them against the database"
            )
        )


@app.command()
def build(
    path: Annotated[Path | None, typer.Argument(help="model YAML (default: shipped)")] = None,
    output: Annotated[
        Path | None, typer.Option("--out", "-o", help="where to write it (default: next to the YAML, .crqm)")
    ] = None,
) -> None:
    """Validate a model and write its precompiled artefact (the validated model and the offline
    mapper's words), which the chat API loads instead of the YAML: ship MODEL.crqm beside MODEL.yaml
    (the Lambda app layer does for the shipped model). It is used only while the YAML and crq are the
    ones it was built from; the CLI keeps its own in $CRQ_HOME/models, without this command."""
    from runtime.model_artefact import build_artefact
    from semantic import DEFAULT_MODEL

    target, header = build_artefact(path or DEFAULT_MODEL, output)
    size = target.stat().st_size / 1024
    out.print(_text(f"{target}: {size:,.0f} kB, from {path or DEFAULT_MODEL} (crq {header.code[:12]})"))


def _source_map(path: Path) -> SourceMap:
    from semantic.source_map import build_source_map

    return build_source_map(Path(path).read_text(), str(path))


@app.command()
def prompt(
    model: ModelPath = None,
    show: Annotated[bool, typer.Option("--show", help="print the fixed part of the prompt itself")] = False,
    question: Annotated[
        str | None,
        typer.Option("--question", "-q", help="what this question is sent (the part of a large model)"),
    ] = None,
) -> None:
    """The LLM prompt the model produces: its size in tokens (estimated), or with --show the text;
    warns when the whole model breaks a provider's strict-mode limits (then each question is sent a part)."""
    from runtime.mappers.llm_prompt import prompt_builder, prompt_size, strict_mode_warnings, system_prompt

    the_model = _model(model)
    size_to = sys.stderr if show else sys.stdout
    if question is not None:
        sent = prompt_builder(the_model).for_question(question)
        if show:
            print(visible(sent.system, lines=True))
        which = "the whole model" if sent.whole else f"the part for this question: {', '.join(sent.tables)}"
        print(visible(f"{sent.size}; {sent.enum_values} enum values; {which}"), file=size_to)
        return
    if show:
        print(visible(system_prompt(the_model), lines=True))
    print(prompt_size(the_model), file=size_to)
    for warning in strict_mode_warnings(the_model):
        err.print(_text(f"warning: {warning}"))


@app.command()
def usage(
    as_json: Annotated[bool, typer.Option("--json")] = False,
    since: Annotated[str | None, typer.Option(help="first day, YYYY-MM-DD")] = None,
) -> None:
    """LLM calls, tokens and estimated cost, per model and day (from $CRQ_HOME/usage.jsonl)."""
    from runtime.usage import UsageLog

    summary = UsageLog().summarize(since=_as_of(since))
    if as_json:
        print(json.dumps(summary.as_dict()))
    else:
        out.print(_text(summary.to_text(), lines=True))


@app.command()
def schema() -> None:
    """Print the JSON Schema of the semantic model YAML, for editors."""
    from models.semantic_model import SemanticModel as Model

    print(json.dumps(Model.model_json_schema(by_alias=True), indent=2))


# --- database ----------------------------------------------------------------------------------------


@db_app.command("url")
def db_url(database_url: DatabaseUrl = None) -> None:
    """Print the URL of the database crq uses. The embedded one's URL works while it runs: after
    `crq db start` (this command alone starts it only for as long as it runs, and says so)."""
    from runtime import embedded
    from runtime.database import database_url as resolve_url

    if database_url or os.environ.get("CRQ_DATABASE_URL"):
        print(resolve_url(database_url))
        return
    now = embedded.state()
    if now.running and now.url:
        print(now.url)
        return
    print(resolve_url(None))
    err.print(
        _text(
            "note: the embedded PostgreSQL stops when this command exits; "
            "`crq db start` keeps it running for psql and other programs"
        )
    )


@db_app.command("start")
def db_start() -> None:
    """Start the embedded PostgreSQL and keep it running between commands (data in $CRQ_HOME/pgdata),
    so that `crq db shell`, psql and other programs can use it; prints its URL. `crq db stop` stops it."""
    from runtime import embedded

    url = embedded.start()
    print(url)
    err.print(_text(f"{embedded.state().describe(embedded.data_dir())}; `crq db stop` stops it"))


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL that `crq db start` kept running (it waits for crq commands
    still using it: they stop it when they exit)."""
    from runtime import embedded

    err.print(_text(embedded.stop()))


@db_app.command("status")
def db_status() -> None:
    """Whether the embedded PostgreSQL is running, who keeps it running, and its URL."""
    from runtime import embedded

    now = embedded.state()
    err.print(_text(now.describe(embedded.data_dir())))
    if now.url:
        print(now.url)


@db_app.command("shell")
def db_shell(
    command: Annotated[list[str], typer.Option("--command", "-c", help="run this SQL (repeatable)")] = [],
    file: Annotated[list[Path], typer.Option("--file", "-f", help="run the SQL in this file")] = [],
    database_url: DatabaseUrl = None,
) -> None:
    """psql (the one shipped with the embedded PostgreSQL) on the database crq uses, as its
    administrator; interactive without -c/-f. Stops at the first failing statement (psql's exit code)."""
    from runtime import embedded
    from runtime.database import database_url as resolve_url

    psql = embedded.psql_path()
    if not psql.exists():
        raise UserError(f"no psql at {psql}; use any psql with the URL `crq db url` prints")
    args = [str(psql), resolve_url(database_url), "-v", "ON_ERROR_STOP=1", "-X"]
    for c in command:
        args += ["-c", c]
    for f in file:
        args += ["-f", str(f)]
    code = subprocess.run(args, check=False).returncode  # the embedded server stays up while it runs
    if code:
        raise typer.Exit(code)


@db_app.command("setup")
def db_setup(
    database_url: Annotated[
        str | None,
        typer.Option("--database-url", help="an administrator's URL (default: as for every command)"),
    ] = None,
    model: ModelPath = None,
    show: Annotated[bool, typer.Option("--print", help="print the SQL instead of running it")] = False,
) -> None:
    """Create crq's database roles and grant the model's schemas (docs/database-roles.md).

    Passwords come from $CRQ_READER_PASSWORD, $CRQ_OWNER_PASSWORD and $CRQ_API_PASSWORD when set
    (never from arguments, which other users of the machine can see); --print shows them as '...'.
    """
    from psycopg.conninfo import conninfo_to_dict

    from runtime.database import connect
    from runtime.database import database_url as resolve_url
    from runtime.roles import APP_ROLE, OWNER_ROLE, READER_ROLE, password_statements, setup, setup_statements

    the_model = _model(model)
    schemas = sorted({t.schema_name or the_model.schema_name or "public" for t in the_model.tables})
    env = {READER_ROLE: "CRQ_READER_PASSWORD", OWNER_ROLE: "CRQ_OWNER_PASSWORD", APP_ROLE: "CRQ_API_PASSWORD"}
    passwords = {role: os.environ[name] for role, name in env.items() if os.environ.get(name)}
    if show:
        dbname = conninfo_to_dict(database_url or os.environ.get("CRQ_DATABASE_URL") or "").get("dbname")
        shown = {role: "..." for role in passwords}
        for statement in setup_statements(str(dbname or "postgres"), schemas) + password_statements(shown):
            print(statement.as_string(None) + ";")
        return
    with connect(resolve_url(database_url), autocommit=True) as conn:
        try:
            setup(conn, schemas, passwords)
        except Exception as e:  # psycopg errors carry the server's message
            raise DatabaseError(f"db setup failed: {str(e).strip().splitlines()[0]}") from None
    schemas_text = ", ".join(schemas)
    done = f"roles {READER_ROLE}, {OWNER_ROLE} and {APP_ROLE} ready; {READER_ROLE} may read {schemas_text}"
    out.print(_text(done + (f"; passwords set for {', '.join(passwords)}" if passwords else "")))


def _views(model_path: Path | None, database_url: str | None) -> ViewManager:
    from runtime.database import database_url as resolve_url
    from runtime.materialized_views import ViewManager

    return ViewManager(resolve_url(database_url), _model(model_path))


ViewNames = Annotated[list[str] | None, typer.Argument(help="view names (default: all)")]


@mv_app.command("plan")
def mv_plan(names: ViewNames = None, model: ModelPath = None) -> None:
    """Print the DDL `crq mv create` would run (no database needed)."""
    from compiler.catalog import catalog_for
    from compiler.materializations import create_statements, layouts

    catalog = catalog_for(_model(model))
    chosen = layouts(catalog)
    unknown = [n for n in names or [] if n not in chosen]
    if unknown:
        raise UserError(f"unknown materialization {', '.join(unknown)} (valid: {', '.join(chosen)})")
    for name, layout in chosen.items():
        if names and name not in names:
            continue
        out.print(_text(f"-- {name}"))
        for statement in create_statements(layout, catalog):
            out.print(_text(statement + ";", lines=True))
        out.print()


def _progress(doing: str) -> Callable[[str], None]:
    return lambda name: err.print(_text(f"{doing} {name} ..."))


@mv_app.command("create")
def mv_create(names: ViewNames = None, database_url: DatabaseUrl = None, model: ModelPath = None) -> None:
    """Build (or rebuild) views from the current model."""
    statuses = _views(model, database_url).create(names, progress=_progress("building"))
    _print_status(statuses)


@mv_app.command("refresh")
def mv_refresh(names: ViewNames = None, database_url: DatabaseUrl = None, model: ModelPath = None) -> None:
    """Refresh views (CONCURRENTLY where a unique index allows); rebuild those whose definition changed."""
    statuses = _views(model, database_url).refresh(names, progress=_progress("refreshing"))
    _print_status(statuses)


@mv_app.command("status")
def mv_status(
    names: ViewNames = None,
    database_url: DatabaseUrl = None,
    model: ModelPath = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Rows, size, last refresh and staleness of each view."""
    statuses = _views(model, database_url).status(names)
    if as_json:
        print(json.dumps([s.as_dict() for s in statuses]))
    else:
        _print_status(statuses)


def _print_status(statuses: list[ViewStatus]) -> None:
    table = Table("view", "state", "rows", "size", "last refresh", "refresh s", "stale h (max)")
    for s in statuses:
        state = (
            "usable"
            if s.usable
            else ("not built" if not s.built else "outdated" if not s.current else "stale")
        )
        cells = (
            s.name,
            state,
            f"{s.rows:,}" if s.rows is not None else "",
            f"{(s.bytes or 0) / 1e6:,.1f} MB" if s.bytes is not None else "",
            s.refreshed_at.isoformat(timespec="seconds") if s.refreshed_at else "",
            f"{s.refresh_seconds:.2f}" if s.refresh_seconds is not None else "",
            f"{s.staleness_hours:.2f} ({s.max_staleness_hours:g})" if s.staleness_hours is not None else "",
        )
        table.add_row(*(_text(c) for c in cells))
    out.print(table)


@sample_app.command("load")
def sample_load(
    database_url: DatabaseUrl = None,
    seed: Annotated[int, typer.Option(help="random seed")] = 42,
    scale: Annotated[float, typer.Option(help="1 = about 5,000 resources", min=0.001)] = 1.0,
    as_of: AsOf = None,
    days: Annotated[int, typer.Option(help="days of cost history", min=1)] = 180,
    views: Annotated[bool, typer.Option(help="build the model's materialized views afterwards")] = True,
) -> None:
    """Create schema `inventory` and fill it with a deterministic sample cloud inventory."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from runtime.database import database_url as resolve_url
    from runtime.sample import load_sample

    url = resolve_url(database_url)
    day = _as_of(as_of) or dt.datetime.now(dt.UTC).date()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:,}/{task.total:,}"),
        TimeElapsedColumn(),
        console=err,
        transient=False,
    ) as progress:
        tasks: dict[str, Any] = {}

        def report(step: str, done: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = progress.add_task(step, total=total)
            progress.update(tasks[step], completed=done, total=total)

        try:
            counts = load_sample(url, seed=seed, scale=scale, as_of=day, days=days, progress=report)
        except ValueError as e:
            raise UserError(str(e)) from None
        except Exception as e:  # psycopg errors carry the server's message
            raise DatabaseError(f"sample load failed: {str(e).strip().splitlines()[0]}") from None
    err.print(", ".join(f"{t}: {n:,} rows" for t, n in counts.items()) + f" (as of {day})", highlight=False)
    if views:
        statuses = _views(None, url).create(progress=lambda n: err.print(_text(f"building view {n} ...")))
        err.print(", ".join(f"{s.name}: {s.rows:,} rows" for s in statuses), highlight=False)


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="address to listen on; 127.0.0.1 is this machine only")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="port", min=0, max=65535)] = 8080,
    database_url: DatabaseUrl = None,
    model: ModelPath = None,
    aws_endpoint: AwsEndpoint = None,
) -> None:
    """Run the chat API's Lambda handler on a local HTTP server (docs/api.md); $CRQ_ACCESS_FILE names
    the access policy, CRQ_AUTH=none serves this machine's user every row without identity. Jobs run
    in-process, or on SQS/S3 at --aws-endpoint ($CRQ_JOBS_QUEUE_URL, $CRQ_RESULTS_BUCKET)."""
    from runtime.aws import api
    from runtime.aws.queue import attach_jobs
    from runtime.database import database_url as resolve_url
    from runtime.jobs import JobSettings
    from runtime.server import make_server
    from semantic.access import load_policy

    open_to_all = os.environ.get("CRQ_AUTH") == "none"
    if open_to_all and host not in ("127.0.0.1", "localhost", "::1"):
        raise UserError(f"CRQ_AUTH=none serves everyone every row: only on 127.0.0.1, not on {host}")
    the_model = _model(model)
    policy_file = os.environ.get("CRQ_ACCESS_FILE")
    policy = load_policy(policy_file, the_model) if policy_file else None
    container = api.Container(the_model, resolve_url(database_url), policy=policy)
    container.job_settings = JobSettings.from_env()
    container.database.execute("SELECT 1", {})  # fail now, not on the first request
    if missing := _missing_tables(the_model, container.database):  # say so now, not as a 503 per question
        err.print(
            _text(
                f"warning: the database has no {', '.join(missing)}: every question will fail until the "
                "inventory is there (`crq sample load` loads the sample)"
            )
        )
    attach_jobs(container, aws_endpoint)
    api.use_container(container)
    if open_to_all:
        err.print(_text("warning: CRQ_AUTH=none: every request is served as the local user, who sees it all"))
    server = make_server(host, port)
    base = f"http://{host}:{server.server_address[1]}"
    err.print(_text(f"crq API on {base}/v1 (Ctrl-C stops)"))
    err.print(_text(f"the demo page on {base}/"))
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _missing_tables(model: SemanticModel, database: Database) -> list[str]:
    """The model's tables the database does not have, as ``schema.table``."""
    from semantic.rules.database_columns import qualified_name

    names = [qualified_name(model, t) for t in model.tables]
    found = database.columns(sorted({n.split(".", 1)[0] for n in names}))
    return [n for n in names if n not in found]


def _jobs_container(database_url: str | None, model: Path | None, aws_endpoint: str | None) -> Container:
    """The container a Lambda builds (from the environment: secrets, queue, bucket), the command's
    options first; boto3 reads AWS_ENDPOINT_URL."""
    from runtime.aws import api

    for name, value in (("CRQ_DATABASE_URL", database_url), ("CRQ_MODEL", model and str(model)),
                        ("AWS_ENDPOINT_URL", aws_endpoint)):  # fmt: skip
        if value:
            os.environ[name] = value
    return api.Container.from_env()


def _job_line(job: Any) -> Text:
    error = f" {job.error['code']}: {job.error['message']}" if job.error else ""
    when = job.submitted_at.strftime("%Y-%m-%d %H:%M:%S")
    line = f"{job.id}  {job.state.value:<8} {job.attempts} attempt(s)  {when}  {job.question or '(intent)'}"
    return _text(line, (error, "red"))


@jobs_app.command("list")
def jobs_list(
    status: Annotated[str | None, typer.Option(help="queued, running, done or failed")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 50,
    database_url: DatabaseUrl = None,
) -> None:
    """The latest jobs, newest first (every caller's: this is the operator's view)."""
    from runtime.jobs import JobState

    try:
        state = JobState(status) if status else None
    except ValueError:
        raise UserError(f"--status must be one of {', '.join(s.value for s in JobState)}") from None
    for job in _jobs_container(database_url, None, None).jobs.list(state, limit):
        out.print(_job_line(job))


@jobs_app.command("show")
def jobs_show(job_id: str, database_url: DatabaseUrl = None) -> None:
    """One job in full, as JSON (its answer included when done)."""
    job = _jobs_container(database_url, None, None).jobs.get(job_id)
    if job is None:
        raise UserError(f"no job {job_id!r}")
    data = {k: v for k, v in job.__dict__.items() if k not in ("claim",)}
    data |= {"state": job.state.value, "intent": job.intent.model_dump(mode="json")}
    data["scope"] = job.scope.to_json()
    print(json.dumps(data, default=str, indent=2))


@jobs_app.command("retry")
def jobs_retry(
    job_ids: Annotated[list[str] | None, typer.Argument(help="failed jobs to run again")] = None,
    failed: Annotated[bool, typer.Option("--failed", help="every failed job")] = False,
    database_url: DatabaseUrl = None,
    aws_endpoint: AwsEndpoint = None,
) -> None:
    """Re-drive failed jobs: queued again with fresh attempts and a new message ($CRQ_JOBS_QUEUE_URL).
    Their old messages in the dead-letter queue can then be purged (or redriven: harmless)."""
    from runtime.jobs import JobState

    c = _jobs_container(database_url, None, aws_endpoint)
    if c.queue is None:
        raise UserError("retry sends messages: set $CRQ_JOBS_QUEUE_URL (and --aws-endpoint off AWS)")
    ids = list(job_ids or ()) + ([j.id for j in c.jobs.list(JobState.FAILED, 10_000)] if failed else [])
    if not ids:
        raise UserError("name the jobs to retry, or --failed")
    for job_id in ids:
        if c.jobs.retry(job_id):
            c.queue.send(job_id)
            err.print(_text(f"{job_id}: queued again"))
        else:
            err.print(_text(f"{job_id}: not a failed job; left alone"))


@jobs_app.command("sweep")
def jobs_sweep(database_url: DatabaseUrl = None, aws_endpoint: AwsEndpoint = None) -> None:
    """Send again the jobs whose worker died or whose message was lost (the jobs Lambda does this
    once a minute by itself)."""
    from runtime.aws.jobs import sweep

    c = _jobs_container(database_url, None, aws_endpoint)
    if c.queue is None:
        raise UserError("sweep sends messages: set $CRQ_JOBS_QUEUE_URL (and --aws-endpoint off AWS)")
    resent, failed = sweep(c.jobs, c.queue, c.job_settings)
    err.print(_text(f"{resent} job(s) sent again, {failed} failed for good"))


@jobs_app.command("worker")
def jobs_worker(
    database_url: DatabaseUrl = None, model: ModelPath = None, aws_endpoint: AwsEndpoint = None,
    wait: Annotated[int, typer.Option(min=0, max=20, help="long-poll seconds")] = 20,
) -> None:  # fmt: skip
    """Run jobs from $CRQ_JOBS_QUEUE_URL until SIGTERM or Ctrl-C: the jobs Lambda's code as a
    long-polling consumer for ECS/Fargate (docs/api.md). On SIGTERM the job in flight goes back to
    the queue at once, for another worker."""
    import threading

    from runtime.aws.queue import SqsWorker, client

    c = _jobs_container(database_url, model, aws_endpoint)
    url = os.environ.get("CRQ_JOBS_QUEUE_URL")
    if not url:
        raise UserError("the worker reads $CRQ_JOBS_QUEUE_URL: set it to the jobs queue's URL")
    worker = SqsWorker(url, client("sqs", aws_endpoint), c.runner, wait_s=wait)
    signal.signal(signal.SIGTERM, lambda *_: worker.stop())
    thread = threading.Thread(target=worker.run, name="crq-jobs", daemon=True)
    thread.start()
    err.print(_text(f"crq jobs worker on {url} (SIGTERM or Ctrl-C stops)"))
    try:
        while thread.is_alive() and not worker.stopping.is_set():
            thread.join(0.2)  # the main thread stays free to take signals
    except KeyboardInterrupt:
        worker.stop()
    back = ": its job went back to the queue" if worker.gave_back else ""
    err.print(_text(f"crq jobs worker stopped{back}"))


if __name__ == "__main__":
    main()
