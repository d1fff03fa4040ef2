"""Sharing rules and tokens: the Python rules and the SQL clause agree, on both backends."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from critmin.domain.projects import ProjectRecord
from critmin.services import access, auth
from critmin.services.auth import ANONYMOUS, AuthError, Caller, Role
from critmin.store.db import transaction
from critmin.store.projects import upsert_project
from critmin.store.tables import ApiToken, Project

OWNER = Caller(org_id=1, org_name="A", role=Role.EDITOR, partner_org_ids=frozenset({2}))
PARTNER = Caller(org_id=2, org_name="B", role=Role.EDITOR, partner_org_ids=frozenset({1}))
OTHER = Caller(org_id=3, org_name="C", role=Role.ADMIN)
VIEWER = Caller(org_id=1, org_name="A", role=Role.VIEWER, partner_org_ids=frozenset({2}))


def row(sharing="public", owner=1, sections=None, deleted=None):
    return SimpleNamespace(
        sharing=sharing, owner_org_id=owner, section_sharing=sections or {}, deleted_at=deleted
    )


@pytest.mark.parametrize(
    "level,owner,visible_to",
    [
        ("public", 1, {"owner", "partner", "other", "anon"}),
        ("partners", 1, {"owner", "partner"}),
        ("owner", 1, {"owner"}),
        ("public", None, {"owner", "partner", "other", "anon"}),
        ("partners", None, set()),  # reference data is public or nothing
    ],
)
def test_level_allows(level, owner, visible_to):
    callers = {"owner": OWNER, "partner": PARTNER, "other": OTHER, "anon": ANONYMOUS}
    got = {name for name, c in callers.items() if access.level_allows(level, owner, c)}
    assert got == visible_to


def test_sections_are_never_more_visible_than_the_record():
    r = row("partners", sections={"financing": "public", "offtakers": "owner"})
    assert access.section_level(r, "financing") == "partners"
    assert access.section_level(r, "offtakers") == "owner"
    assert access.section_level(r, "milestones") == "partners"
    data = {"financing": {"needed_usd": 1}, "offtakers": [{"name": "x"}], "milestones": []}
    redacted = access.redact(dict(data), r, PARTNER)
    assert redacted == {"financing": {"needed_usd": 1}, "offtakers": None, "milestones": []}
    assert access.redact(dict(data), r, OWNER) == data
    assert access.redact(dict(data), r, ANONYMOUS) == dict.fromkeys(data)


def test_can_edit_and_can_see():
    assert access.can_edit(row(), OWNER)
    assert not access.can_edit(row(), VIEWER)
    assert not access.can_edit(row(), PARTNER)
    assert not access.can_edit(row(owner=None), OTHER)
    assert not access.can_edit(row(), ANONYMOUS)
    assert not access.can_see(row(deleted="yesterday"), OWNER)


def _add(session, key, sharing, owner):
    record = ProjectRecord.model_validate(
        {"key": key, "name": key, "mineral": "gallium", "stage": "refining", "country": "JPN",
         "status": "announced", "sharing": sharing}
    )  # fmt: skip
    upsert_project(session=session, record=record, actor="test", owner_org_id=owner)


def test_sql_clause_matches_python_rule(engine):
    with transaction(engine) as s:
        a = auth.create_org(session=s, name="A", groups=["MSP"])
        b = auth.create_org(session=s, name="B", groups=["MSP", "G7"])
        c = auth.create_org(session=s, name="C", groups=["G7"])
        d = auth.create_org(session=s, name="D")
        for org in (a, b, c, d, None):
            for level in ("public", "partners", "owner"):
                _add(s, f"{org.name.lower() if org else 'ref'}-{level}", level, org and org.id)
        callers = {"anon": ANONYMOUS}
        for org in (a, b, c, d):
            _, token = auth.create_token(session=s, org_name=org.name, role="viewer")
            callers[org.name] = auth.authenticate(session=s, token=token)
        assert callers["B"].partner_org_ids == {a.id, c.id}
        assert callers["D"].partner_org_ids == frozenset()
        rows = list(s.scalars(select(Project)))
        for name, caller in callers.items():
            sql = set(s.scalars(select(Project.key).where(access.visible_clause(Project, caller))))
            assert sql == {r.key for r in rows if access.can_see(r, caller)}, name
        b_sees = set(
            s.scalars(select(Project.key).where(access.visible_clause(Project, callers["B"])))
        )
    assert b_sees == {"a-public", "b-public", "c-public", "d-public", "ref-public",
                      "a-partners", "b-partners", "c-partners", "b-owner"}  # fmt: skip


def test_tokens_are_hashed_and_revocable(engine):
    with transaction(engine) as s:
        auth.create_org(session=s, name="A")
        row_, token = auth.create_token(session=s, org_name="A", role=Role.ADMIN, label="ci")
        stored = s.get(ApiToken, row_.id)
        assert token.startswith(f"cm_{stored.prefix}_") and token not in stored.token_hash
        assert stored.token_hash == auth.hash_token(token)
        caller = auth.authenticate(session=s, token=token)
        assert (caller.org_name, caller.role, caller.label) == ("A", Role.ADMIN, "A (admin)")
        assert auth.authenticate(session=s, token=None) is ANONYMOUS
        with pytest.raises(AuthError):
            auth.revoke_token(session=s, token_id=row_.id, org_id=row_.org_id + 1)
        auth.revoke_token(session=s, token_id=row_.id)
        with pytest.raises(AuthError, match="invalid or revoked"):
            auth.authenticate(session=s, token=token)
        with pytest.raises(AuthError):
            auth.create_token(session=s, org_name="nobody", role="viewer")
        with pytest.raises(ValueError):
            auth.create_token(session=s, org_name="A", role="king")
        assert [t["revoked"] for t in auth.list_tokens(session=s, org_name="A")] == [True]
