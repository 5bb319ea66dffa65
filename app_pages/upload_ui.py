"""The shared upload flow: read, recognise columns (user can change them), locate, report.

Uploaded data lives only in ``st.session_state`` of the browser session: it is never written to
disk, never cached across sessions and is gone when the session ends.
"""

from __future__ import annotations

import hashlib
import re
from typing import Literal

import geopandas as gpd
import pandas as pd
import streamlit as st

from app_pages import common
from geo import uploads
from geo.data.postcodes import LOOKUP_LABEL
from geo.outputs.export import safe_csv

Kind = Literal["stock", "services"]

ROLE_LABELS = {
    "postcode": "Postcode",
    "latitude": "Latitude (WGS84)",
    "longitude": "Longitude (WGS84)",
    "easting": "Easting (British National Grid)",
    "northing": "Northing (British National Grid)",
    "uprn": "UPRN",
    "id": "Property reference",
    "provider": "Housing association / landlord",
    "scheme": "Scheme name or address",
    "units": "Number of homes (units)",
    "tenure": "Tenure / type (general needs, supported…)",
    "name": "Service name",
    "theme": "Theme / category",
    "description": "Description",
    "capacity": "Capacity (places)",
    "opening_hours": "Opening hours",
    "contact": "Contact",
    "website": "Website",
}

TEMPLATES = {
    "stock": pd.DataFrame(
        columns=[
            "property_ref",
            "scheme_name",
            "postcode",
            "latitude",
            "longitude",
            "easting",
            "northing",
            "units",
            "tenure",
            "landlord",
            "uprn",
        ]
    ),
    "services": pd.DataFrame(
        columns=[
            "service_name",
            "theme",
            "description",
            "postcode",
            "latitude",
            "longitude",
            "capacity",
            "opening_hours",
            "contact",
            "website",
        ]
    ),
}

NONE = "(not in my file)"
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^\"'])")


def plain(text: object) -> str:
    """``text`` escaped for Streamlit's Markdown elements (st.error, st.caption...).

    File names, column names and messages quoting them come from the user's file: a name like
    ``[x](javascript:alert(1))`` must show as those characters, not as a link. Every ASCII
    punctuation character Markdown (or Streamlit's ``:color[...]``, ``$math$`` extensions)
    could act on is backslash-escaped, which CommonMark renders as the character itself.
    """
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text)).replace("\n", "  \n")


def _read(data: bytes, name: str, kind: Kind, sheet: str | None = None) -> pd.DataFrame:
    if name.lower().endswith(".json"):
        if kind != "services":
            raise uploads.UploadError(
                "JSON is accepted for service directories (Open Referral UK). "
                "Upload your stock list as CSV or Excel."
            )
        return uploads.read_openreferral(data)
    return uploads.read_table(data, name, sheet=sheet)


