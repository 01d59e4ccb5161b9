"""Settings of the LLM mapper, read from the environment, and the price table used to cost each call.

Why from the environment: the same settings serve the CLI, the local server and (later) a Lambda, and
none of them should need a config file to point crq at an OpenAI-compatible endpoint::

    CRQ_LLM_BASE_URL     e.g. https://api.openai.com/v1 or http://localhost:11434/v1 (Ollama)
    CRQ_LLM_MODEL        e.g. gpt-4o-mini
    CRQ_LLM_API_KEY      optional: local endpoints need none
    CRQ_LLM_TIMEOUT      seconds per HTTP call, a deadline for the whole call: connecting, sending,
                         waiting and reading the body (default 30)
    CRQ_LLM_QUESTION_TIMEOUT  seconds for all the calls of one question, retries, backoff and repairs
                         included (default 60); then the offline mapper answers
    CRQ_LLM_MAX_RETRIES  retries after the first try on 429 / 5xx / timeout / connection error (default 3)
    CRQ_MAPPER           offline | llm | hybrid (default: llm when base URL and model are set, else offline)
    CRQ_LLM_PRICES       a JSON file {"model": {"input": 0.15, "output": 0.6, "cached_input": 0.075}}
                         in USD per 1M tokens, merged over the defaults below

Prices are list prices at the time of writing and change; they only feed the cost estimate of
``crq usage``, never a decision. A model without a price is logged with cost ``null`` (unknown), not 0.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from models.errors import UserError

MapperKind = Literal["offline", "llm", "hybrid"]


class Price(BaseModel):
    """USD per 1M tokens. ``cached_input`` defaults to ``input`` (no discount known)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    input: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    output: Annotated[float, Field(ge=0, allow_inf_nan=False)]
    cached_input: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = None

    def cost(self, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0) -> float:
        """Cached prompt tokens are part of ``prompt_tokens`` (as OpenAI reports them), billed cheaper."""
        cached = min(cached_tokens, prompt_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        usd = (prompt_tokens - cached) * self.input + cached * cached_rate + completion_tokens * self.output
        return round(usd / 1_000_000, 8)


# List prices (USD / 1M tokens: input, output, cached input) of a few common models when written.
DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o": Price(input=2.50, output=10.00, cached_input=1.25),
    "gpt-4o-mini": Price(input=0.15, output=0.60, cached_input=0.075),
    "gpt-4.1": Price(input=2.00, output=8.00, cached_input=0.50),
    "gpt-4.1-mini": Price(input=0.40, output=1.60, cached_input=0.10),
    "gpt-4.1-nano": Price(input=0.10, output=0.40, cached_input=0.025),
    "gpt-5": Price(input=1.25, output=10.00, cached_input=0.125),
    "gpt-5-mini": Price(input=0.25, output=2.00, cached_input=0.025),
    "gpt-5-nano": Price(input=0.05, output=0.40, cached_input=0.005),
    "o4-mini": Price(input=1.10, output=4.40, cached_input=0.275),
}


