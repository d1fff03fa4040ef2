"""``critmin offtake`` as a user runs it (a real process): JSON on the worked examples,
the same numbers as the service, and a bad spec ending with exit code 2 naming the field."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from critmin.services import offtake as service
from critmin.web.offtake import EXAMPLES


def _run(*args: str, tmp_path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "CRITMIN_DATABASE_URL"}
    env["HOME"] = str(tmp_path)
    return subprocess.run([sys.executable, "-m", "critmin", "offtake", *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_simulate_json_matches_service(tmp_path):
    spec = EXAMPLES / "gallium_consortium.yaml"
    r = _run("simulate", str(spec), "--seed", "7", "--format", "json", tmp_path=tmp_path)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    want = json.loads(json.dumps(service.simulate(spec, seed=7)))
    assert got["buyers"] == want["buyers"] and got["producers"] == want["producers"]
    table = _run("retrofit", str(EXAMPLES / "retrofits.yaml"), "--seed", "7",
                 tmp_path=tmp_path)
    assert table.returncode == 0 and "Worsley" in table.stdout


def test_bad_spec_names_the_field(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text((EXAMPLES / "gallium_consortium.yaml").read_text().replace(
        "years: 10", "years: 0"))
    r = _run("simulate", str(bad), "--seed", "1", tmp_path=tmp_path)
    assert r.returncode == 2
    assert "bad.yaml" in r.stderr and "years" in r.stderr
    missing = _run("simulate", str(tmp_path / "nope.yaml"), tmp_path=tmp_path)
    assert missing.returncode == 2 and "no such spec file" in missing.stderr