def upload_flow(kind: Kind, *, key: str) -> tuple[gpd.GeoDataFrame, pd.DataFrame, str] | None:
    """Show the uploader and the report.

    Returns the standardised accepted rows (see :func:`standardise`), the rejected rows and the
    file's sha256, or None while there is nothing usable.
    """
    types = ["csv", "txt", "tsv", "tab", "xlsx", "xlsm", "xlsb", "xls", "ods"] + (
        ["json"] if kind == "services" else []
    )
    label = "stock list" if kind == "stock" else "service directory"
    c1, c2 = st.columns([3, 1])
    with c2:
        st.download_button(
            "Template (CSV)",
            data=safe_csv(TEMPLATES[kind]),
            file_name=f"{kind}_template.csv",
            mime="text/csv",
            on_click="ignore",  # a download needs no rerun
            help="Column headings the app recognises. Any similar names work too.",
            key=f"{key}_template",
        )
    with c1:
        file = st.file_uploader(
            f"Upload your {label}",
            type=types,
            key=f"{key}_file",
            help=(
                "CSV or text export (any delimiter; decimal commas are fine), Excel or "
                "OpenDocument workbook (the sheet holding the data is found), or an HTML table "
                f"saved as .xls; up to {uploads.MAX_BYTES // 2**20} MB "
                f"and {uploads.MAX_ROWS:,} rows. Locations: postcode, latitude/longitude or "
                "easting/northing. Your file stays in this browser session only."
            ),
        )
    if file is None:
        return None
    data = file.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    name = plain(file.name)  # shown as plain text wherever it appears
    sheet_key = f"{key}_{digest[:8]}_sheet"
    try:
        with st.spinner(f"Reading {name}…"):
            df = _read(data, file.name, kind, sheet=st.session_state.get(sheet_key))
    except uploads.UploadError as exc:
        st.error(f"{name} could not be used. {plain(exc)}")
        return None
    sheets = df.attrs.get("sheets") or []
    if len(sheets) > 1:
        st.selectbox(
            "Sheet",
            options=sheets,
            index=sheets.index(df.attrs["sheet"]),
            key=sheet_key,
            help="The workbook has several sheets; the one holding the data is read. Pick "
            "another if that is wrong.",
        )
    for warning in df.attrs.get("warnings", []):
        st.warning(plain(warning))
    if df.empty:
        st.error(f"{name} has a header but no data rows. Add rows and upload it again.")
        return None

    detected = uploads.detect_columns(df, kind=kind)
    columns = [NONE, *map(str, df.columns)]
    with st.expander("Columns used (change them if they are wrong)", expanded=False):
        st.caption(f"{len(df):,} rows read from {name}. First rows:")
        st.dataframe(df.head(5), width="stretch")
        cols = st.columns(3)
        mapping: dict[str, str | None] = {}
        for i, (role, guess) in enumerate(detected.items()):
            choice = cols[i % 3].selectbox(
                ROLE_LABELS.get(role, role),
                options=columns,
                index=columns.index(str(guess)) if guess is not None else 0,
                key=f"{key}_{digest[:8]}_{role}",
            )
            mapping[role] = None if choice == NONE else choice
    has_location = (
        mapping.get("postcode")
        or (mapping.get("latitude") and mapping.get("longitude"))
        or (mapping.get("easting") and mapping.get("northing"))
    )
    if not has_location:
        st.error(
            "No location column was recognised. Your file needs a postcode column, or latitude "
            "and longitude, or easting and northing. Rename the columns or choose them under "
            "'Columns used'."
            + (" Or choose the sheet that holds the data above." if len(sheets) > 1 else "")
        )
        return None

    try:
        with st.status(f"Placing {len(df):,} rows on the map…", expanded=False) as status:
            accepted, rejected = uploads.locate(
                df,
                mapping,
                london=common.boroughs("iod2025"),
                postcodes=common.postcodes(),
                lsoas=common.lsoas("iod2025")[["geometry"]],
            )
            if kind == "services":
                accepted = uploads.parse_services(accepted, mapping, column="theme_assigned")
            status.update(label=f"Placed {len(accepted):,} of {len(df):,} rows", state="complete")
    except uploads.UploadError as exc:
        st.error(f"{name} could not be placed. {plain(exc)}")
        return None

    for warning in accepted.attrs.get("warnings", []):
        st.info(plain(warning))
    summary = uploads.summarise_upload(accepted, rejected, rows_read=len(df))
    m1, m2, m3 = st.columns(3)
    m1.metric("Rows read", f"{summary['rows_read']:,}")
    m2.metric("Accepted (on the map)", f"{summary['accepted']:,}")
    m3.metric("Rejected", f"{summary['rejected']:,}")
    if len(rejected):
        with st.expander(
            f"Rejected rows ({len(rejected):,}): why, and how to fix them", expanded=True
        ):
            reasons = pd.DataFrame(
                [
                    {"Reason": r, "Rows": n, "What to do": uploads.REJECTION_REASONS.get(r, "")}
                    for r, n in summary["by_reason"].items()
                ]
            )
            st.dataframe(reasons, hide_index=True, width="stretch")
            if mapping.get("postcode"):
                st.caption(f"Postcodes are looked up in {LOOKUP_LABEL}, London postcodes only.")
            st.dataframe(rejected.head(1000), width="stretch")
            st.download_button(
                "Download rejected rows (CSV)",
                data=safe_csv(rejected.reset_index(drop=True)),
                file_name=f"rejected_{file.name.rsplit('.', 1)[0]}.csv",
                mime="text/csv",
                on_click="ignore",  # a download needs no rerun
                key=f"{key}_rejected",
            )
    return standardise(accepted, mapping, kind), rejected, digest


def standardise(
    accepted: gpd.GeoDataFrame, mapping: dict[str, str | None], kind: Kind
) -> gpd.GeoDataFrame:
    """The session's copy of an upload: fixed column names whatever the file called them.

    Stock: ``label``, ``units`` (number, default 1), ``tenure``, ``provider``, ``uprn``.
    Services: ``name``, ``theme`` (one of geo.uploads.themes.THEMES), ``capacity`` (number or NaN),
    ``description``, ``opening_hours``, ``contact``, ``website``.
    Both: ``row``, ``location_source``, ``borough_code``, ``borough_name``, ``lsoa_code``.
    """

    def col(role: str) -> pd.Series:
        name = mapping.get(role)
        if name is None or name not in accepted:
            return pd.Series(pd.NA, index=accepted.index, dtype="string")
        return accepted[name].astype("string")

    out = pd.DataFrame(
        {
            c: accepted[c]
            for c in ("row", "location_source", "borough_code", "borough_name", "lsoa_code")
            if c in accepted
        },
        index=accepted.index,
    )
    if kind == "stock":
        label = col("scheme").fillna(col("id")).fillna(col("uprn"))
        out["label"] = label.fillna("Row " + out["row"].astype(str))
        units = pd.to_numeric(col("units"), errors="coerce")
        out["units"] = units.where(units.gt(0) & units.lt(10_000)).fillna(1).astype("int64")
        for role in ("tenure", "provider", "uprn"):
            out[role] = col(role)
    else:
        out["name"] = col("name").fillna("Row " + out["row"].astype(str))
        out["theme"] = accepted["theme_assigned"].astype("string")
        out["capacity"] = pd.to_numeric(col("capacity"), errors="coerce")
        for role in ("description", "opening_hours", "contact", "website"):
            out[role] = col(role)
    return gpd.GeoDataFrame(out, geometry=accepted.geometry.values, crs=accepted.crs)


def session_upload(kind: Kind, *, key: str, describe) -> gpd.GeoDataFrame | None:
    """The upload flow plus the session copy: a new upload replaces it, a button clears it.

    Returns the session's standardised frame (stops the page when there is none, or when no
    row could be placed). ``describe(frame)`` words what an earlier upload holds.
    """
    result = upload_flow(kind, key=key)
    if result is not None:
        st.session_state[kind] = result[0]
    frame = st.session_state.get(kind)
    if frame is None:
        return None
    if result is None:
        c1, c2 = st.columns([4, 1])
        c1.info(f"Showing your earlier upload: {describe(frame)}.")
        if c2.button("Clear it", key=f"{key}_clear"):
            del st.session_state[kind]
            st.rerun()
    if frame.empty:
        st.warning("None of the rows could be placed in London; see the rejected rows above.")
        st.stop()
    return frame
