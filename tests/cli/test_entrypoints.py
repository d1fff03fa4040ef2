"""Both entry points start the same program in a real subprocess."""

from __future__ import annotations

import shutil
import subprocess
import sys


def test_python_dash_m_lists_commands():
    out = subprocess.run(
        [sys.executable, "-m", "critmin", "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    assert "projects" in out and "import" in out and "serve" in out


def test_console_script_version():
    exe = shutil.which("critmin") or str(
        __import__("pathlib").Path(sys.executable).parent / "critmin"
    )
    out = subprocess.run(
        [exe, "--version"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    assert out.startswith("critmin ")
