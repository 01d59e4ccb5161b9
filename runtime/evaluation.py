"""Execution accuracy on a question file, and the model's verified queries as regression tests.

Answers are judged the way users judge them: by the rows, not the SQL text. Rows are compared as
multisets (in order when the question says so), numbers rounded to 2 decimals, column names ignored,
extra columns in the answer allowed, and a ratio may come as a fraction or a percentage.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from models.errors import DatabaseError, UserError
from models.intent import Intent
from models.responses import Answer
from runtime.mappers import IntentMapper
from runtime.service import Service


def normalize(v: Any) -> Any:
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, (int, float, decimal.Decimal)):
        return round(float(v), 2)
    if isinstance(v, dt.datetime):
        return v.date().isoformat() if v.time() == dt.time(0) else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, str):
        text = v.strip()
        try:
            return round(float(text), 2)
        except ValueError:
            pass
        if len(text) >= 10 and text[4] == "-" and text[7] == "-":
            try:
                return normalize(dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
            except ValueError:
                pass
        return text
    return str(v)


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return abs(a - b) <= max(0.011, 1e-6 * abs(a))
    return bool(a == b)


def _sort_key(row: Sequence[Any]) -> list[tuple[int, str, str]]:
    return [(0, "", "") if x is None else (1, type(x).__name__, str(x)) for x in row]


def rows_match(
    reference: Sequence[Sequence[Any]],
    answer: Sequence[Sequence[Any]],
    ordered: bool = False,
    percent: bool = False,
) -> bool:
    ref = [[normalize(x) for x in r] for r in reference]
    got = [[normalize(x) for x in r] for r in answer]
    if len(ref) != len(got):
        return False
    if not ref:
        return True
    width = len(ref[0])
    if len(got[0]) < width:
        return False
    variants = [ref]
    if percent:
        variants.append([[round(x / 100.0, 4) if isinstance(x, float) else x for x in r] for r in ref])
    for columns in itertools.permutations(range(len(got[0])), width):
        projected = [[r[i] for i in columns] for r in got]
        for variant in variants:
            a, b = (
                (variant, projected)
                if ordered
                else (sorted(variant, key=_sort_key), sorted(projected, key=_sort_key))
            )
            if all(_close(x, y) for ra, rb in zip(a, b, strict=True) for x, y in zip(ra, rb, strict=True)):
                return True
    return False


@dataclass(frozen=True)
class Verdict:
    id: str
    question: str
    passed: bool
    why: str
    details: tuple[str, ...] = ()  # more lines: expected against got


EXPECTATIONS = ("answered", "refused", "answered_or_refused")


def load_questions(path: Path) -> tuple[dt.date, list[dict[str, Any]]]:
    """The file's as-of date and questions, every question checked up front: a field missing from the
    30th question is reported before any question runs, naming the question and the field."""
    try:
        spec = yaml.safe_load(path.read_text())
        as_of, questions = dt.date.fromisoformat(str(spec["as_of"])), list(spec["questions"])
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as e:
        raise UserError(
            f"{path}: not a question file ({type(e).__name__}: {e}); see the dev set's format"
        ) from None
    ids = [q.get("id") if isinstance(q, dict) else None for q in questions]
    for i, q in enumerate(questions):
        problem = _question_problem(q, ids)
        if problem:
            named = f" (id {q['id']})" if isinstance(q, dict) and q.get("id") is not None else ""
            raise UserError(f"{path}: questions[{i}]{named}: {problem}")
    return as_of, questions


def _question_problem(q: Any, ids: list[Any]) -> str | None:
    if not isinstance(q, dict):
        return "not a mapping of id, question, sql, ..."
    if q.get("id") is None:
        return "missing 'id'"
    if ids.count(q["id"]) > 1:
        return f"'id' {q['id']!r} is used by more than one question"
    if not isinstance(q.get("question"), str) or not q["question"].strip():
        return "missing 'question' (the text to ask)"
    expect = q.get("expect", "answered")
    if expect not in EXPECTATIONS:
        return f"'expect' must be one of {', '.join(EXPECTATIONS)}, not {expect!r}"
    sql = q.get("sql")
    if expect != "refused" and not (
        (isinstance(sql, str) and sql.strip())
        or (isinstance(sql, list) and sql and all(isinstance(s, str) and s.strip() for s in sql))
    ):
        return "missing 'sql' (the reference query, or a list of them)"
    follows = q.get("followup_of")
    if follows is not None and (follows not in ids or follows == q["id"]):
        return f"'followup_of' names {follows!r}, which is not the id of another question"
    return None


def evaluate(service: Service, questions: list[dict[str, Any]]) -> Iterator[Verdict]:
    """Ask each question (after the one it follows up, if any) and judge the last answer."""
    by_id = {q["id"]: q for q in questions}
    for q in questions:
        turns = [q["question"]]
        if q.get("followup_of"):
            turns.insert(0, by_id[q["followup_of"]]["question"])
        answers: list[Answer] = list(service.conversation(turns))
        yield _judge(service, q, answers[-1])


def _judge(service: Service, q: dict[str, Any], answer: Answer) -> Verdict:
    expect = q.get("expect", "answered")
    if expect == "refused":
        ok = answer.status in ("refused", "clarify") and not answer.rows
        return Verdict(q["id"], q["question"], ok, f"status={answer.status}")
    if answer.status != "answered":
        ok = expect == "answered_or_refused"
        return Verdict(q["id"], q["question"], ok, f"status={answer.status}: {answer.message}")
    references = q["sql"] if isinstance(q["sql"], list) else [q["sql"]]
    for reference in references:
        try:  # the reader role, one statement, read-only: a reference that is not a query fails alone
            expected = service.database.execute(reference, {}).rows
        except DatabaseError as e:
            return Verdict(q["id"], q["question"], False, f"the reference SQL failed: {e}")
        if rows_match(expected, answer.rows, q.get("ordered", False), q.get("percent", False)):
            return Verdict(q["id"], q["question"], True, f"{len(answer.rows)} rows")
    return Verdict(
        q["id"], q["question"], False, f"{len(answer.rows)} rows differ; interpreted as {answer.answer}"
    )


def check_verified_queries(service: Service, unaided: IntentMapper | None = None) -> Iterator[Verdict]:
    """Each verified query, checked three ways and reported separately (`crq test`):

    * runs: its intent compiles and runs;
    * ask: `crq ask` reads the question as that intent: ``service.prepare`` with ``service.mapper``,
      the same mapper and rules ``crq ask`` uses (the offline mapper answers a verified question
      word for word), so test and ask cannot disagree on it;
    * mapper alone: ``unaided`` (a mapper that does not know the verified queries) reads it the same,
      so that the question still works reworded; otherwise the verdict lists expected against got.
    """
    for i, vq in enumerate(service.model.verified_queries):
        ident = f"verified_queries[{i}]"
        try:
            service.compile(vq.intent)
            answer = service.run(vq.intent, vq.question)
        except UserError as e:
            yield Verdict(ident, vq.question, False, f"runs: does not compile: {e}")
            continue
        if answer.status != "answered":
            yield Verdict(ident, vq.question, False, f"runs: does not run: {answer.message}")
            continue
        parts, diff, passed = ["runs: ok"], [], True
        if service.mapper is not None:
            asked = service.prepare(vq.question)
            if isinstance(asked, Answer):
                parts.append(f"crq ask: {asked.status}: {asked.message}")
                passed = False
            elif _canonical(asked.intent) != _canonical(vq.intent):
                parts.append("crq ask: reads it as another intent")
                diff += [f"crq ask: {line}" for line in intent_diff(vq.intent, asked.intent)]
                passed = False
            else:
                parts.append("crq ask: as verified")
        if unaided is not None:
            mapped = unaided.map(vq.question)
            if mapped.intent is None:
                parts.append(f"mapper alone: {mapped.status}: {mapped.message}")
                passed = False
            elif _canonical(mapped.intent) != _canonical(vq.intent):
                parts.append("mapper alone: reads it as another intent (rewordings may fail)")
                diff += [f"mapper alone: {line}" for line in intent_diff(vq.intent, mapped.intent)]
                passed = False
            else:
                parts.append("mapper alone: as verified")
        yield Verdict(ident, vq.question, passed, "; ".join(parts), tuple(diff))


def intent_diff(expected: Intent, got: Intent) -> list[str]:
    """The fields where two intents differ, one line each: ``order_by: expected [...], got [...]``."""
    want, have = json.loads(_canonical(expected)), json.loads(_canonical(got))
    return [
        f"{key}: expected {_shown(want.get(key))}, got {_shown(have.get(key))}"
        for key in dict.fromkeys([*want, *have])
        if want.get(key) != have.get(key)
    ]


def _shown(value: Any) -> str:
    return "(none)" if value is None else json.dumps(value, separators=(", ", ": "))


def _canonical(intent: Intent) -> str:
    return intent.model_copy(update={"previous": None}).model_dump_json(exclude_defaults=True)
