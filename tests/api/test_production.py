"""Production mode refuses a default or missing secret key: in the app and in `critmin serve`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from critmin.api.app import create_app
from critmin.config import DEV_SECRET_KEY, ConfigError, Settings


@pytest.mark.parametrize("key", ["", DEV_SECRET_KEY, "too-short"])
def test_create_app_refuses_weak_secret_in_production(sqlite_url, key):
    with pytest.raises(ConfigError, match="CRITMIN_SECRET_KEY"):
        create_app(sqlite_url, Settings(env="production", secret_key=key))


def test_create_app_accepts_strong_secret_in_production(sqlite_url):
    app = create_app(sqlite_url, Settings(env="production", secret_key="s" * 48))
    assert app.state.settings.production


def test_serve_exits_non_zero_with_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRITMIN_")}
    env |= {"CRITMIN_ENV": "production", "COLUMNS": "60"}
    db = tmp_path / "never.db"
    proc = subprocess.run(
        [sys.executable, "-m", "critmin", "serve", "--db", f"sqlite:///{db}", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode != 0
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: CRITMIN_ENV=production")
    assert "Traceback" not in proc.stderr and not db.exists()
