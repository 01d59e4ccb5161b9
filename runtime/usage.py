"""What the LLM costs: one JSON line per call in ``$CRQ_HOME/usage.jsonl``, and its summary.

Why a local append-only file: every call (including each failed try and each repair) must be
accounted for, even when the process dies a moment later, and ``crq usage`` must work offline.
One line per call keeps writes atomic enough (``O_APPEND``) for several processes sharing a home.

A line::

    {"ts": "2026-06-17T09:30:00.123+00:00", "model": "gpt-4o-mini", "prompt_tokens": 2100,
     "completion_tokens": 60, "cached_tokens": 1920, "cost_usd": 0.000201, "latency_ms": 812.4,
     "outcome": "ok", "error": null, "purpose": "map", "attempt": 1}

``outcome`` is ``ok`` (a usable reply came back), ``invalid`` (a reply came back, and was billed, but
could not be used: not JSON, outside the schema; a repair follows or the offline mapper answers),
``retry`` (this try failed and another follows) or ``error`` (the last try failed); ``error`` then
names the kind (``timeout``, ``rate_limit``, ``connection``, ``http_500``, ``bad_reply``,
``invalid_reply``, ``deadline``, ...). ``cost_usd`` is null when the model has no known price.

Token counts come from the endpoint, which crq does not trust: a count that is not a whole number
from 0 to ``MAX_TOKENS_PER_CALL`` (``Infinity``, ``NaN``, ``-1e9``, ``1e30``, a string) is replaced by
an estimate from the text sent and received, and the line says ``"tokens_estimated": true``. Lines
already written with impossible numbers (by an older crq, or by hand) are left out of the totals and
counted as ``rejected_lines``, so one bad line cannot make ``crq usage`` report 1e293 USD forever.

``METRICS`` is a process-level counter (calls, failed calls by kind, calls hybrid mode saved) for
whoever exports metrics later (Powertools on Lambda); it is reset only by restarting the process.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import threading
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from runtime.database import crq_home

Outcome = Literal["ok", "invalid", "retry", "error"]

MAX_TOKENS_PER_CALL = 10_000_000
"""More than any provider's context window and reply together: a larger count is not a count."""
MAX_COST_PER_CALL_USD = 1_000.0
"""A logged cost above this (or negative, or not finite) is not a cost: left out of the totals."""


def sane_count(value: object) -> int | None:
    """A token count as reported, if it is one: a whole number from 0 to ``MAX_TOKENS_PER_CALL``
    (an integral float such as ``3912.0`` counts; ``True``, ``Infinity``, ``NaN``, strings do not)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int) and 0 <= value <= MAX_TOKENS_PER_CALL:
        return value
    return None


def sane_cost(value: object) -> float | None:
    """A logged cost in USD, if it is one (finite, 0 to ``MAX_COST_PER_CALL_USD``)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        cost = float(value)
    except OverflowError:
        return None
    return cost if math.isfinite(cost) and 0 <= cost <= MAX_COST_PER_CALL_USD else None


