"""Analysis: need, access, gaps and provision, as plain functions on (Geo)DataFrames.

* :mod:`geo.analysis.access` -- access measures (E2SFCA, places within a walking catchment,
  nearest place);
* :mod:`geo.analysis.gap` -- the need index, gap scores, bivariate classes, the pilot finder;
* :mod:`geo.analysis.gapview` -- the gap finder's parameters, London-wide gap tables and their
  display;
* :mod:`geo.analysis.provision` -- the bundled directory and uploads as one, housing
  association households beyond reach, borough link workers (per practice);
* :mod:`geo.analysis.registration` -- link workers by GP registration: each PCN's FTE placed
  where its practices' patients live, per neighbourhood, borough and PCN;
* :mod:`geo.analysis.pcnview` -- the PCN view's tables;
* :mod:`geo.analysis.selection` -- the user's selection (vintage, indicator, ICB, boroughs,
  deciles, theme), its URL form and filters;
* :mod:`geo.analysis.aggregate` -- many points as counts per neighbourhood.
"""

from __future__ import annotations

from geo.analysis import access, aggregate, gap, gapview, provision, selection
from geo.analysis.aggregate import MAX_POINTS, points_per_area
from geo.analysis.selection import Selection, borough_comparison, bounds_of, filter_lsoas

__all__ = [
    "MAX_POINTS",
    "Selection",
    "access",
    "aggregate",
    "borough_comparison",
    "bounds_of",
    "filter_lsoas",
    "gap",
    "gapview",
    "points_per_area",
    "provision",
    "selection",
]
