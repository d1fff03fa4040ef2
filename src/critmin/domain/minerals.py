"""The minerals critmin knows and the traded forms of each.

A *mineral* is the element or commodity group (gallium, tungsten, ...); a *form* is
what is actually produced and traded (low-purity gallium, APT, ...). HS codes are
HS 2022 subheadings where one exists (see the bundled ``hs`` data).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from critmin.i18n import N_


class MineralForm(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    mineral: str
    name: str
    description: str = ""
    hs_codes: tuple[str, ...] = ()


class Mineral(BaseModel):
    model_config = ConfigDict(frozen=True)

    code: str
    name: str
    symbol: str | None = None
    usgs_slug: str | None = None
    quantity_unit: str = "t"
    """Unit of the USGS production tables for this mineral."""


MINERALS: tuple[Mineral, ...] = (
    Mineral(
        code="gallium", name=N_("Gallium"), symbol="Ga", usgs_slug="gallium", quantity_unit="kg"
    ),
    Mineral(
        code="germanium",
        name=N_("Germanium"),
        symbol="Ge",
        usgs_slug="germanium",
        quantity_unit="kg",
    ),
    Mineral(code="tungsten", name=N_("Tungsten"), symbol="W", usgs_slug="tungsten"),
    Mineral(code="antimony", name=N_("Antimony"), symbol="Sb", usgs_slug="antimony"),
    Mineral(
        code="rare-earths", name=N_("Rare earths"), usgs_slug="rare-earths", quantity_unit="t REO"
    ),
    Mineral(code="indium", name=N_("Indium"), symbol="In", usgs_slug="indium"),
    Mineral(code="graphite", name=N_("Graphite (natural)"), symbol="C", usgs_slug="graphite"),
    Mineral(code="cobalt", name=N_("Cobalt"), symbol="Co", usgs_slug="cobalt"),
    Mineral(code="lithium", name=N_("Lithium"), symbol="Li", usgs_slug="lithium"),
    Mineral(code="nickel", name=N_("Nickel"), symbol="Ni", usgs_slug="nickel"),
    Mineral(
        code="manganese",
        name=N_("Manganese"),
        symbol="Mn",
        usgs_slug="manganese",
        quantity_unit="kt",
    ),
    Mineral(
        code="aluminum", name=N_("Aluminum"), symbol="Al", usgs_slug="aluminum", quantity_unit="kt"
    ),
    Mineral(code="zinc", name=N_("Zinc"), symbol="Zn", usgs_slug="zinc", quantity_unit="kt"),
    Mineral(code="niobium", name=N_("Niobium"), symbol="Nb", usgs_slug="niobium"),
    Mineral(code="tantalum", name=N_("Tantalum"), symbol="Ta", usgs_slug="tantalum"),
    Mineral(code="vanadium", name=N_("Vanadium"), symbol="V", usgs_slug="vanadium"),
)

FORMS: tuple[MineralForm, ...] = (
    MineralForm(
        code="low_purity_gallium",
        mineral="gallium",
        name=N_("Low-purity (primary) gallium"),
        description=(
            "Unrefined primary gallium, typically 99.99% (4N), recovered from Bayer liquor "
            "or zinc residues."
        ),
        hs_codes=("811292",),
    ),
    MineralForm(
        code="high_purity_gallium",
        mineral="gallium",
        name=N_("High-purity gallium (6N+)"),
        description="Refined gallium of 99.9999% purity or better for compound semiconductors.",
        hs_codes=("811292",),
    ),
    MineralForm(
        code="gaas_wafer",
        mineral="gallium",
        name=N_("GaAs wafers"),
        description="Gallium arsenide wafers (USGS reports imports by gross weight).",
        hs_codes=("381800",),
    ),
    MineralForm(
        code="gan", mineral="gallium", name=N_("Gallium nitride (GaN) material and wafers")
    ),
    MineralForm(code="gallium_scrap", mineral="gallium", name=N_("Gallium-bearing new scrap")),
    MineralForm(
        code="tungsten_concentrate",
        mineral="tungsten",
        name=N_("Tungsten concentrate"),
        description="Wolframite or scheelite concentrate, priced per mtu WO3.",
        hs_codes=("261100",),
    ),
    MineralForm(
        code="apt",
        mineral="tungsten",
        name=N_("Ammonium paratungstate (APT)"),
        hs_codes=("284180",),
    ),
    MineralForm(
        code="tungsten_oxide", mineral="tungsten", name=N_("Tungsten oxide"), hs_codes=("282590",)
    ),
    MineralForm(
        code="ferrotungsten", mineral="tungsten", name=N_("Ferrotungsten"), hs_codes=("720280",)
    ),
    MineralForm(
        code="tungsten_powder", mineral="tungsten", name=N_("Tungsten powder"), hs_codes=("810110",)
    ),
    MineralForm(
        code="cemented_carbide",
        mineral="tungsten",
        name=N_("Cemented (tungsten) carbide"),
        hs_codes=("284990", "820900"),
    ),
    MineralForm(
        code="tungsten_scrap",
        mineral="tungsten",
        name=N_("Tungsten waste and scrap"),
        hs_codes=("810197",),
    ),
)

_MINERALS = {m.code: m for m in MINERALS}
_FORMS = {f.code: f for f in FORMS}


def mineral_codes() -> list[str]:
    return [m.code for m in MINERALS]


def get_mineral(code: str) -> Mineral:
    """Return the mineral for a code; raise KeyError naming the known codes."""
    try:
        return _MINERALS[code]
    except KeyError:
        raise KeyError(f"unknown mineral {code!r}; known: {', '.join(_MINERALS)}") from None


def get_form(code: str) -> MineralForm:
    try:
        return _FORMS[code]
    except KeyError:
        raise KeyError(f"unknown form {code!r}; known: {', '.join(_FORMS)}") from None


def form_codes(mineral: str | None = None) -> list[str]:
    return [f.code for f in FORMS if mineral is None or f.mineral == mineral]
