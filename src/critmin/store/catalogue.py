"""Keep the ``minerals`` and ``mineral_forms`` tables in step with the domain catalogue."""

from __future__ import annotations

from sqlalchemy.orm import Session

from critmin.domain.minerals import FORMS, MINERALS
from critmin.store.tables import MineralFormRow, MineralRow


def sync_catalogue(session: Session) -> int:
    """Insert or update every known mineral and form; returns how many rows changed."""
    changed = 0
    for m in MINERALS:
        row = session.get(MineralRow, m.code)
        values = {"name": m.name, "symbol": m.symbol, "quantity_unit": m.quantity_unit}
        if row is None:
            session.add(MineralRow(code=m.code, **values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed += 1
    session.flush()
    for f in FORMS:
        row = session.get(MineralFormRow, f.code)
        values = {
            "mineral": f.mineral,
            "name": f.name,
            "description": f.description or None,
            "hs_codes": list(f.hs_codes),
        }
        if row is None:
            session.add(MineralFormRow(code=f.code, **values))
            changed += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            changed += 1
    session.flush()
    return changed
