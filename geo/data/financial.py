"""Financial inclusion places: London food banks (Give Food) and credit unions (Co-operatives UK).

Readers for :mod:`geo.data.bundled`; each returns rows in the form of the other place readers
(``service_id``, ``name``, ``address``, ``postcode``, ``easting``, ``northing``,
``location_basis`` and extras) with notes for the manifest, ready for
:func:`geo.data.places.finish_places` with the ``"food_bank"`` / ``"credit_union"`` entries of
:data:`geo.data.directory.CATEGORIES`.

Placement: both are put at their postcode's OS Code-Point Open point, as libraries, Jobcentre
Plus offices and pharmacies are. For food banks this was checked against the source's own
latitude/longitude: every postcode of the 97 rows is in Code-Point Open 2025 and in the borough
Give Food states; the source points are a median of about 57 m from the postcode point and one
(Colindale) is 1.5 km away from its postcode, so the source coordinates are not the more
reliable of the two. Credit unions have no coordinates of their own (Co-operatives UK's ``Geo
Container`` latitude/longitude is the postcode's), and their postcode is the registered office.

Money advice, debt advice and Citizens Advice offices are not in open data
(:data:`geo.data.directory.FINANCIAL_INCLUSION_CAVEAT`).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.data.places import place_by_postcode
from geo.data.sources import BNG, COOPSUK, GIVEFOOD, WGS84, SourceError, need_columns

__all__ = [
    "BY_OFFICE",
    "BY_POSTCODE",
    "CREDIT_UNION_SIC",
    "read_credit_unions",
    "read_food_banks",
]

#: ``location_basis`` of food banks and of credit unions.
BY_POSTCODE = "postcode (Code-Point Open)"
BY_OFFICE = "registered office postcode (Code-Point Open)"

#: The SIC code of credit unions (64921); other codes are kept by the name rule and named.
CREDIT_UNION_SIC = "64921"

#: Source points further than this from their postcode point are named in the notes (metres).
FAR_M = 500.0


def _slug(text: pd.Series) -> pd.Series:
    return text.str.lower().str.replace(r"[^a-z0-9]+", "-", regex=True).str.strip("-")


def _named(frame: pd.DataFrame) -> str:
    """'Name (POSTCODE); ...' of a frame with ``name`` and ``postcode``."""
    return "; ".join(f"{n} ({p})" for n, p in zip(frame["name"], frame["postcode"], strict=True))


def read_food_banks(raw: Path, lookup: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Give Food's London food banks that are open, placed by postcode.

    Parameters
    ----------
    raw
        The raw data folder.
    lookup
        London postcodes (``postcode``, ``easting``, ``northing``).

    Returns
    -------
    tuple of pandas.DataFrame and list of str
        The open food banks whose postcode is in ``lookup`` (``service_id`` =
        ``food_bank:<slug>``, ``name``, ``address``, ``postcode``, ``easting``, ``northing``,
        ``location_basis``, ``network``, ``url``, ``charity_number``) and notes: rows read,
        closed ones left out (named), open ones not placed (named), how far the source's own
        coordinates are from the postcode points. Read = placed + closed + not placed.

    Raises
    ------
    SourceError
        When a column is missing or ``closed`` is not True / False.
    """
    df = pd.read_csv(raw / GIVEFOOD, dtype=str, keep_default_na=False)
    need_columns(
        df, ["name", "slug", "address", "postcode", "closed", "lat", "lon", "network"], GIVEFOOD
    )
    flag = df["closed"].str.strip().str.lower()
    if not flag.isin(["true", "false"]).all():
        raise SourceError(f"{GIVEFOOD}: 'closed' must be True or False")
    closed = df[flag.eq("true")]
    open_ = df[flag.eq("false")]
    out = pd.DataFrame(
        {
            "service_id": "food_bank:" + _slug(open_["slug"]),
            "name": open_["name"].str.strip(),
            "address": open_["address"].str.strip(),
            "postcode": open_["postcode"],
            "network": open_["network"].replace("", None),
            "url": open_["url"].replace("", None) if "url" in open_ else None,
            "charity_number": (
                open_["charity_number"].replace("", None) if "charity_number" in open_ else None
            ),
        }
    )
    out = place_by_postcode(out, lookup)
    lost = out[out["pc_easting"].isna()]
    notes = [
        f"Food banks: {len(df)} London rows read; {len(closed)} marked closed and left out ("
        + _named(closed.assign(name=closed["name"].str.strip()))
        + f"); {len(out) - len(lost)} open food banks placed at their postcode."
    ]
    if len(lost):
        notes.append(
            f"Food banks: {len(lost)} open food bank(s) left out, postcode not a London "
            "postcode in Code-Point Open April 2025: " + _named(lost)
        )
    out = out[out["pc_easting"].notna()].copy()
    offset = offset_m(
        open_.loc[out.index, "lon"],
        open_.loc[out.index, "lat"],
        out["pc_easting"],
        out["pc_northing"],
    )
    far = out.loc[offset > FAR_M, "name"].tolist()
    notes.append(
        "Food banks: placed at the postcode's Code-Point Open point; Give Food's own "
        f"latitude/longitude is a median {np.nanmedian(offset):.0f} m from it (over "
        f"{FAR_M:.0f} m: " + (", ".join(far) or "none") + ")."
    )
    out["easting"], out["northing"] = out.pop("pc_easting"), out.pop("pc_northing")
    out["location_basis"] = BY_POSTCODE
    return out.sort_values("service_id").reset_index(drop=True), notes


