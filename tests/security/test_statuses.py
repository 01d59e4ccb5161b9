"""What an answer's status and the exit code say (issue 8, items A, C and D).

A database failure is ``error`` (exit code 1), not a refusal; a reading the mapper did not fully
understand, or a negative count, is asked back rather than answered; bad input that used to end in an
internal error is one clear line with exit code 2.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from models.intent import Intent
from models.responses import Mapping
from runtime.mappers.offline import OfflineMapper
from semantic import load_model

CRQ = str(Path(sys.executable).parent / "crq")
AS_OF = "2026-06-17"


def crq(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The real command, with no CRQ_* settings from the developer's shell."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CRQ_")}
    return subprocess.run(
        [CRQ, *args], capture_output=True, text=True, timeout=120, env={**clean, **(env or {})}
    )


def ask_json(
    url: str, *questions: str, env: dict[str, str] | None = None
) -> tuple[int, list[dict[str, Any]]]:
    p = crq("ask", "--json", "--database-url", url, "--as-of", AS_OF, *questions, env=env)
    assert p.stderr == "", p.stderr
    return p.returncode, [json.loads(line) for line in p.stdout.splitlines()]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def declined(
    question: str, status: str, message: str, suggestions: list[str], mapper: str | None
) -> dict[str, Any]:
    """The whole JSON of an answer that is not one: no intent, no SQL, no rows."""
    return {
        "question": question,
        "status": status,
        "intent": None,
        "sql": None,
        "params": {},
        "columns": [],
        "rows": [],
        "truncated": False,
        "answer": "",
        "message": message,
        "suggestions": suggestions,
        "mapper": mapper,
        "materialization": None,
    }


def without_timings(answer: dict[str, Any]) -> dict[str, Any]:
    assert set(answer.pop("timings_ms")) <= {"map", "compile", "execute", "total"}
    return answer


# --- A: a database failure is an error -----------------------------------------------------------------


def test_a_timeout_is_an_error_with_exit_code_1_and_later_questions_still_run(sample_url: str) -> None:
    p = crq(
        "ask",
        "--json",
        "--timeout",
        "0.1",
        "--database-url",
        sample_url,
        "--as-of",
        AS_OF,
        "top 10 resources by average daily cost",
        "how many accounts are there?",
    )
    assert p.returncode == 1 and p.stderr == ""
    timed_out, counted = (json.loads(line) for line in p.stdout.splitlines())
    assert without_timings(timed_out) == declined(
        "top 10 resources by average daily cost",
        "error",
        "the query ran longer than 0.1 s and was cancelled; narrow it with a filter or a shorter time range",
        [],
        None,
    )
    assert without_timings(counted) == {
        "question": "how many accounts are there?",
        "status": "answered",
        "intent": {
            "metrics": ["account_count"],
            "dimensions": [],
            "filters": [],
            "segments": [],
            "time_range": None,
            "order_by": [],
            "limit": None,
            "timezone": None,
            "share": None,
            "compare": None,
            "cumulative": None,
            "previous": None,
        },
        "sql": "SELECT\n  COUNT(*) AS account_count\nFROM inventory.accounts AS accounts",
        "params": {},
        "columns": ["account_count"],
        "rows": [[24]],
        "truncated": False,
        "answer": "Account count: 24 (interpreted as account_count).",
        "message": "",
        "suggestions": [],
        "mapper": "offline",
        "materialization": None,
    }


def test_a_timeout_in_text_output(sample_url: str) -> None:
    p = crq(
        "ask",
        "--timeout",
        "0.1",
        "--database-url",
        sample_url,
        "--as-of",
        AS_OF,
        "top 10 resources by average daily cost",
        "how many accounts are there?",
    )
    assert p.returncode == 1 and p.stderr == ""
    assert p.stdout.startswith(
        "Q: top 10 resources by average daily cost\n"
        "error: the query ran longer than 0.1 s and was cancelled; narrow it with a filter or a shorter time "
        "range\n"
        "\n"
        "Q: how many accounts are there?\n"
        "Account count: 24 (interpreted as account_count).\n"
    )


def test_an_unreachable_database_is_an_error_for_every_question(tmp_path: Path) -> None:
    url = f"postgresql://crq@127.0.0.1:{closed_port()}/crq"
    code, answers = ask_json(url, "how many accounts are there?", "cost by service last month")
    assert code == 1
    assert [a["status"] for a in answers] == ["error", "error"]
    for answer, question in zip(
        answers, ["how many accounts are there?", "cost by service last month"], strict=True
    ):
        message = answer["message"]
        assert message.startswith("cannot connect to the database: ") and "Connection refused" in message
        assert "\n" not in message and "Traceback" not in message
        assert without_timings(answer) == declined(question, "error", message, [], None)


# --- C: what the mapper knew reaches the user ----------------------------------------------------------


@pytest.fixture(scope="module")
def mapper() -> OfflineMapper:
    return OfflineMapper(load_model(), as_of=dt.date.fromisoformat(AS_OF))


def test_an_incomplete_reading_says_which_words(mapper: OfflineMapper) -> None:
    m = mapper.map("Resource spned pending deletion")
    assert m == Mapping(
        status="answered",
        intent=Intent(metrics=("cost",)),
        complete=False,
        message="interpreted as: cost (read 'spned' as 'spend') (ignored: pending, deletion)",
        note="I read 'spned' as 'spend' and did not understand 'pending', 'deletion'",
    )


def test_a_reading_with_only_a_typo_is_answered_and_says_so(mapper: OfflineMapper) -> None:
    m = mapper.map("cost by servise last month")
    assert (m.status, m.complete, m.note, m.suggestions) == (
        "answered",
        True,
        "I read 'servise' as 'service'",
        (),
    )
    assert m.intent == mapper.map("cost by service last month").intent


@pytest.mark.parametrize(
    ("question", "number", "suggestion"),
    [
        ("top -3 accounts by cost", "-3", "top 3 accounts by cost"),
        (
            "accounts costing more than −500 dollars last month",
            "−500",
            "accounts costing more than 500 dollars last month",
        ),
        ("cost over the last –2 months", "–2", "cost over the last 2 months"),
    ],
)
def test_a_negative_number_is_asked_about(
    mapper: OfflineMapper, question: str, number: str, suggestion: str
) -> None:
    assert mapper.map(question) == Mapping(
        status="clarify",
        complete=False,
        suggestions=(suggestion,),
        message=f"'{number}' is a negative number, and no count, limit or amount here can be one; ask "
        "without the minus sign",
    )


def test_make_it_minus_one_is_asked_about(mapper: OfflineMapper) -> None:
    first = mapper.map("top 3 accounts by cost")
    assert first.status == "answered" and first.intent is not None and first.intent.limit == 3
    assert mapper.map("make it -1", first.intent) == Mapping(
        status="clarify",
        complete=False,
        suggestions=("make it 1",),
        message="'-1' is a negative number, and no count, limit or amount here can be one; ask without the "
        "minus sign",
    )


@pytest.mark.parametrize(
    "question",
    [
        "cost in eu-west-1 between 2026-05-01 and 2026-05-31",
        "cost in ap-northeast-1 for the first-quarter",
        "cost for the payments-prod account last month",
    ],
)
def test_hyphens_in_names_and_dates_are_not_minus_signs(mapper: OfflineMapper, question: str) -> None:
    assert mapper.map(question).status == "answered"


def test_incomplete_readings_and_negative_numbers_are_asked_back(sample_url: str) -> None:
    code, answers = ask_json(
        sample_url,
        "Resource spned pending deletion",
        "top 3 accounts by cost",
        "make it -1",
        "top -3 accounts by cost",
        "cost by servise last month",
        "cost by service last month",
    )
    assert code == 0
    pending, top, minus_one, minus_three, typo, spelt = answers
    assert without_timings(pending) == declined(
        "Resource spned pending deletion",
        "clarify",
        "I read 'spned' as 'spend' and did not understand 'pending', 'deletion', so I am not sure what you "
        "mean (I would answer: cost)",
        [],
        "offline",
    )
    assert top["status"] == "answered" and len(top["rows"]) == 3
    assert without_timings(minus_one) == declined(
        "make it -1",
        "clarify",
        "'-1' is a negative number, and no count, limit or amount here can be one; ask without the minus sign",
        ["make it 1"],
        "offline",
    )
    assert without_timings(minus_three) == declined(
        "top -3 accounts by cost",
        "clarify",
        "'-3' is a negative number, and no count, limit or amount here can be one; ask without the minus sign",
        ["top 3 accounts by cost"],
        "offline",
    )
    # a typo-only reading is answered: the same whole answer as the question spelt right, plus the note
    assert spelt["status"] == "answered" and len(spelt["rows"]) > 1
    assert without_timings(typo) == without_timings(spelt) | {
        "question": "cost by servise last month",
        "message": "I read 'servise' as 'service'",
    }


def test_the_llm_fallback_note_reaches_the_answer_and_the_question_asked_back(
    sample_url: str, tmp_path: Path
) -> None:
    env = {
        "CRQ_LLM_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1",
        "CRQ_LLM_MODEL": "gpt-test",
        "CRQ_LLM_MAX_RETRIES": "0",
        "CRQ_HOME": str(tmp_path),
    }
    code, answers = ask_json(
        sample_url,
        "how many accounts are there?",
        "Resource spned pending deletion",
        env={**env, "CRQ_MAPPER": "llm"},
    )
    assert code == 0
    counted, pending = answers
    assert (counted["status"], counted["rows"], counted["mapper"], counted["message"]) == (
        "answered",
        [[24]],
        "offline-fallback",
        "LLM unavailable (connection); answered by the offline mapper",
    )
    assert without_timings(pending) == declined(
        "Resource spned pending deletion",
        "clarify",
        "LLM unavailable (connection); read by the offline mapper; I read 'spned' as 'spend' and did not "
        "understand 'pending', 'deletion', so I am not sure what you mean (I would answer: cost)",
        [],
        "offline-fallback",
    )
    code, (hybrid,) = ask_json(
        sample_url, "Resource spned pending deletion", env={**env, "CRQ_MAPPER": "hybrid"}
    )
    assert code == 0
    assert without_timings(hybrid) == {**pending, "mapper": "hybrid-offline"}


# --- D: one clear line, exit code 2 ----------------------------------------------------------------------


FAR_BACK = (
    '{"metrics": ["cost"], "time_range": {"kind": "previous", "unit": "year", "n": 1000, "skip": 1000}}'
)
FAR_BACK_LINE = (
    "crq: time_range: 1000 full years ending 1001 years ago as of 1900-01-01 starts before the year 1\n"
)


def test_a_range_before_the_year_1_is_one_line(tmp_path: Path, sample_url: str) -> None:
    intent = tmp_path / "far.json"
    intent.write_text(FAR_BACK)
    for command in (["compile"], ["query", "--database-url", sample_url]):
        p = crq(*command, "--intent", str(intent), "--as-of", "1900-01-01")
        assert (p.returncode, p.stdout, p.stderr) == (2, "", FAR_BACK_LINE)


GOOD = [
    {
        "id": "q1",
        "question": "How many accounts are there?",
        "sql": "select count(*) from inventory.accounts",
    },
    {"id": "q2", "question": "drop them", "expect": "refused"},
]


@pytest.mark.parametrize(
    ("change", "line"),
    [
        ({"id": None}, "questions[1]: missing 'id'"),
        ({"question": None}, "questions[1] (id q3): missing 'question' (the text to ask)"),
        ({"sql": None}, "questions[1] (id q3): missing 'sql' (the reference query, or a list of them)"),
        (
            {"sql": ["select 1", 2]},
            "questions[1] (id q3): missing 'sql' (the reference query, or a list of them)",
        ),
        (
            {"followup_of": "q9"},
            "questions[1] (id q3): 'followup_of' names 'q9', which is not the id of another question",
        ),
        ({"id": "q2"}, "questions[1] (id q2): 'id' 'q2' is used by more than one question"),
        (
            {"expect": "maybe"},
            "questions[1] (id q3): 'expect' must be one of answered, refused, answered_or_refused, not 'maybe'",
        ),
    ],
)
def test_a_bad_eval_file_names_the_question_and_the_field(
    tmp_path: Path, change: dict[str, Any], line: str
) -> None:
    third = {
        "id": "q3",
        "question": "and per environment?",
        "followup_of": "q1",
        "sql": "select environment, count(*) from inventory.accounts group by 1",
    }
    third = {k: v for k, v in {**third, **change}.items() if v is not None}
    questions = tmp_path / "q.yaml"
    questions.write_text(
        yaml.safe_dump({"as_of": AS_OF, "questions": [GOOD[0], third, GOOD[1]]}, sort_keys=False)
    )
    p = crq("eval", str(questions), "--database-url", "postgresql://127.0.0.1:1/never-reached")
    assert (p.returncode, p.stdout, p.stderr) == (2, "", f"crq: {questions}: {line}\n")


def test_crq_home_pointing_at_a_file_is_one_line(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("not a directory")
    hint = f"(CRQ_HOME is {home}; it must be a directory crq can write to)"
    usage = crq("usage", env={"CRQ_HOME": str(home)})
    assert (usage.returncode, usage.stdout, usage.stderr) == (
        2,
        "",
        f"crq: {home}/usage.jsonl: Not a directory {hint}\n",
    )
    asked = crq("ask", "how many accounts are there?", env={"CRQ_HOME": str(home)})
    assert (asked.returncode, asked.stdout, asked.stderr) == (
        2,
        "",
        f"crq: {home}/pgdata: Not a directory {hint}\n",
    )
