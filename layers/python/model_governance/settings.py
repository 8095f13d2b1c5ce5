"""Typed readers for the environment contract the stack writes (see constants.ENV_*).

Functions read their settings once at cold start; a missing or malformed variable fails loudly there.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from model_governance.cards.records import stage_names
from model_governance.errors import ConfigurationError


def env_str(name: str, environ: Mapping[str, str] | None = None) -> str:
    value = (os.environ if environ is None else environ).get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is required and is empty or missing")
    return value


def env_bool(name: str, environ: Mapping[str, str] | None = None) -> bool:
    value = env_str(name, environ).lower()
    if value not in {"true", "false"}:
        raise ConfigurationError(f"environment variable {name} must be 'true' or 'false', got {value!r}")
    return value == "true"


def env_int(name: str, environ: Mapping[str, str] | None = None, *, minimum: int = 0) -> int:
    raw = env_str(name, environ)
    try:
        value = int(raw)
    except ValueError:
        raise ConfigurationError(f"environment variable {name} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise ConfigurationError(f"environment variable {name} must be at least {minimum}, got {value}")
    return value


def env_choice(name: str, choices: tuple[str, ...], environ: Mapping[str, str] | None = None) -> str:
    value = env_str(name, environ)
    if value not in choices:
        raise ConfigurationError(f"environment variable {name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_stages(name: str, environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """Comma-separated model registry stage names (empty: none); a name AWS would refuse fails loudly."""
    raw = (os.environ if environ is None else environ).get(name)
    if raw is None:
        raise ConfigurationError(f"environment variable {name} is required and is missing")
    try:
        return stage_names(part.strip() for part in raw.split(",") if part.strip())
    except ValueError as error:
        raise ConfigurationError(f"environment variable {name}: {error}") from None
