"""Who is asking: read from what API Gateway's authorizer (or a function URL's IAM auth) put in the event.

crq never authenticates anyone itself: API Gateway has already verified the JWT, run the Lambda
authorizer or checked the IAM signature, and the request context carries the result. Sources, in order:
JWT claims (HTTP API JWT authorizer, REST Cognito authorizer), a Lambda authorizer's context, the IAM
principal (which belongs to the group ``iam``). Groups come from ``cognito:groups`` or ``groups``,
as a list, a JSON list, API Gateway's ``[a b]`` rendering of a list claim, or a comma-separated string.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Identity:
    subject: str
    groups: tuple[str, ...]
    source: str  # jwt, lambda, iam, none

    @property
    def key(self) -> str:
        """Who owns a conversation: the subject within its source (a JWT 'sub' is not an IAM ARN)."""
        return f"{self.source}:{self.subject}"


def identity_from(event: Mapping[str, Any]) -> Identity | None:
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    claims = (authorizer.get("jwt") or {}).get("claims") or authorizer.get("claims")
    if isinstance(claims, Mapping) and claims.get("sub"):
        return Identity(str(claims["sub"]), _groups(claims), "jwt")
    lam = authorizer.get("lambda") if "lambda" in authorizer else _rest_lambda_context(authorizer)
    if isinstance(lam, Mapping):
        subject = lam.get("sub") or lam.get("principalId") or authorizer.get("principalId")
        if subject:
            return Identity(str(subject), _groups(lam), "lambda")
    iam = authorizer.get("iam") or context.get("identity") or {}
    arn = iam.get("userArn") if isinstance(iam, Mapping) else None
    if arn:  # a signed request from an AWS principal: a program, given the policy's group "iam"
        return Identity(str(arn), ("iam",), "iam")
    return None


def _rest_lambda_context(authorizer: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """A REST API Lambda authorizer puts principalId and its context keys straight in ``authorizer``."""
    return authorizer if authorizer.get("principalId") else None


def _groups(source: Mapping[str, Any]) -> tuple[str, ...]:
    raw = source.get("cognito:groups", source.get("groups"))
    if raw is None:
        return ()
    if isinstance(raw, (list, tuple)):
        return tuple(str(g) for g in raw if str(g))
    text = str(raw).strip()
    if text.startswith("[") and text.endswith("]"):
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = text[1:-1].split()  # API Gateway renders a list claim as "[a b c]"
        return tuple(str(g) for g in parsed if str(g))
    return tuple(g.strip() for g in text.split(",") if g.strip())