def _sane_ms(value: object) -> float | None:
    """A logged latency: finite, 0 to one day."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        ms = float(value)
    except OverflowError:
        return None
    return ms if math.isfinite(ms) and 0 <= ms <= 86_400_000 else None


METRICS: Counter[str] = Counter()
_METRICS_LOCK = threading.Lock()


def count(name: str, n: int = 1) -> None:
    """Add to a process-level metric, e.g. ``llm.calls``, ``llm.failed.timeout``, ``hybrid.saved_calls``."""
    with _METRICS_LOCK:
        METRICS[name] += n


def failed_calls_by_kind() -> dict[str, int]:
    """The per-kind failed-call counter (``llm.failed.<kind>``) as ``{kind: n}``."""
    with _METRICS_LOCK:
        return {k.removeprefix("llm.failed."): v for k, v in METRICS.items() if k.startswith("llm.failed.")}


class UsageLog:
    """Appends usage lines; ``path`` defaults to ``$CRQ_HOME/usage.jsonl`` (resolved at first use)."""

    def __init__(self, path: Path | None = None):
        self._path = path
        self._lock = threading.Lock()
        self._warned = False

    @property
    def path(self) -> Path:
        return self._path or crq_home() / "usage.jsonl"

    def record(
        self,
        *,
        model: str,
        outcome: Outcome,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        cached_tokens: int = 0,
        cost_usd: float | None = None,
        latency_ms: float = 0.0,
        error: str | None = None,
        purpose: str = "map",
        attempt: int = 1,
        tokens_estimated: bool = False,
        now: dt.datetime | None = None,
    ) -> dict[str, Any]:
        """Write one line and update ``METRICS``; a log that cannot be written warns once, never fails
        the question (the answer matters more than its bookkeeping). Numbers that are not sane are
        written as 0 (tokens) or null (cost): the callers check them first, this is the last guard."""
        line: dict[str, Any] = {
            "ts": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="milliseconds"),
            "model": model,
            "prompt_tokens": sane_count(prompt_tokens) or 0,
            "completion_tokens": sane_count(completion_tokens) or 0,
            "cached_tokens": sane_count(cached_tokens) or 0,
            "cost_usd": sane_cost(cost_usd),
            "latency_ms": round(latency_ms, 1),
            "outcome": outcome,
            "error": error,
            "purpose": purpose,
            "attempt": attempt,
        }
        if tokens_estimated:
            line["tokens_estimated"] = True
        count("llm.calls")
        if outcome != "ok":
            count(f"llm.failed.{error or 'unknown'}")
        text = json.dumps(line, separators=(",", ":")) + "\n"
        with self._lock:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self.path.open("a", encoding="utf-8") as f:
                    f.write(text)
            except OSError as e:
                if not self._warned:
                    self._warned = True
                    warnings.warn(f"cannot write LLM usage to {self.path}: {e}", RuntimeWarning, stacklevel=2)
        return line

    def lines(self) -> Iterator[dict[str, Any]]:
        """Every well-formed line; a torn or foreign line is skipped, not fatal."""
        try:
            f = self.path.open(encoding="utf-8")
        except FileNotFoundError:
            return
        with f:
            for raw in f:
                try:
                    line = json.loads(raw)
                except json.JSONDecodeError:
                    continue
                if isinstance(line, dict) and "ts" in line and "model" in line:
                    yield line

    def summarize(self, since: dt.date | None = None, until: dt.date | None = None) -> UsageSummary:
        """Totals per (day, model), per model and overall; days are UTC dates of the call."""
        summary = UsageSummary()
        for line in self.lines():
            day = str(line["ts"])[:10]
            if (since and day < since.isoformat()) or (until and day > until.isoformat()):
                continue
            summary.add(day, str(line["model"]), line)
        return summary


@dataclass
class UsageTotals:
    calls: int = 0
    failed_calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    unpriced_calls: int = 0
    latency_ms: float = 0.0
    estimated_calls: int = 0
    rejected_lines: int = 0

    def add(self, line: dict[str, Any]) -> None:
        """One line; a line with an impossible number is counted in ``rejected_lines`` only."""
        tokens = [
            sane_count(line.get(k) or 0) for k in ("prompt_tokens", "completion_tokens", "cached_tokens")
        ]
        cost = line.get("cost_usd")
        latency = _sane_ms(line.get("latency_ms") or 0)
        if None in tokens or (cost is not None and sane_cost(cost) is None) or latency is None:
            self.rejected_lines += 1
            return
        self.calls += 1
        if line.get("outcome") != "ok":
            self.failed_calls += 1
        self.prompt_tokens += tokens[0] or 0
        self.completion_tokens += tokens[1] or 0
        self.cached_tokens += tokens[2] or 0
        if cost is None:
            if line.get("outcome") in ("ok", "invalid"):
                self.unpriced_calls += 1
        else:
            self.cost_usd += float(cost)
        self.estimated_calls += bool(line.get("tokens_estimated"))
        self.latency_ms += latency

    @property
    def avg_latency_ms(self) -> float:
        return round(self.latency_ms / self.calls, 1) if self.calls else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "calls": self.calls,
            "failed_calls": self.failed_calls,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
            "cost_usd": round(self.cost_usd, 6),
            "unpriced_calls": self.unpriced_calls,
            "estimated_calls": self.estimated_calls,
            "rejected_lines": self.rejected_lines,
            "avg_latency_ms": self.avg_latency_ms,
        }


@dataclass
class UsageSummary:
    """``rows[(day, model)]``, ``by_model[model]``, ``total`` and ``failures`` (kind -> count)."""

    rows: dict[tuple[str, str], UsageTotals] = field(default_factory=dict)
    by_model: dict[str, UsageTotals] = field(default_factory=dict)
    total: UsageTotals = field(default_factory=UsageTotals)
    failures: Counter[str] = field(default_factory=Counter)

    def add(self, day: str, model: str, line: dict[str, Any]) -> None:
        self.rows.setdefault((day, model), UsageTotals()).add(line)
        self.by_model.setdefault(model, UsageTotals()).add(line)
        rejected = self.total.rejected_lines
        self.total.add(line)
        if self.total.rejected_lines == rejected and line.get("outcome") != "ok":
            self.failures[str(line.get("error") or "unknown")] += 1

    def as_dict(self) -> dict[str, Any]:
        """For ``crq usage --json``."""
        return {
            "days": [
                {"day": day, "model": model, **t.as_dict()} for (day, model), t in sorted(self.rows.items())
            ],
            "models": {m: t.as_dict() for m, t in sorted(self.by_model.items())},
            "total": self.total.as_dict(),
            "failures": dict(sorted(self.failures.items())),
        }

    def to_text(self) -> str:
        """A plain table for terminals without rich; cost marked '+?' where some calls had no price."""
        if not self.total.calls:
            left_out = self.total.rejected_lines
            return "no LLM calls recorded" + (
                f" ({left_out} lines with impossible numbers left out)" if left_out else ""
            )
        out = [
            f"{'day':<10}  {'model':<24} {'calls':>6} {'failed':>6} {'prompt':>9} {'cached':>9} "
            f"{'output':>8} {'cost USD':>11}"
        ]

        def row(day: str, model: str, t: UsageTotals) -> str:
            cost = f"{t.cost_usd:.4f}" + ("+?" if t.unpriced_calls else "")
            return (
                f"{day:<10}  {model:<24} {t.calls:>6} {t.failed_calls:>6} {t.prompt_tokens:>9} "
                f"{t.cached_tokens:>9} {t.completion_tokens:>8} {cost:>11}"
            )

        out.extend(row(day, model, t) for (day, model), t in sorted(self.rows.items()))
        out.extend(row("all days", model, t) for model, t in sorted(self.by_model.items()))
        out.append(row("total", "", self.total))
        if self.failures:
            out.append("failed calls: " + ", ".join(f"{k} {v}" for k, v in sorted(self.failures.items())))
        if self.total.estimated_calls:
            out.append(
                f"{self.total.estimated_calls} calls with token counts estimated from the text "
                "(the endpoint's own counts were impossible)"
            )
        if self.total.rejected_lines:
            out.append(f"{self.total.rejected_lines} lines with impossible numbers left out of the totals")
        return "\n".join(out)


__all__ = [
    "MAX_COST_PER_CALL_USD",
    "MAX_TOKENS_PER_CALL",
    "METRICS",
    "UsageLog",
    "UsageSummary",
    "UsageTotals",
    "count",
    "failed_calls_by_kind",
    "sane_cost",
    "sane_count",
]
