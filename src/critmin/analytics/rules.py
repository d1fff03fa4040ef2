"""Export-control measures as rules: may this shipment go, and what is each measure's
status on a date. Pure and vectorised (numpy/pandas): shipments x measures are compared
as boolean matrices, never row by row.

Inputs are two frames. ``measures`` has one row per measure with the columns of
:data:`MEASURE_COLUMNS` (lists as Python lists, dates as ``datetime.date`` or None,
precisions ``day``/``month``/``year``). ``shipments`` has the columns of
:data:`SHIPMENT_COLUMNS`: ``minerals`` is the list of minerals the item may be (one for
a named mineral or form, several where an HS code covers several), ``technology`` is
true for know-how rather than goods. An optional ``form_hs`` column gives a named form's
own HS heading; only scrap-trade measures read it.

Logic (see docs/controls.md):

- export-side measures (licence requirement, prohibition, quota, export tax, end-user
  and technology controls, suspensions, enforcement, laws) bind shipments whose origin
  is the imposing country; import-side ones (tariffs, trade-remedy investigations,
  import bans, standards) concern shipments into the imposing country: tariffs and
  investigations are context only, an import ban prohibits;
- import bans and standards are scrap-trade measures: they match by HS code only (a ban
  on imports of waste and scrap says nothing of the same mineral's ores or metal);
- a standard in force that matches the shipment and names a ban (``relates_to``) exempts
  material meeting it: the ban is then reported as ``unless_exempt`` (it binds only
  material that does not meet the standard) and does not decide the verdict;
- a measure naming destinations binds the leg to ``via`` when there is one, unless it is
  extraterritorial: then it reaches the re-export to the final destination too;
- dates are honoured at their precision, cautiously: a restriction may bind from the
  first day its effective date can stand for until the last day its expiry can; a
  suspension lifts it only from the last day its start can stand for and until the day
  before its expiry period begins. Restrictions without an effective date run from
  their announcement; undated measures never decide;
- a suspension in force that itself matches the shipment lifts the measure it names;
- the most restrictive binding measure decides: prohibited > licence_required > allowed.
  Measures limited to an end use the shipment does not state, or to listed end users,
  are reported as conditional; enforcement actions, laws, tariffs and investigations
  are reported as context, never as verdicts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

VERDICTS = ("allowed", "licence_required", "prohibited")
RANK = {"ban": 2, "licensing": 1, "technology_control": 1, "end_user_control": 1, "quota": 1,
        "import_ban": 2}
"""Restrictions and the verdict rank they impose (index into VERDICTS)."""
EXPORT_CONTEXT = frozenset({"enforcement", "law", "export_tax"})
IMPORT_CONTEXT = frozenset({"tariff", "investigation"})
IMPORT_SIDE = IMPORT_CONTEXT | {"import_ban", "standard"}
BY_HS_ONLY = frozenset({"import_ban", "standard"})
"""Scrap-trade measures: they match a shipment by HS code only."""
STANDARD = "standard"
SUSPENSION = "suspension"

MEASURE_COLUMNS = (
    "key", "measure_type", "imposing_country", "target_countries", "minerals", "end_use",
    "end_users", "extraterritorial", "announced", "effective", "expiry",
    "announced_precision", "effective_precision", "expiry_precision", "relates_to",
    "goods", "technology", "hs_codes",
)  # fmt: skip
SHIPMENT_COLUMNS = ("minerals", "technology", "hs", "origin", "destination", "via", "date",
                    "end_use")  # fmt: skip

_DAY = np.timedelta64(1, "D")
_NEVER = np.datetime64("NaT", "D")
_FAR_PAST = np.datetime64("0001-01-01", "D")
_FAR_FUTURE = np.datetime64("9999-12-31", "D")


def period_bounds(dates: Sequence[Any], precisions: Sequence[str | None]) -> tuple[np.ndarray, ...]:
    """First and last day each date can stand for at its precision (NaT where no date).

    ``2025-11-01`` at month precision -> (2025-11-01, 2025-11-30); at year precision
    ``2024-12-31`` (the end of 2024) -> (2024-01-01, 2024-12-31).
    """
    d = pd.to_datetime(pd.Series(list(dates), dtype=object)).to_numpy().astype("datetime64[D]")
    p = np.asarray([x or "day" for x in precisions], dtype=object)
    month = d.astype("datetime64[M]")
    year = d.astype("datetime64[Y]")
    first = np.where(p == "month", month.astype("datetime64[D]"),
                     np.where(p == "year", year.astype("datetime64[D]"), d))  # fmt: skip
    month_end = (month + 1).astype("datetime64[D]") - _DAY
    year_end = (year + 1).astype("datetime64[D]") - _DAY
    last = np.where(p == "month", month_end, np.where(p == "year", year_end, d))
    return first, last


def _membership(lists: Sequence[Sequence[str]], vocab: pd.Index) -> np.ndarray:
    """Row i, column j true where vocab[j] is in lists[i] (a boolean matrix)."""
    out = np.zeros((len(lists), len(vocab)), dtype=bool)
    exploded = pd.Series(list(lists), dtype=object).explode().dropna()
    if len(exploded):
        cols = vocab.get_indexer(exploded.to_numpy())
        keep = cols >= 0
        out[exploded.index.to_numpy()[keep], cols[keep]] = True
    return out


def _onehot(values: Sequence[str | None], vocab: pd.Index) -> np.ndarray:
    return _membership([[v] if isinstance(v, str) and v else [] for v in values], vocab)


def windows(measures: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per measure: the cautious windows described in the module docstring, as days.

    ``bind_from``/``bind_to``: when a restriction may bind; ``lift_from``/``lift_to``:
    when a suspension surely lifts; ``certain_from``: first day surely in force.
    """
    eff_first, eff_last = period_bounds(measures["effective"], measures["effective_precision"])
    ann_first, ann_last = period_bounds(measures["announced"], measures["announced_precision"])
    exp_first, exp_last = period_bounds(measures["expiry"], measures["expiry_precision"])
    start_first = np.where(np.isnat(eff_first), ann_first, eff_first)
    start_last = np.where(np.isnat(eff_last), ann_last, eff_last)
    day_expiry = np.asarray([(p or "day") == "day" for p in measures["expiry_precision"]])
    lift_to = np.where(day_expiry, exp_first, exp_first - _DAY)
    return {
        "bind_from": start_first,
        "certain_from": start_last,
        "bind_to": np.where(np.isnat(exp_last), _FAR_FUTURE, exp_last),
        "lift_from": start_last,
        "lift_to": np.where(np.isnat(lift_to), _FAR_FUTURE, lift_to),
        "dated": ~np.isnat(start_first),
    }


