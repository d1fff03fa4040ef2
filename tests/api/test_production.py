"""Production mode: the environment name is checked exactly and weak secret keys are refused,
in the app and in `critmin serve` (a clear one-line error and a non-zero exit)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from critmin.api.app import create_app
from critmin.config import (
    DEV_SECRET_KEY,
    MIN_SECRET_BITS,
    ConfigError,
    Settings,
    secret_entropy_bits,
)

STRONG = secrets.token_urlsafe(48)


@pytest.mark.parametrize(
    "key",
    [
        "",
        DEV_SECRET_KEY,
        "too-short",
        "a" * 32,
        "s" * 48,
        "ab" * 20,
        "abcdefghijklmnopqrstuvwxyzabcdef",
        "passwordpasswordpasswordpassword",
    ],
)
def test_create_app_refuses_weak_secret_in_production(sqlite_url, key):
    with pytest.raises(ConfigError, match="CRITMIN_SECRET_KEY"):
        create_app(sqlite_url, Settings(env="production", secret_key=key))


def test_entropy_estimate_separates_random_from_repetitive_keys():
    assert secret_entropy_bits("a" * 32) < 20
    assert secret_entropy_bits(secrets.token_urlsafe(48)) > 2 * MIN_SECRET_BITS
    assert secret_entropy_bits(secrets.token_hex(32)) > MIN_SECRET_BITS


def test_weak_key_error_says_why_and_what_is_expected(sqlite_url):
    with pytest.raises(ConfigError) as err:
        create_app(sqlite_url, Settings(env="production", secret_key="a" * 32))
    message = str(err.value)
    assert "bits of entropy" in message and f"at least {MIN_SECRET_BITS}" in message
    assert "token_urlsafe" in message


def test_create_app_accepts_strong_secret_in_production(sqlite_url):
    app = create_app(sqlite_url, Settings(env="production", secret_key=STRONG))
    assert app.state.settings.production


@pytest.mark.parametrize("env", ["production ", " production", "Production", "prod", "prodcution",
                                 "staging", ""])  # fmt: skip
def test_unknown_environment_is_refused(sqlite_url, env):
    with pytest.raises(ConfigError) as err:
        create_app(sqlite_url, Settings(env=env, secret_key=STRONG))
    assert repr(env) in str(err.value) and "development, production" in str(err.value)


def test_development_is_accepted_with_the_default_key(sqlite_url):
    app = create_app(sqlite_url, Settings(env="development"))
    assert not app.state.settings.production


def _serve(tmp_path, **env_vars: str) -> tuple[subprocess.CompletedProcess, object]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRITMIN_")}
    env |= {"COLUMNS": "60", **env_vars}
    db = tmp_path / "never.db"
    proc = subprocess.run(
        [sys.executable, "-m", "critmin", "serve", "--db", f"sqlite:///{db}", "--port", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return proc, db


def test_serve_exits_non_zero_with_one_line(tmp_path):
    proc, db = _serve(tmp_path, CRITMIN_ENV="production")
    assert proc.returncode != 0
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: CRITMIN_ENV=production")
    assert "Traceback" not in proc.stderr and not db.exists()


@pytest.mark.parametrize(
    ("env_vars", "expected"),
    [
        ({"CRITMIN_ENV": "production ", "CRITMIN_SECRET_KEY": STRONG}, "is not a known"),
        ({"CRITMIN_ENV": "prodution", "CRITMIN_SECRET_KEY": STRONG}, "is not a known"),
        ({"CRITMIN_ENV": "production", "CRITMIN_SECRET_KEY": "a" * 32}, "bits of entropy"),
    ],
)
def test_serve_refuses_misspelt_environment_and_weak_key(tmp_path, env_vars, expected):
    proc, db = _serve(tmp_path, **env_vars)
    assert proc.returncode == 2
    out = (proc.stdout + proc.stderr).strip()
    assert out.startswith("error: CRITMIN_ENV=") and expected in out
    assert "Traceback" not in out and not db.exists()


@pytest.mark.parametrize("command", [["serve"], ["projects", "list"]])
def test_malformed_setting_is_named_without_a_traceback(tmp_path, command):
    env = {**os.environ, "CRITMIN_RATE_LIMIT_PER_MINUTE": "lots",
           "CRITMIN_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "critmin", *command], env=env, capture_output=True, text=True,
        timeout=60,
    )
    out = (proc.stdout + proc.stderr).strip()
    assert proc.returncode == 2, out
    assert "CRITMIN_RATE_LIMIT_PER_MINUTE='lots'" in out and "integer" in out
    assert "Traceback" not in out and not (tmp_path / "x.db").exists()
