"""Settings, read from the environment (``CRITMIN_*``) with safe defaults."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "critmin"


def default_database_url() -> str:
    return f"sqlite:///{default_data_dir() / 'critmin.db'}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRITMIN_", extra="ignore")

    database_url: str = ""
    env: str = "development"

    def resolved_database_url(self) -> str:
        return self.database_url or default_database_url()


def get_settings() -> Settings:
    return Settings()