def change_days(measures: pd.DataFrame) -> np.ndarray:
    """The days on which any verdict of :func:`check` over ``measures`` may change, sorted.

    :func:`check` compares a shipment's day only with the windows of :func:`windows`
    (``day >= from`` changes on ``from``, ``day <= to`` on the day after ``to``), so two
    days with no change day in ``(first, second]`` get the same verdicts and the same
    measures for the same shipment. A batch of many dates can be checked once per period
    between change days (:func:`period_starts`)."""
    if len(measures) == 0:
        return np.array([], dtype="datetime64[D]")
    w = windows(measures)
    days = np.concatenate([w["bind_from"], w["certain_from"], w["lift_from"],
                           w["bind_to"] + _DAY, w["lift_to"] + _DAY])  # fmt: skip
    days = days[~np.isnat(days) & (days > _FAR_PAST) & (days <= _FAR_FUTURE)]
    return np.unique(days)


def period_starts(days: np.ndarray, changes: np.ndarray) -> np.ndarray:
    """Each day replaced by the first day of its period between ``changes`` (the day
    before the first change for days before it): the same verdicts, fewer dates."""
    days = np.asarray(days, dtype="datetime64[D]")
    if len(changes) == 0:
        return np.full(days.shape, days.min() if days.size else _FAR_PAST)
    at = np.searchsorted(changes, days, side="right") - 1
    return np.where(at >= 0, changes[np.maximum(at, 0)], changes[0] - _DAY)


