"""Garbage-collector settings for a long-running server (in a child process, so the test
process keeps its own)."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import gc
from critmin.api.app import create_app  # a realistic start-up heap
from critmin.api.runtime import GC_THRESHOLDS, prepare_for_serving
before = gc.get_freeze_count()
prepare_for_serving()
assert before == 0, before
assert gc.get_freeze_count() > 50_000, gc.get_freeze_count()
assert gc.get_threshold() == GC_THRESHOLDS
print("ok")
"""


def test_serving_freezes_the_start_up_heap():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr
