"""Alert rules: their kinds and parameters, the built-in defaults, and rules as callers
list, add and remove them under the sharing rules of every other record.

Kinds (parameters; defaults in brackets):

- ``price_change``: a series moved more than ``threshold_pct`` [40] % ``direction``
  [up] within ``window_days`` [30]; ``series`` (one key) or every visible series (of
  ``mineral``);
- ``ratio``: series ``a`` over series ``b`` in one ``currency`` [USD] and ``unit`` [kg]
  goes ``direction`` (above/below) ``threshold``; b is carried at most
  ``tolerance_days`` [31];
- ``measure_change``: a measure touching ``mineral`` (any) was created or changed within
  ``within_days`` [30] of the evaluation date;
- ``trade_drop``: a reporter's exports of ``mineral``'s HS codes (``hs_codes`` to
  override) fell more than ``threshold_pct`` [30] % year on year; ``reporter`` (ISO3) or
  every reporter;
- ``measure_expiry``: a measure touching ``mineral`` (any) expires within ``days`` [30]
  of the evaluation date;
- ``stockpile_expiry``: a stockpile lot of ``mineral`` (any) expires within ``days`` [90]
  of the evaluation date (only lots at least as widely shared as the rule itself).
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from critmin.domain import vocab
from critmin.services import access
from critmin.services.auth import Caller, Role
from critmin.services.entities import NotFound
from critmin.services.tracker import Forbidden, InvalidRecord
from critmin.store.base import utcnow
from critmin.store.tables import AlertRule, PriceSeries

KINDS = ("price_change", "ratio", "measure_change", "trade_drop", "measure_expiry",
         "stockpile_expiry")
KIND_LABELS = {
    "price_change": "Price change over a window",
    "ratio": "Ratio between two markets",
    "measure_change": "New or changed measure",
    "trade_drop": "Trade drop (year on year)",
    "measure_expiry": "Measure about to expire",
    "stockpile_expiry": "Stockpile lot about to expire",
}
SHARING = ("public", "partners", "owner")
KEY = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")
URL = re.compile(r"^https?://[^\s/$.?#][^\s]{0,490}$", re.IGNORECASE)
DEFAULTS = (
    {"key": "default-price-up-40pct-30d", "kind": "price_change",
     "title": "Price up more than 40% within 30 days (every series)",
     "params": {"threshold_pct": 40.0, "window_days": 30, "direction": "up"}},
    {"key": "default-measure-new-or-changed", "kind": "measure_change",
     "title": "New or changed export-control measure (any mineral, last 30 days)",
     "params": {"within_days": 30}},
    {"key": "default-measure-expiry-30d", "kind": "measure_expiry",
     "title": "Measure expiring within 30 days (any mineral)", "params": {"days": 30}},
    {"key": "default-stockpile-expiry-90d", "kind": "stockpile_expiry",
     "title": "Stockpile lot expiring within 90 days (any mineral, public lots)",
     "params": {"days": 90}},
)  # fmt: skip
"""Built-in rules: public reference data, ensured before every evaluation."""


def upsert_ignore(session: Session, model: Any, rows: list[dict[str, Any]],
                  returning: Any = None) -> list[Any]:  # fmt: skip
    """INSERT ... ON CONFLICT DO NOTHING on either backend; the ``returning`` column of
    the rows actually inserted."""
    if not rows:
        return []
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    stmt = dialect.insert(model).values(rows).on_conflict_do_nothing()
    if returning is None:
        session.execute(stmt)
        return []
    return list(session.scalars(stmt.returning(returning)))


def ensure_defaults(session: Session) -> None:
    """Create the built-in rules that are missing (idempotent, safe when concurrent). On
    SQLite this write also takes the database's write lock before anything is read."""
    now = utcnow()
    rows = [{**d, "mineral": None, "builtin": True, "enabled": True, "sharing": "public",
             "owner_org_id": None, "section_sharing": {}, "version": 1, "created_at": now,
             "updated_at": now} for d in DEFAULTS]  # fmt: skip
    upsert_ignore(session, AlertRule, rows)


def _num(params: dict[str, Any], name: str, default: float | None, low: float, high: float,
         errors: list[dict[str, str]], integer: bool = False) -> Any:  # fmt: skip
    value = params.get(name, default)
    try:
        number = float(value) if value is not None else None
    except (TypeError, ValueError, OverflowError):
        number = None
    ok = number is not None and low <= number <= high and (not integer or number.is_integer())
    if not ok:
        what = "a whole number" if integer else "a number"
        errors.append({"field": f"params.{name}", "problem": f"{what} from {low:g} to {high:g}, "
                       f"not {value!r}"})  # fmt: skip
        return default
    return int(number) if integer else number


def _choice(params: dict[str, Any], name: str, default: str, choices: tuple[str, ...],
            errors: list[dict[str, str]]) -> str:  # fmt: skip
    value = params.get(name, default)
    if value not in choices:
        errors.append({"field": f"params.{name}",
                       "problem": f"one of {', '.join(choices)}, not {value!r}"})
        return default
    return str(value)


def _series_key(session: Session, view: Caller, value: Any, name: str,
                errors: list[dict[str, str]]) -> str | None:  # fmt: skip
    if value is None:
        return None
    text = str(value).strip()
    stmt = select(PriceSeries.id).where(PriceSeries.key == text, PriceSeries.deleted_at.is_(None),
                                        access.visible_clause(PriceSeries, view))  # fmt: skip
    if not text or session.scalar(stmt.limit(1)) is None:
        errors.append({"field": f"params.{name}", "problem": f"no price series {text!r} "
                       "that you may see"})  # fmt: skip
    return text