def check(shipments: pd.DataFrame, measures: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Verdicts for every shipment and the measures behind each.

    Returns ``(verdicts, links)``: ``verdicts`` has one row per shipment (same index
    order) with ``verdict`` and ``rank``; ``links`` one row per (shipment, measure) that
    matters, with ``shipment`` (position), ``measure`` (position), ``effect``
    (prohibited, licence_required, suspended, suspends, unless_exempt, exempts,
    conditional, context) and
    ``decides`` (the measure sets the verdict), ``uncertain`` (the shipment's date lies
    in a period a measure's date stands for, so it may not yet bind).
    """
    n_s, n_m = len(shipments), len(measures)
    if n_s == 0:
        return pd.DataFrame({"verdict": [], "rank": []}), _empty_links()
    types = measures["measure_type"].to_numpy(dtype=object)
    rank = np.asarray([RANK.get(t, -1) for t in types])
    restrictive = rank >= 0
    suspension = types == SUSPENSION
    import_side = np.isin(types, list(IMPORT_SIDE))
    export_side = ~import_side & (types != "stockpile")
    w = windows(measures) if n_m else {}
    day = pd.to_datetime(shipments["date"]).to_numpy().astype("datetime64[D]")[:, None]
    if n_m == 0:
        verdicts = pd.DataFrame({"verdict": [VERDICTS[0]] * n_s, "rank": np.zeros(n_s, int)})
        return verdicts, _empty_links()

    minerals = pd.Index(sorted({m for ms in list(measures["minerals"]) + list(shipments["minerals"])
                                for m in ms}))  # fmt: skip
    countries = pd.Index(sorted(
        {c for cs in measures["target_countries"] for c in cs}
        | set(measures["imposing_country"])
        | {c for col in ("origin", "destination", "via") for c in shipments[col]
           if isinstance(c, str) and c}
    ))  # fmt: skip
    s_min = _membership(list(shipments["minerals"]), minerals)
    m_min = _membership(list(measures["minerals"]), minerals)
    no_minerals = ~m_min.any(axis=1)
    mineral_hit = (s_min.astype(int) @ m_min.T.astype(int)) > 0
    hs_hit = _hs_match(shipments["hs"], measures["hs_codes"])
    if "form_hs" in shipments.columns:  # a named form's own heading (e.g. tungsten scrap)
        by_form = shipments["hs"].where(shipments["hs"].notna(), shipments["form_hs"])
        form_hit = _hs_match(by_form, measures["hs_codes"])
    else:
        form_hit = hs_hit
    is_tech = shipments["technology"].to_numpy(dtype=bool)[:, None]
    kind_ok = np.where(is_tech, measures["technology"].to_numpy(dtype=bool)[None, :],
                       measures["goods"].to_numpy(dtype=bool)[None, :])  # fmt: skip
    context_type = np.isin(types, list(EXPORT_CONTEXT | IMPORT_CONTEXT))
    hs_only = np.isin(types, list(BY_HS_ONLY))[None, :]
    item_ok = (np.where(hs_only, form_hit, mineral_hit | hs_hit)
               | (no_minerals & context_type)[None, :]) & (kind_ok | context_type[None, :])

    origin = _onehot(list(shipments["origin"]), countries)
    dest = _onehot(list(shipments["destination"]), countries)
    via = shipments["via"].fillna("").to_numpy(dtype=object)
    first_leg = _onehot([v or d for v, d in zip(via, shipments["destination"], strict=True)],
                        countries)  # fmt: skip
    imposer = _onehot(list(measures["imposing_country"]), countries)
    targets = _membership(list(measures["target_countries"]), countries)
    all_dest = ~targets.any(axis=1)
    ti = targets.T.astype(int)
    dest_hit = (dest.astype(int) @ ti) > 0
    leg_hit = (first_leg.astype(int) @ ti) > 0
    extra = measures["extraterritorial"].to_numpy(dtype=bool)[None, :]
    reach = all_dest[None, :] | leg_hit | (extra & dest_hit)
    from_imposer = (origin.astype(int) @ imposer.T.astype(int)) > 0
    into_imposer = (dest.astype(int) @ imposer.T.astype(int)) > 0
    origin_targeted = all_dest[None, :] | ((origin.astype(int) @ ti) > 0)
    side_ok = (export_side[None, :] & from_imposer & reach) | (
        import_side[None, :] & into_imposer & origin_targeted
    )

    end_use = shipments["end_use"].fillna("").to_numpy(dtype=object)[:, None]
    m_use = measures["end_use"].fillna("all").to_numpy(dtype=object)[None, :]
    use_known = (m_use == "all") | (end_use == m_use)
    use_open = (m_use != "all") & (end_use == "")
    listed_users = np.asarray([bool(u) for u in measures["end_users"]])[None, :]

    matches = item_ok & side_ok
    dated = w["dated"][None, :]
    binding_time = dated & (day >= w["bind_from"][None, :]) & (day <= w["bind_to"][None, :])
    lifting_time = dated & (day >= w["lift_from"][None, :]) & (day <= w["lift_to"][None, :])
    uncertain = binding_time & (day < w["certain_from"][None, :])

    lifts = matches & use_known & suspension[None, :] & lifting_time
    keys = pd.Index(measures["key"])
    names = keys.get_indexer(measures["relates_to"].fillna("").to_numpy())
    named = np.zeros((n_m, n_m), dtype=int)
    has_target = names >= 0
    named[np.flatnonzero(has_target), names[has_target]] = 1
    suspended = (lifts.astype(int) @ named) > 0
    exempts = matches & (types == STANDARD)[None, :] & lifting_time
    exempted = (exempts.astype(int) @ named) > 0

    candidate = matches & restrictive[None, :] & binding_time
    unless_exempt = candidate & exempted & ~suspended
    binds = candidate & use_known & ~listed_users & ~suspended & ~exempted
    conditional = candidate & (use_open | (listed_users & use_known)) & ~suspended
    context = matches & (context_type & ~restrictive)[None, :] & binding_time

    ranks = np.where(binds, rank[None, :], 0).max(axis=1, initial=0)
    decides = binds & (rank[None, :] == ranks[:, None]) & (ranks[:, None] > 0)
    effect = np.full((n_s, n_m), "", dtype=object)
    effect[context] = "context"
    effect[candidate & suspended] = "suspended"
    effect[lifts] = "suspends"
    effect[exempts] = "exempts"
    effect[conditional] = "conditional"
    effect[unless_exempt] = "unless_exempt"
    effect[binds] = np.asarray([VERDICTS[max(r, 0)] for r in rank], dtype=object)[
        np.nonzero(binds)[1]
    ]
    rows, cols = np.nonzero(effect != "")
    links = pd.DataFrame({
        "shipment": rows, "measure": cols, "effect": effect[rows, cols],
        "decides": decides[rows, cols], "uncertain": uncertain[rows, cols],
    })  # fmt: skip
    order = {"prohibited": 0, "licence_required": 1, "suspended": 2, "suspends": 3,
             "unless_exempt": 4, "exempts": 5, "conditional": 6, "context": 7}  # fmt: skip
    links = links.assign(_o=links["effect"].map(order)).sort_values(
        ["shipment", "_o", "measure"], kind="stable").drop(columns="_o").reset_index(drop=True)
    verdicts = pd.DataFrame({"verdict": np.asarray(VERDICTS, dtype=object)[ranks], "rank": ranks})
    return verdicts, links


def _hs_match(hs: pd.Series, codes: pd.Series) -> np.ndarray:
    """Shipment x measure: the shipment's HS code and one of the measure's HS items are
    the same heading at their common length (one is a prefix of the other)."""
    ship = hs.fillna("").astype(str).to_numpy()
    items = pd.Series(list(codes), dtype=object).explode().dropna()
    out = np.zeros((len(ship), len(codes)), dtype=bool)
    if not len(items) or not (ship != "").any():
        return out
    item_codes = items.astype(str).to_numpy()
    a, b = ship[:, None], item_codes[None, :]
    hit = (a != "") & (np.char.startswith(a.astype(str), b.astype(str))
                       | np.char.startswith(b.astype(str), a.astype(str)))  # fmt: skip
    owner = items.index.to_numpy()
    for_measure = pd.DataFrame(hit.T).groupby(owner).any().T
    out[:, for_measure.columns.to_numpy()] = for_measure.to_numpy()
    return out


def _empty_links() -> pd.DataFrame:
    return pd.DataFrame({"shipment": pd.Series(dtype=int), "measure": pd.Series(dtype=int),
                         "effect": pd.Series(dtype=object), "decides": pd.Series(dtype=bool),
                         "uncertain": pd.Series(dtype=bool)})  # fmt: skip


def statuses(measures: pd.DataFrame, as_of: Any, mineral: str | None = None) -> pd.DataFrame:
    """Each measure's status on ``as_of``: ``not_announced``, ``announced`` (announced,
    not yet effective), ``in_force``, ``suspended`` (a suspension in force names it and,
    with ``mineral`` given, covers that mineral), ``expired`` or ``undated``.

    Dates are read at their precision: a measure is ``in_force`` from the first day its
    effective date can stand for and ``expired`` only once the whole period its expiry
    stands for is past; ``ending`` flags a day inside that period. Returns columns
    ``status``, ``ending`` (bool) and ``suspended_by`` (key or None).
    """
    n = len(measures)
    if n == 0:
        return pd.DataFrame({"status": [], "ending": [], "suspended_by": []})
    day = np.datetime64(pd.Timestamp(as_of).date(), "D")
    ann_first, _ = period_bounds(measures["announced"], measures["announced_precision"])
    eff_first, _ = period_bounds(measures["effective"], measures["effective_precision"])
    exp_first, exp_last = period_bounds(measures["expiry"], measures["expiry_precision"])
    start = np.where(np.isnat(eff_first), ann_first, eff_first)
    undated = np.isnat(start) & np.isnat(exp_first)
    expired = ~np.isnat(exp_last) & (day > exp_last)
    ending = ~np.isnat(exp_first) & (day >= exp_first) & ~expired
    in_force = ~np.isnat(start) & (day >= start) & ~expired
    announced = ~np.isnat(ann_first) & (day >= ann_first) & ~in_force & ~expired
    types = measures["measure_type"].to_numpy(dtype=object)
    covers = np.asarray([mineral is None or not ms or mineral in ms for ms in measures["minerals"]])
    active_suspension = (types == SUSPENSION) & in_force & covers
    keys = pd.Index(measures["key"])
    names = keys.get_indexer(measures["relates_to"].fillna("").to_numpy())
    by = np.full(n, None, dtype=object)
    hit = active_suspension & (names >= 0)
    by[names[hit]] = measures["key"].to_numpy(dtype=object)[hit]
    suspended = in_force & (by != None)  # noqa: E711 - elementwise on an object array
    status = np.select(
        [undated, expired, suspended, in_force, announced],
        ["undated", "expired", "suspended", "in_force", "announced"],
        default="not_announced",
    )
    return pd.DataFrame({"status": status, "ending": ending & ~undated,
                         "suspended_by": np.where(suspended, by, None)})  # fmt: skip
