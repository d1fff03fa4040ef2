"""``critmin org``, ``group`` and ``token`` against a real SQLite file, in-process and as a
subprocess (the token is the last line printed)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.services import auth
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade

runner = CliRunner()


def invoke(*args: str, code: int = 0):
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_orgs_groups_and_tokens(sqlite_url):
    upgrade(sqlite_url)
    db = ("--db", sqlite_url)
    assert (
        "created organisation 'Agency'"
        in invoke("org", "create", "Agency", "-g", "MSP", *db).output
    )
    invoke("org", "create", "Miner Co", "--group", "MSP", "--group", "G7", "--country", "can", *db)
    invoke("org", "create", "Loner", *db)
    invoke("group", "add", "Loner", "G7", *db)
    assert (
        "no organisation named 'Ghost'" in invoke("group", "add", "Ghost", "G7", *db, code=1).output
    )
    made = invoke("token", "create", "--org", "Agency", "--role", "editor", "--label", "ci", *db)
    lines = made.output.strip().splitlines()
    assert "shown once" in lines[0] and lines[-1].startswith("cm_")
    token = lines[-1]
    orgs = json.loads(invoke("org", "list", "-f", "json", *db).stdout)
    by_name = {o["name"]: o for o in orgs}
    assert by_name["Miner Co"]["groups"] == "G7, MSP" and by_name["Miner Co"]["country"] == "CAN"
    assert by_name["Agency"]["tokens"] == 1 and by_name["Loner"]["groups"] == "G7"
    listed = json.loads(invoke("token", "list", "--org", "Agency", "-f", "json", *db).stdout)
    assert [(t["role"], t["label"], t["revoked"]) for t in listed] == [("editor", "ci", False)]
    assert token not in invoke("token", "list", *db).output
    engine = make_engine(sqlite_url)
    with transaction(engine) as s:
        caller = auth.authenticate(session=s, token=token)
        assert caller.org_name == "Agency" and caller.partner_org_ids == {by_name["Miner Co"]["id"]}
    invoke("token", "revoke", str(listed[0]["id"]), *db)
    with transaction(engine) as s:
        assert auth.get_org(session=s, name="Agency")
        with pytest.raises(auth.AuthError, match="revoked"):
            auth.authenticate(session=s, token=token)
    engine.dispose()
    assert "no token with id 999" in invoke("token", "revoke", "999", *db, code=1).output
    invoke("token", "create", "--org", "Ghost", "--role", "viewer", *db, code=1)
    invoke("token", "create", "--org", "Agency", "--role", "king", *db, code=2)


def test_token_is_the_last_line_of_the_real_command(sqlite_url):
    upgrade(sqlite_url)
    run = [sys.executable, "-m", "critmin"]
    subprocess.run([*run, "org", "create", "Agency", "--db", sqlite_url], check=True, timeout=60)
    out = subprocess.run(
        [*run, "token", "create", "--org", "Agency", "--role", "admin", "--db", sqlite_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    token = out.strip().splitlines()[-1]
    assert token.startswith("cm_") and len(token) > 40
    engine = make_engine(sqlite_url)
    with transaction(engine) as s:
        assert auth.authenticate(session=s, token=token).role == auth.Role.ADMIN
    engine.dispose()
