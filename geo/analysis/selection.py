"""The user's selection (vintage, indicator, ICB, boroughs, deciles, theme) and its URL form.

A :class:`Selection` round-trips through a flat ``dict[str, str | list[str]]`` such as
``st.query_params`` so that a link reproduces the view. Parsing never fails: unknown or
malformed values fall back to the defaults and are reported in ``Selection.warnings``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import geopandas as gpd
import pandas as pd

from geo.data.indicators import (
    DEFAULT_VINTAGE,
    DOMAINS,
    EXTRA_INDICATORS,
    INDICATOR_LABELS,
    VINTAGES,
)

MEASURE_LABELS = {"decile": "Decile (1 = most deprived 10%)", "score": "Score"}


@dataclass(frozen=True)
class Selection:
    """What the user is looking at."""

    vintage: str = DEFAULT_VINTAGE
    domain: str = "imd"
    measure: str = "decile"  # "decile" or "score"
    boroughs: tuple[str, ...] = ()  # borough codes; empty = all London
    icb: str = ""  # an Integrated Care Board code: its boroughs are the selection
    deciles: tuple[int, int] = (1, 10)
    theme: str = "All themes"
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def is_iod(self) -> bool:
        """True when the indicator is an IoD domain (not a bundled extra indicator)."""
        return self.domain in DOMAINS

    @property
    def decile_domain(self) -> str:
        """The domain whose deciles the decile filter uses (IMD for the extra indicators)."""
        return self.domain if self.is_iod else "imd"

    @property
    def column(self) -> str:
        """The LSOA column to map: an IoD column, or the extra indicator's own column
        (``ha_share``, ``ptal``, ``lw_per_10k``: link workers by registration)."""
        if not self.is_iod:
            return self.domain
        return f"{self.decile_domain}_{self.measure}"

    @property
    def label(self) -> str:
        """A caption for the mapped indicator."""
        what = INDICATOR_LABELS[self.domain]
        if not self.is_iod:
            return f"{what} ({VINTAGES[self.vintage]['label']})"
        return f"{what}: {self.measure} ({VINTAGES[self.vintage]['label']})"

    def to_query(self) -> dict[str, str]:
        """Query parameters, omitting defaults to keep links short."""
        default = Selection()
        out: dict[str, str] = {}
        if self.vintage != default.vintage:
            out["vintage"] = self.vintage
        if self.domain != default.domain:
            out["indicator"] = self.domain
        if self.measure != default.measure:
            out["measure"] = self.measure
        if self.icb:
            out["icb"] = self.icb  # its boroughs follow from it
        elif self.boroughs:
            out["borough"] = ",".join(self.boroughs)
        if self.deciles != default.deciles:
            out["deciles"] = f"{self.deciles[0]}-{self.deciles[1]}"
        if self.theme != default.theme:
            out["theme"] = self.theme
        return out


def _first(value: str | list[str] | None) -> str | None:
    if isinstance(value, list):
        return value[0] if value else None
    return value


def from_query(
    params: Mapping[str, str | list[str]],
    *,
    borough_codes: set[str] | None = None,
    themes: list[str] | None = None,
    icbs: Mapping[str, tuple[str, ...]] | None = None,
) -> Selection:
    """Parse query parameters into a :class:`Selection`, falling back to defaults.

    Parameters
    ----------
    params
        e.g. ``dict(st.query_params)``.
    borough_codes
        Valid borough codes; others are dropped with a warning.
    themes
        Valid service themes; others fall back to "All themes" with a warning.
    icbs
        ICB code -> its borough codes. A valid ``icb`` in the link selects its boroughs (a
        ``borough`` in the same link is then ignored); an unknown one is reported.
    """
    warnings: list[str] = []
    sel = Selection()
    # URL key -> (Selection field, allowed values, what is shown instead)
    choices = {
        "vintage": ("vintage", VINTAGES, sel.vintage),
        "indicator": ("domain", (*DOMAINS, *EXTRA_INDICATORS), "IMD"),
        "measure": ("measure", MEASURE_LABELS, "deciles"),
    }
    for key, (attr, allowed, fallback) in choices.items():
        value = _first(params.get(key))
        if not value:
            continue
        if value in allowed:
            sel = replace(sel, **{attr: value})
        else:
            warnings.append(f"Unknown {key} '{value}' in the link; showing {fallback}.")
    raw_b = params.get("borough")
    if raw_b:
        items = raw_b if isinstance(raw_b, list) else [raw_b]
        codes = [c.strip() for item in items for c in item.split(",") if c.strip()]
        valid = [c for c in codes if borough_codes is None or c in borough_codes]
        if len(valid) < len(codes):
            bad = sorted(set(codes) - set(valid))
            warnings.append(f"Unknown borough code(s) in the link ignored: {', '.join(bad)}.")
        sel = replace(sel, boroughs=tuple(dict.fromkeys(valid)))
    icb = _first(params.get("icb"))
    if icb:
        if icbs is not None and icb in icbs:
            sel = replace(sel, icb=icb, boroughs=tuple(icbs[icb]))
        else:
            warnings.append(f"Unknown ICB '{icb}' in the link; showing the boroughs chosen.")
    deciles = _first(params.get("deciles"))
    if deciles:
        try:
            lo, hi = (int(x) for x in deciles.split("-"))
            if not 1 <= lo <= hi <= 10:
                raise ValueError
            sel = replace(sel, deciles=(lo, hi))
        except ValueError:
            warnings.append(f"Decile range '{deciles}' in the link is not like 1-3; showing 1-10.")
    theme = _first(params.get("theme"))
    if theme:
        if themes is None or theme in themes or theme == "All themes":
            sel = replace(sel, theme=theme)
        else:
            warnings.append(f"Unknown theme '{theme}' in the link; showing all themes.")
    return replace(sel, warnings=tuple(warnings))


def icb_boroughs(icbs: pd.DataFrame) -> dict[str, tuple[str, ...]]:
    """ICB code -> its borough codes, from ``geo.data.io.load_icbs()``."""
    return {code: tuple(str(b).split("; ")) for code, b in icbs["borough_codes"].items() if b}


def filter_lsoas(lsoas: pd.DataFrame, sel: Selection) -> pd.DataFrame:
    """LSOAs in the selected boroughs whose decile of the selected domain is in range."""
    mask = pd.Series(True, index=lsoas.index)
    if sel.boroughs:
        mask &= lsoas["borough_code"].isin(sel.boroughs)
    lo, hi = sel.deciles
    mask &= lsoas[f"{sel.decile_domain}_decile"].between(lo, hi)
    return lsoas[mask]


def borough_comparison(boroughs: pd.DataFrame, domain: str) -> pd.DataFrame:
    """Borough table for one domain, most deprived first (by share in England's most deprived 10%).

    Columns: borough_name, inner_outer, share_10 (%), share_20 (%), avg_score, avg_score_rank.
    """
    out = pd.DataFrame(
        {
            "borough_name": boroughs["borough_name"],
            "inner_outer": boroughs["inner"].map({True: "Inner", False: "Outer"}),
            "share_10": (boroughs[f"{domain}_share_10"] * 100).round(1),
            "share_20": (boroughs[f"{domain}_share_20"] * 100).round(1),
            "avg_score": boroughs[f"{domain}_avg_score"],
            "avg_score_rank": boroughs[f"{domain}_avg_score_rank"],
        },
        index=boroughs.index,
    )
    return out.sort_values(["share_10", "avg_score"], ascending=False)


def bounds_of(gdf: gpd.GeoDataFrame, codes: tuple[str, ...] = ()) -> tuple[float, ...]:
    """(minx, miny, maxx, maxy) of the rows with index in ``codes`` (all rows when empty)."""
    part = gdf.loc[list(codes)] if codes else gdf
    return tuple(float(v) for v in part.total_bounds)
