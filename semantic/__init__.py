"""Semantic models: load YAML, validate it with every rule, report issues by file:line:col."""

from semantic.loader import DEFAULT_MODEL, check_model, check_model_text, load_model

__all__ = ["DEFAULT_MODEL", "check_model", "check_model_text", "load_model"]