def check_params(session: Session, view: Caller, kind: str, mineral: str | None,
                 params: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The parameters of a rule of ``kind``, with defaults filled in; InvalidRecord naming
    each bad one. Series named must be visible to ``view``."""
    errors: list[dict[str, str]] = []
    if not isinstance(params, dict):
        raise InvalidRecord([{"field": "params", "problem": "an object"}])
    out: dict[str, Any] = {}
    if kind == "price_change":
        out["threshold_pct"] = _num(params, "threshold_pct", 40.0, 0.0, 10_000.0, errors)
        out["window_days"] = _num(params, "window_days", 30, 1, 3660, errors, integer=True)
        out["direction"] = _choice(params, "direction", "up", ("up", "down"), errors)
        out["series"] = _series_key(session, view, params.get("series"), "series", errors)
        if out["direction"] == "down" and out["threshold_pct"] >= 100:
            errors.append({"field": "params.threshold_pct", "problem": "a fall is below 100%"})
    elif kind == "ratio":
        out["a"] = _series_key(session, view, params.get("a"), "a", errors)
        out["b"] = _series_key(session, view, params.get("b"), "b", errors)
        if out["a"] is None or out["b"] is None or out["a"] == out["b"]:
            errors.append({"field": "params.a", "problem": "two different series a and b"})
        out["threshold"] = _num(params, "threshold", None, 0.0, 1e6, errors)
        out["direction"] = _choice(params, "direction", "above", ("above", "below"), errors)
        out["currency"] = _choice(params, "currency", "USD", ("USD", "CNY"), errors)
        out["unit"] = str(params.get("unit", "kg"))[:16]
        out["tolerance_days"] = _num(params, "tolerance_days", 31, 0, 366, errors, integer=True)
    elif kind == "measure_change":
        out["within_days"] = _num(params, "within_days", 30, 0, 3660, errors, integer=True)
    elif kind == "trade_drop":
        out["threshold_pct"] = _num(params, "threshold_pct", 30.0, 0.0, 100.0, errors)
        reporter = params.get("reporter")
        try:
            out["reporter"] = vocab.resolve_country(str(reporter)) if reporter else None
        except vocab.UnknownValue as exc:
            errors.append({"field": "params.reporter", "problem": str(exc)})
        codes = params.get("hs_codes")
        if codes is not None and (not isinstance(codes, list) or not all(
                isinstance(c, str) and re.fullmatch(r"\d{6}", c) for c in codes)):
            errors.append({"field": "params.hs_codes", "problem": "a list of 6-digit HS codes"})
        out["hs_codes"] = codes
        if params.get("import_id") is not None:
            out["import_id"] = _num(params, "import_id", None, 1, 2**31 - 1, errors,
                                    integer=True)  # fmt: skip
        if mineral is None:
            errors.append({"field": "mineral", "problem": "a trade-drop rule needs a mineral"})
    elif kind == "measure_expiry":
        out["days"] = _num(params, "days", 30, 0, 3660, errors, integer=True)
    elif kind == "stockpile_expiry":
        out["days"] = _num(params, "days", 90, 0, 3660, errors, integer=True)
    else:
        errors.append({"field": "kind", "problem": f"one of {', '.join(KINDS)}, not {kind!r}"})
    unknown = sorted(set(params) - set(out))
    if unknown:
        errors.append({"field": "params", "problem": f"unknown parameter(s) {unknown} for a "
                       f"{kind} rule"})  # fmt: skip
    if errors:
        raise InvalidRecord(errors)
    return out


def present_rule(session: Session, rule: AlertRule, caller: Caller) -> dict[str, Any]:
    """A rule as callers read it; a series it names that the caller may not see is
    shown as null."""
    params = dict(rule.params or {})
    named = [params[k] for k in ("series", "a", "b") if params.get(k)]
    if named:
        stmt = select(PriceSeries.key).where(PriceSeries.key.in_(named),
                                             PriceSeries.deleted_at.is_(None),
                                             access.visible_clause(PriceSeries, caller))
        seen = set(session.scalars(stmt))
        params.update({k: None for k in ("series", "a", "b")
                       if params.get(k) and params[k] not in seen})  # fmt: skip
    return {
        "id": rule.id, "key": rule.key, "title": rule.title, "kind": rule.kind,
        "kind_label": KIND_LABELS.get(rule.kind, rule.kind), "mineral": rule.mineral,
        "params": params, "enabled": rule.enabled, "builtin": rule.builtin,
        "sharing": rule.sharing, "mine": access.owns(rule.owner_org_id, caller),
        "webhook": bool(rule.webhook_url) and access.owns(rule.owner_org_id, caller),
    }  # fmt: skip


def list_rules(*, session: Session, caller: Caller) -> list[dict[str, Any]]:
    """The rules the caller may see (built-in defaults included), by key."""
    ensure_defaults(session)
    stmt = select(AlertRule).where(AlertRule.deleted_at.is_(None),
                                   access.visible_clause(AlertRule, caller))
    return [present_rule(session, r, caller)
            for r in session.scalars(stmt.order_by(AlertRule.builtin.desc(), AlertRule.key))]


def get_rule(*, session: Session, caller: Caller, ref: str | int) -> AlertRule:
    """A visible rule by id or key (the caller's own key first); NotFound otherwise."""
    text = str(ref).strip()
    stmt = select(AlertRule).where(AlertRule.deleted_at.is_(None),
                                   access.visible_clause(AlertRule, caller))
    if text.isascii() and text.isdigit():
        stmt = stmt.where(AlertRule.id == (int(text) if len(text) < 10 else 0))
    else:
        stmt = stmt.where(AlertRule.key == text)
    rows = sorted(session.scalars(stmt),
                  key=lambda r: (not access.owns(r.owner_org_id, caller), r.owner_org_id or 0))
    if not rows:
        raise NotFound(f"no such alert rule {text!r}")
    return rows[0]


def evaluator(session: Session, owner_org_id: int | None) -> Caller:
    """Whose eyes a rule is evaluated with: its owner's (reference rules: everything)."""
    from critmin.services.auth import LOCAL, partner_ids

    if owner_org_id is None:
        return LOCAL
    return Caller(org_id=owner_org_id, partner_org_ids=partner_ids(session=session,
                                                                   org_id=owner_org_id))


def add_rule(
    *, session: Session, caller: Caller, key: str, kind: str, params: dict[str, Any],
    title: str | None = None, mineral: str | None = None, sharing: str | None = None,
    webhook_url: str | None = None, owner_org_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Add a rule. Over the API the caller's organisation owns it (editors and admins;
    ``owner`` sharing unless stated); the local operator adds it for ``owner_org_id`` or
    as public reference data."""
    if caller.local:
        owner = owner_org_id
    elif caller.anonymous or caller.org_id is None or not caller.at_least(Role.EDITOR):
        raise Forbidden("adding an alert rule needs an editor or admin token")
    else:
        owner = caller.org_id
    errors = []
    if not KEY.match(key or ""):
        errors.append({"field": "key", "problem": "1-120 lower-case letters, digits, '.', '_', "
                       f"'-' starting with a letter or digit, not {key!r}"})  # fmt: skip
    level = sharing or ("public" if owner is None else "owner")
    if level not in SHARING or (owner is None and level != "public"):
        errors.append({"field": "sharing", "problem": "public, partners or owner (a rule "
                       "without an owner is public)"})  # fmt: skip
    if webhook_url is not None and not URL.match(webhook_url):
        errors.append({"field": "webhook_url", "problem": "an http(s) URL"})
    try:
        code = vocab.resolve_mineral(mineral) if mineral else None
    except vocab.UnknownValue as exc:
        errors.append({"field": "mineral", "problem": str(exc)})
        code = None
    if errors:
        raise InvalidRecord(errors)
    clean = check_params(session, evaluator(session, owner) if caller.local else caller, kind,
                         code, params)  # fmt: skip
    now = utcnow()
    row = {"key": key, "kind": kind, "title": (title or key)[:300], "mineral": code,
           "params": clean, "enabled": True, "builtin": False, "webhook_url": webhook_url,
           "owner_org_id": owner, "sharing": level, "section_sharing": {}, "version": 1,
           "created_at": now, "updated_at": now}  # fmt: skip
    from sqlalchemy.exc import IntegrityError

    from critmin.services.tracker import Conflict

    if not upsert_ignore(session, AlertRule, [row], returning=AlertRule.id):
        raise Conflict(f"an alert rule keyed {key!r} already exists")
    try:
        session.flush()
    except IntegrityError:  # pragma: no cover - the insert above already checked
        raise Conflict(f"an alert rule keyed {key!r} already exists") from None
    return present_rule(session, get_rule(session=session, caller=caller, ref=key)
                        if not caller.local else _by_key(session, key, owner), caller)


def _by_key(session: Session, key: str, owner: int | None) -> AlertRule:
    stmt = select(AlertRule).where(AlertRule.key == key)
    stmt = stmt.where(AlertRule.owner_org_id.is_(None) if owner is None
                      else AlertRule.owner_org_id == owner)  # fmt: skip
    return session.scalars(stmt).one()


UPDATABLE = ("title", "params", "enabled", "sharing", "webhook_url")


def update_rule(*, session: Session, caller: Caller, ref: str | int,
                changes: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """Change a rule's title, parameters (checked again for its kind), whether it is
    enabled, its sharing or webhook. Built-in rules cannot change; over the API only
    editors of the owning organisation may."""
    rule = get_rule(session=session, caller=caller, ref=ref)
    if rule.builtin:
        raise Forbidden("a built-in rule cannot be changed")
    if not caller.local and not access.can_edit(rule, caller):
        raise Forbidden("only editors of the organisation that owns a rule may change it")
    unknown = sorted(set(changes) - set(UPDATABLE))
    errors = [{"field": f, "problem": "cannot be changed"} for f in unknown]
    level = changes.get("sharing", rule.sharing)
    if level not in SHARING or (rule.owner_org_id is None and level != "public"):
        errors.append({"field": "sharing", "problem": "public, partners or owner (a rule "
                       "without an owner is public)"})  # fmt: skip
    url = changes.get("webhook_url", rule.webhook_url)
    if url is not None and not URL.match(str(url)):
        errors.append({"field": "webhook_url", "problem": "an http(s) URL"})
    if "enabled" in changes and not isinstance(changes["enabled"], bool):
        errors.append({"field": "enabled", "problem": "true or false"})
    if errors:
        raise InvalidRecord(errors)
    if "params" in changes:
        view = evaluator(session, rule.owner_org_id) if caller.local else caller
        rule.params = check_params(session, view, rule.kind, rule.mineral, changes["params"])
    for name in ("title", "enabled", "sharing", "webhook_url"):
        if name in changes:
            setattr(rule, name, changes[name] if name != "title" else
                    (changes[name] or rule.key)[:300])  # fmt: skip
    rule.version += 1
    session.flush()
    return present_rule(session, rule, caller)


def remove_rule(*, session: Session, caller: Caller, ref: str | int) -> None:
    """Delete a rule (its events go with it). Built-in rules cannot be removed; over the
    API only editors of the owning organisation may."""
    rule = get_rule(session=session, caller=caller, ref=ref)
    if rule.builtin:
        raise Forbidden("a built-in rule cannot be removed")
    if not caller.local and not access.can_edit(rule, caller):
        raise Forbidden("only editors of the organisation that owns a rule may remove it")
    session.delete(rule)
    session.flush()
