"""The refusal rules (runtime/mappers/refusals.py) on the words that are both a request and a noun."""

from __future__ import annotations

import pytest

from runtime.mappers.refusals import refusal_reason
from runtime.mappers.tokens import tokenize

WRITING = "refused: crq answers questions about the cloud inventory with numbers, not with writing"


@pytest.mark.parametrize(
    "question",
    [
        "email the owners of the stopped instances",
        "please email finance the cost by service",
        "draft an email to the data team about their storage",
        "can you write a memo about last month's spend",
        "send a slack message with yesterday's spend",
    ],
)
def test_requests_to_write_are_refused(question: str) -> None:
    assert refusal_reason(question, tokenize(question)) == WRITING


@pytest.mark.parametrize(
    "question",
    [
        "owner email of the prod accounts",  # "email" second: a noun, the synonym of a column
        "owner email by account",
        "how many accounts have no owner email",
    ],
)
def test_email_as_a_noun_is_not_a_request_to_write(question: str) -> None:
    assert refusal_reason(question, tokenize(question)) is None
