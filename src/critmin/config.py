"""Settings, read from the environment (``CRITMIN_*``) with safe defaults."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "critmin-development-secret-key-not-for-production"


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "critmin"


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'critmin.db'}"


class ConfigError(RuntimeError):
    """The settings are unsafe or inconsistent (e.g. a default secret in production)."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRITMIN_", extra="ignore")

    database_url: str = ""
    env: str = "development"
    secret_key: str = ""
    max_body_bytes: int = 5 * 1024 * 1024
    rate_limit_per_minute: int = 600
    response_cache: bool = True
    """Serve repeated reads from rendered responses (``CRITMIN_RESPONSE_CACHE=off`` to
    compute every response, e.g. to measure the uncached paths)."""

    @property
    def production(self) -> bool:
        return self.env.lower() in {"production", "prod"}

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()

    def resolved_secret_key(self) -> str:
        """The secret that signs session cookies; production refuses a missing or default one."""
        key = self.secret_key.strip()
        if self.production and (not key or key == DEV_SECRET_KEY or len(key) < 32):
            raise ConfigError(
                "CRITMIN_ENV=production needs CRITMIN_SECRET_KEY set to a random value of at "
                "least 32 characters, e.g. from "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
            )
        return key or DEV_SECRET_KEY


def get_settings() -> Settings:
    return Settings()