class LLMSettings(BaseModel):
    """Everything the LLM mapper and the factory need; build with ``from_env()`` or directly in tests.

    The backoff, repair and prompt-size knobs are not in the environment on purpose: they are tuned
    here, and tests shrink them to keep the suite fast. ``prompt_tokens`` and ``enum_values`` cap
    what one call sends (the fixed prompt in estimated tokens, the reply schema's enum values): a model
    whose whole prompt fits is sent whole, a larger one as the part each question needs
    (``llm_prompt.PromptBuilder``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")
    base_url: str | None = None
    model: str | None = None
    api_key: SecretStr | None = None
    timeout: Annotated[float, Field(gt=0, le=600)] = 30.0
    question_timeout: Annotated[float, Field(gt=0, le=3600)] = 60.0
    max_retries: Annotated[int, Field(ge=0, le=10)] = 3
    mapper: MapperKind = "offline"
    prices: dict[str, Price] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    backoff_base: Annotated[float, Field(ge=0)] = 0.5
    backoff_max: Annotated[float, Field(ge=0)] = 8.0
    max_retry_after: Annotated[float, Field(ge=0)] = 30.0
    repair_attempts: Annotated[int, Field(ge=0, le=5)] = 2
    prompt_tokens: Annotated[int, Field(ge=1000)] = 8000
    enum_values: Annotated[int, Field(ge=50, le=1000)] = 500

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LLMSettings:
        """Read the ``CRQ_*`` variables; raises ``UserError`` naming the variable that is wrong."""
        env = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        base_url, model = get("CRQ_LLM_BASE_URL"), get("CRQ_LLM_MODEL")
        mapper = get("CRQ_MAPPER") or ("llm" if base_url and model else "offline")
        if mapper not in ("offline", "llm", "hybrid"):
            raise UserError(f"CRQ_MAPPER must be offline, llm or hybrid, not {mapper!r}")
        values: dict[str, object] = {"base_url": base_url, "model": model, "mapper": mapper}
        if key := get("CRQ_LLM_API_KEY"):
            values["api_key"] = key
        numbers = (
            ("CRQ_LLM_TIMEOUT", "timeout", float),
            ("CRQ_LLM_QUESTION_TIMEOUT", "question_timeout", float),
            ("CRQ_LLM_MAX_RETRIES", "max_retries", int),
        )
        for var, field, kind in numbers:
            raw = get(var)
            if raw is not None:
                try:
                    values[field] = kind(raw)
                except ValueError:
                    raise UserError(f"{var} must be a number, not {raw!r}") from None
        prices_file = get("CRQ_LLM_PRICES")
        if prices_file:
            values["prices"] = {**DEFAULT_PRICES, **load_prices(Path(prices_file))}
        try:
            return cls.model_validate(values)
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(map(str, err['loc']))}: {err['msg']}" for err in e.errors())
            raise UserError(f"invalid LLM settings: {problems}") from None

    @property
    def llm_configured(self) -> bool:
        """A model name is the minimum; without a base URL the SDK talks to OpenAI itself."""
        return bool(self.model)

    def price_for(self, model: str | None) -> Price | None:
        """Exact name first, else the longest known prefix ("gpt-4o-mini-2024-07-18" -> "gpt-4o-mini")."""
        if not model:
            return None
        if model in self.prices:
            return self.prices[model]
        prefixes = [name for name in self.prices if model.startswith(name + "-")]
        return self.prices[max(prefixes, key=len)] if prefixes else None

    def cost(
        self, model: str | None, prompt_tokens: int, completion_tokens: int, cached_tokens: int = 0
    ) -> float | None:
        """USD for one call, or None when ``model`` has no known price."""
        price = self.price_for(model)
        return None if price is None else price.cost(prompt_tokens, completion_tokens, cached_tokens)


def load_prices(path: Path) -> dict[str, Price]:
    """``{"model": {"input": .., "output": .., "cached_input": ..}}`` or ``{"model": [input, output]}``."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as e:
        raise UserError(f"CRQ_LLM_PRICES: cannot read {path}: {e.strerror or e}") from None
    except json.JSONDecodeError as e:
        raise UserError(f"CRQ_LLM_PRICES: {path} is not JSON: {e}") from None
    if not isinstance(raw, dict):
        raise UserError(f"CRQ_LLM_PRICES: {path} must hold an object of model name -> price")
    out: dict[str, Price] = {}
    for name, entry in raw.items():
        try:
            if isinstance(entry, list | tuple):
                out[name] = Price(input=entry[0], output=entry[1])
            else:
                out[name] = Price.model_validate(entry)
        except (ValidationError, IndexError, TypeError):
            raise UserError(
                f'CRQ_LLM_PRICES: price of {name!r} must be {{"input": USD, "output": USD}} per 1M tokens'
            ) from None
    return out


__all__ = ["DEFAULT_PRICES", "LLMSettings", "MapperKind", "Price", "load_prices"]
