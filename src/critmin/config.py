"""Settings, read from the environment (``CRITMIN_*``) with safe defaults.

``CRITMIN_ENV`` must be exactly one of :data:`ENVIRONMENTS` (an unknown value, or one
with stray spaces, is refused rather than read as development). In production the
secret key must be strong: at least :data:`MIN_SECRET_LENGTH` characters and an
estimated :data:`MIN_SECRET_BITS` bits of entropy (zxcvbn's guess count, which sees
through repeats, sequences, keyboard runs and dictionary words), and not the
development default. :meth:`Settings.check` raises :class:`ConfigError` naming the
problem and what is expected.
"""

from __future__ import annotations

import math
import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "critmin-development-secret-key-not-for-production"
ENVIRONMENTS = ("development", "production")
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 96
"""Least estimated entropy of a production key; ``secrets.token_urlsafe(48)`` gives ~210."""
ZXCVBN_MAX_LENGTH = 72
"""zxcvbn rates at most this many characters; a longer key is rated on its first 72."""
KEY_HINT = "e.g. from `python -c 'import secrets; print(secrets.token_urlsafe(48))'`"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "critmin"


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'critmin.db'}"


class ConfigError(RuntimeError):
    """The settings are unsafe or inconsistent (e.g. a default secret in production)."""


def secret_entropy_bits(key: str) -> float:
    """Estimated entropy of ``key`` in bits: log2 of zxcvbn's guess count."""
    from zxcvbn import zxcvbn

    if not key:
        return 0.0
    guesses_log10 = zxcvbn(key[:ZXCVBN_MAX_LENGTH])["guesses_log10"]
    return float(guesses_log10) * math.log2(10)


def secret_key_problem(key: str) -> str | None:
    """Why ``key`` is too weak for production, or None when it is strong enough."""
    if not key:
        return "is not set"
    if key == DEV_SECRET_KEY:
        return "is the public development default"
    if len(key) < MIN_SECRET_LENGTH:
        return f"has {len(key)} characters; at least {MIN_SECRET_LENGTH} are needed"
    bits = secret_entropy_bits(key)
    if bits < MIN_SECRET_BITS:
        return (
            f"is too predictable (repeated, sequential or dictionary-like): an estimated "
            f"{bits:.0f} bits of entropy, at least {MIN_SECRET_BITS} are needed"
        )
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRITMIN_", extra="ignore")

    database_url: str = ""
    env: str = "development"
    secret_key: str = ""
    max_body_bytes: int = 5 * 1024 * 1024
    rate_limit_per_minute: int = 600
    auth_failures_per_minute: int = 30
    session_idle_minutes: int = 60
    session_max_hours: int = 8
    webhook_private_targets: bool | None = None
    """Whether webhooks may be sent to loopback, private, link-local or reserved
    addresses (``CRITMIN_WEBHOOK_PRIVATE_TARGETS``); unset: yes in development, no in
    production, so a rule's URL cannot reach the server's own network."""
    response_cache: bool = True
    """Serve repeated reads from rendered responses (``CRITMIN_RESPONSE_CACHE=off`` to
    compute every response, e.g. to measure the uncached paths)."""

    @property
    def environment(self) -> str:
        """``development`` or ``production``; ConfigError for anything else."""
        if self.env not in ENVIRONMENTS:
            raise ConfigError(
                f"CRITMIN_ENV={self.env!r} is not a known environment; "
                f"use one of: {', '.join(ENVIRONMENTS)} (exactly, lower case, no spaces)"
            )
        return self.env

    @property
    def production(self) -> bool:
        return self.environment == "production"

    def webhooks_may_reach_private(self) -> bool:
        """See :attr:`webhook_private_targets`."""
        if self.webhook_private_targets is None:
            return not self.production
        return self.webhook_private_targets

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()

    def check(self) -> None:
        """Refuse unsafe settings with a ConfigError that names the problem."""
        if self.production:
            problem = secret_key_problem(self.secret_key.strip())
            if problem:
                raise ConfigError(
                    f"CRITMIN_ENV=production needs a strong CRITMIN_SECRET_KEY: the key "
                    f"{problem}. Use at least {MIN_SECRET_LENGTH} random characters, {KEY_HINT}"
                )
        for name in ("max_body_bytes", "rate_limit_per_minute", "auth_failures_per_minute"):
            if getattr(self, name) < 0:
                raise ConfigError(f"CRITMIN_{name.upper()} must be 0 or more")
        for name in ("session_idle_minutes", "session_max_hours"):
            if getattr(self, name) < 1:
                raise ConfigError(f"CRITMIN_{name.upper()} must be 1 or more")

    def resolved_secret_key(self) -> str:
        """The secret that signs session cookies, once :meth:`check` has passed."""
        self.check()
        return self.secret_key.strip() or DEV_SECRET_KEY


def get_settings() -> Settings:
    """The settings from the environment; ConfigError naming each malformed variable."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"CRITMIN_{str(e['loc'][0]).upper()}={e.get('input')!r}: {e['msg'].lower()}"
            for e in exc.errors()
        )
        raise ConfigError(f"malformed setting(s): {problems}") from None
