"""Token lifecycle: CLI and API create, list and revoke; roles; 401/403 over real HTTP."""

from __future__ import annotations

from typer.testing import CliRunner

import live_http
from critmin.cli.main import app

runner = CliRunner()


def cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_token_lifecycle_cli_and_api(api_db_url, live):
    cli("org", "create", "Agency", "--group", "MSP", "--db", api_db_url)
    cli("org", "create", "Other Corp", "--db", api_db_url)
    admin = cli("token", "create", "--org", "Agency", "--role", "admin", "--db", api_db_url)
    admin = admin.strip().splitlines()[-1]
    other = cli("token", "create", "--org", "Other Corp", "--role", "admin", "--db", api_db_url)
    other_admin = other.strip().splitlines()[-1]
    with live(api_db_url) as base, live_http.client(base_url=f"{base}/api/v1", timeout=30) as c:
        hdr = {"Authorization": f"Bearer {admin}"}
        me = c.get("/me", headers=hdr).json()
        assert me["org"]["name"] == "Agency" and me["role"] == "admin"
        assert me["groups"] == [{"name": "MSP", "members": ["Agency"]}]
        assert c.get("/me").json()["anonymous"] is True
        assert [o["name"] for o in c.get("/orgs", headers=hdr).json()["data"]] == ["Agency"]
        assert c.get("/orgs").status_code == 401
        # an admin issues a viewer token over the API; it is shown once, stored hashed
        r = c.post("/tokens", json={"role": "viewer", "label": "dashboard"}, headers=hdr)
        assert r.status_code == 201 and r.headers["cache-control"] == "no-store"
        viewer, viewer_id = r.json()["token"], r.json()["id"]
        listed = c.get("/tokens", headers=hdr).json()["data"]
        assert {t["role"] for t in listed} == {"admin", "viewer"}
        assert viewer not in str(listed) and all(t["org"] == "Agency" for t in listed)
        vh = {"Authorization": f"Bearer {viewer}"}
        assert c.get("/projects", headers=vh).status_code == 200
        body = {"key": "v-1", "name": "V", "mineral": "gallium", "stage": "refining",
                "country": "JPN", "status": "announced"}  # fmt: skip
        assert c.post("/projects", json=body, headers=vh).status_code == 403
        assert c.get("/tokens", headers=vh).status_code == 403
        assert c.post("/tokens", json={"role": "admin"}, headers=vh).status_code == 403
        assert c.post("/projects", json=body).status_code == 401
        assert c.post("/tokens", json={"role": "king"}, headers=hdr).status_code == 422
        # another organisation's admin can neither see nor revoke Agency's tokens
        oh = {"Authorization": f"Bearer {other_admin}"}
        assert viewer_id not in [t["id"] for t in c.get("/tokens", headers=oh).json()["data"]]
        assert c.delete(f"/tokens/{viewer_id}", headers=oh).status_code == 404
        assert c.get("/projects", headers=vh).status_code == 200
        # revoke over the API: 401 from then on
        assert c.delete(f"/tokens/{viewer_id}", headers=hdr).status_code == 204
        r = c.get("/projects", headers=vh)
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
        assert c.get("/projects", headers={"Authorization": "Bearer cm_nope"}).status_code == 401
        assert c.get("/projects", headers={"Authorization": "Basic abc"}).status_code == 401
        # revoke over the CLI
        cli_token = cli(
            "token", "create", "--org", "Agency", "--role", "editor", "--db", api_db_url
        )
        editor = cli_token.strip().splitlines()[-1]
        eh = {"Authorization": f"Bearer {editor}"}
        assert c.post("/projects", json=body, headers=eh).status_code == 201
        editor_id = next(
            t["id"] for t in c.get("/tokens", headers=hdr).json()["data"] if t["role"] == "editor"
        )
        cli("token", "revoke", str(editor_id), "--db", api_db_url)
        assert c.post("/projects", json=body | {"key": "v-2"}, headers=eh).status_code == 401
        assert c.get("/me", headers=eh).status_code == 401