def offset_m(lon: pd.Series, lat: pd.Series, e: pd.Series, n: pd.Series) -> np.ndarray:
    """Metres between WGS84 points and British National Grid points (NaN if unparseable)."""
    pts = gpd.GeoSeries(
        gpd.points_from_xy(
            pd.to_numeric(lon, errors="coerce"), pd.to_numeric(lat, errors="coerce")
        ),
        crs=WGS84,
    ).to_crs(BNG)
    return np.hypot(pts.x.to_numpy() - e.to_numpy(float), pts.y.to_numpy() - n.to_numpy(float))


def _address(df: pd.DataFrame, cols: list[str]) -> pd.Series:
    """Address parts joined with ", " (line breaks too), a part repeated only once."""
    present = [c for c in cols if c in df.columns]
    parts = df[present].apply(lambda c: c.str.replace(r"\s*\n\s*", ", ", regex=True).str.strip())
    return parts.apply(lambda r: ", ".join(dict.fromkeys(v for v in r if v)), axis=1)


def read_credit_unions(raw: Path, lookup: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Credit unions whose registered office postcode is in Greater London.

    A credit union is a Co-operatives UK row whose ``Name`` contains "credit union" (any
    case). It is kept when its postcode is in ``lookup`` (London postcodes).

    Parameters
    ----------
    raw
        The raw data folder.
    lookup
        London postcodes (``postcode``, ``easting``, ``northing``).

    Returns
    -------
    tuple of pandas.DataFrame and list of str
        The London credit unions (``service_id`` = ``credit_union:<Identifier>``, ``name``,
        ``address``, ``postcode``, ``easting``, ``northing``, ``location_basis``, ``sic_code``)
        and notes: how many were found in the UK, kept and left out, naming those left out
        whose postcode area reaches into London, and kept rows whose SIC code is not
        :data:`CREDIT_UNION_SIC`. Found = kept + left out.
    """
    df = pd.read_csv(raw / COOPSUK, dtype=str, keep_default_na=False)
    need_columns(
        df, ["Identifier", "Name", "Street Address", "Locality", "Postcode", "SIC Code"], COOPSUK
    )
    cu = df[df["Name"].str.contains("credit union", case=False, regex=False)]
    out = pd.DataFrame(
        {
            "service_id": "credit_union:" + cu["Identifier"].str.strip(),
            "name": cu["Name"].str.strip(),
            "address": _address(cu, ["Street Address", "Locality", "Region"]),
            "postcode": cu["Postcode"],
            "sic_code": cu["SIC Code"].replace("", None),
        }
    )
    out = place_by_postcode(out, lookup)
    kept = out[out["pc_easting"].notna()].copy()
    left = out[out["pc_easting"].isna()]
    areas = set(lookup["postcode"].str.extract(r"^([A-Z]+)")[0].unique())
    left_area = left["postcode"].astype("str").str.extract(r"^([A-Z]+)")[0]
    near = left[left_area.isin(areas).to_numpy()]
    notes = [
        f"Credit unions: {len(cu)} UK co-operatives whose name contains 'credit union'; "
        f"{len(kept)} have a registered office postcode in Greater London and are kept; "
        f"{len(left)} are left out (postcode not a London postcode in Code-Point Open April "
        "2025: registered outside Greater London, or a postcode no longer live)."
    ]
    if len(near):
        where = cu.loc[near.index, "Locality"].str.strip()
        notes.append(
            "Credit unions left out although their postcode area reaches into London (outside "
            "Greater London, or a postcode no longer live): "
            + "; ".join(
                f"{n} ({p}, {w})"
                for n, p, w in zip(near["name"], near["postcode"], where, strict=True)
            )
        )
    odd = kept[kept["sic_code"].ne(CREDIT_UNION_SIC)]
    if len(odd):
        notes.append(
            f"Credit unions kept although their SIC code is not {CREDIT_UNION_SIC} (credit "
            "unions): "
            + "; ".join(f"{n} (SIC {s})" for n, s in zip(odd["name"], odd["sic_code"], strict=True))
        )
    kept["easting"], kept["northing"] = kept.pop("pc_easting"), kept.pop("pc_northing")
    kept["location_basis"] = BY_OFFICE
    return kept.sort_values("service_id").reset_index(drop=True), notes
