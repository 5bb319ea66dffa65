"""Build step for the bundled layers: the London postcode lookup, the service directory, parks
and park edges, link workers, the ICBs and where each practice's patients live, written under
``data/`` with their manifest entries.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.data.boundaries import SNAP_M, assign_areas
from geo.data.directory import CATEGORIES, LINK_WORKERS, NO_OPEN_DATA, OGL, REGISTRATIONS
from geo.data.financial import read_credit_unions, read_food_banks
from geo.data.icb import icb_names, london_icbs, pcn_icb, read_practice_icb
from geo.data.places import (
    EDGE_SPACING_M,
    finish_places,
    park_edges,
    postcode_lookup,
    read_codepoint_london,
    read_community_centres,
    read_jobcentres,
    read_libraries,
    read_parks,
    read_pharmacies,
    read_places_of_worship,
    services_frame,
)
from geo.data.postcodes import LOOKUP_LABEL
from geo.data.practices import cross_region_pcns, link_workers, read_gp_practices
from geo.data.registrations import (
    NO_LSOA,
    london_registrations,
    not_found_notes,
    read_registrations_lsoa,
)
from geo.data.sources import (
    BNG,
    CODEPOINT,
    COMMUNITY,
    COOPSUK,
    EDISPENSARY,
    GIVEFOOD,
    GREENSPACE,
    JOBCENTRES,
    LIB_ACE,
    LIB_HACKED,
    LSOA11,
    LSOA21,
    PCN_WF,
    POFW_AREAS,
    POFW_POINTS,
    PRAC_MAP,
    PRAC_REG,
    REG_LSOA,
    BuildError,
    shapefile_parts,
)
from geo.data.writing import ZSTD_LEVEL, manifest_entry, write_parquet, write_table


def build_bundled(
    raw: Path,
    out: Path,
    shas: dict[str, str],
    lsoa21: gpd.GeoDataFrame,
    lsoa11: gpd.GeoDataFrame,
    bor21: gpd.GeoDataFrame,
    log,
) -> list[dict]:
    """Postcode lookup, service directory, parks and link workers; their manifest entries."""
    entries: list[dict] = []
    names = bor21["borough_name"]
    l21 = lsoa21[["borough_code", "geometry"]]
    l11 = lsoa11[["geometry"]]

    def _add(rel, frame, inputs, desc, attribution, *, meta, notes=(), spatial=True, enc=None):
        path = out / rel
        if spatial:
            write_parquet(frame, path, compression_level=ZSTD_LEVEL)
        else:
            write_table(frame, path, encodings=enc)
        entry = manifest_entry(path, out, inputs, shas, desc, attribution, len(frame))
        entry.update(meta)
        if notes:
            entry["notes"] = list(notes)
        entries.append(entry)
        log(f"wrote {rel}: {len(frame)} rows, {path.stat().st_size / 1024:.0f} KB")

    # --- Postcodes ------------------------------------------------------------------------------
    cp = read_codepoint_london(raw)
    pcs = postcode_lookup(cp, l21, l11)
    outside = pcs["lsoa21_code"].isna()
    pc_notes = [
        f"{len(cp)} postcodes with an E09 Admin_district_code in Code-Point Open; "
        f"{int(outside.sum())} lie more than {SNAP_M:g} m outside every LSOA 2021 "
        "polygon and have no LSOA or borough code.",
        f"{int((pcs['borough_code'] != pcs['admin_district_code']).sum())} postcodes lie in "
        "another borough's polygon than their Code-Point Admin_district_code (borough_code is "
        "the point-in-polygon borough).",
    ]
    table = pd.DataFrame(
        {
            "postcode": pcs["postcode"].astype("str"),
            "easting": pcs["easting"].astype("int32"),
            "northing": pcs["northing"].astype("int32"),
            "borough_code": pcs["borough_code"].astype("category"),
            "lsoa21_code": pcs["lsoa21_code"].astype("category"),
            "lsoa11_code": pcs["lsoa11_code"].astype("category"),
            "positional_quality": pcs["positional_quality"].astype("int8"),
            "admin_district_code": pcs["admin_district_code"].astype("category"),
        }
    )
    _add(
        "postcodes/london_postcodes.parquet",
        table.reset_index(drop=True),
        [CODEPOINT] + shapefile_parts(LSOA21) + shapefile_parts(LSOA11),
        "Every live London postcode (Code-Point Open Admin_district_code E09...) with British "
        "National Grid coordinates, positional quality, and borough, LSOA 2021 and LSOA 2011 "
        f"codes by point in polygon (nearest LSOA within {SNAP_M:g} m for points on "
        "the Thames or just outside the generalised boundaries).",
        [CATEGORIES["gp_practice"]["attribution"].split("Locations: ")[1]],
        meta={"source": LOOKUP_LABEL, "vintage": "April 2025", "licence": "OS OpenData (OGL)"},
        notes=pc_notes,
        spatial=False,
        enc={
            "postcode": "DELTA_BYTE_ARRAY",
            "easting": "DELTA_BINARY_PACKED",
            "northing": "DELTA_BINARY_PACKED",
        },
    )

    # --- Services ------------------------------------------------------------------------------
    lookup = pcs[pcs["lsoa21_code"].notna()][["postcode", "easting", "northing"]]
    notes: list[str] = []
    gp, gp_all, n = read_gp_practices(raw, lookup)
    notes += n
    gp = finish_places(gp, "gp_practice", l21, l11, names)
    lw = link_workers(raw, gp_all, gp)
    # A PCN's ICB is its commissioner's (sub-ICB location of most of its patients); its
    # practices may sit in two ICBs (icb_codes).
    practice_icb = read_practice_icb(raw)
    commissioners = pcn_icb(gp_all.assign(pcn_code=gp_all["pcn_code"].fillna("U")), practice_icb)
    lw["icb_code"] = commissioners["icb_code"].reindex(lw.index).fillna(lw["icb_code"])
    lw["icb_codes"] = commissioners["icb_codes"].reindex(lw.index)
    lw["spans_icbs"] = commissioners["spans_icbs"].reindex(lw.index).fillna(False).astype(bool)
    for frame in (gp, gp_all):
        pcn = lw.reindex(frame["pcn_code"])
        frame["pcn_lw_fte"] = pcn["lw_fte"].to_numpy()
        frame["pcn_lw_per_10k"] = pcn["lw_per_10k"].to_numpy()
        frame["lw_fte_allocated"] = (
            frame["pcn_lw_fte"]
            * frame["registered_patients"]
            / pcn["registered_patients"].to_numpy()
        ).round(4)
    parts = [gp]
    ph, n = read_pharmacies(raw, lookup)
    notes += n
    parts.append(finish_places(ph, "pharmacy", l21, l11, names))
    lib, n = read_libraries(raw, lookup, set(names))
    notes += n
    parts.append(finish_places(lib, "library", l21, l11, names))
    cc = read_community_centres(raw)
    parts.append(finish_places(cc, "community_centre", l21, l11, names))
    pw, n = read_places_of_worship(raw)
    notes += n
    parts.append(finish_places(pw, "place_of_worship", l21, l11, names))
    jc, n = read_jobcentres(raw, lookup)
    notes += n
    parts.append(finish_places(jc, "jobcentre", l21, l11, names))
    fb, n = read_food_banks(raw, lookup)
    notes += n
    parts.append(finish_places(fb, "food_bank", l21, l11, names))
    cu, n = read_credit_unions(raw, lookup)
    notes += n
    parts.append(finish_places(cu, "credit_union", l21, l11, names))
    services, n = services_frame(parts)
    notes += n
    if not services["service_id"].is_unique:
        dup = services.loc[services["service_id"].duplicated(), "service_id"].head(3).tolist()
        raise BuildError(f"service directory: duplicate service_id, e.g. {dup}")
    services = gpd.GeoDataFrame(services.set_index("service_id"), geometry="geometry", crs=BNG)
    counts = services["category"].value_counts().sort_index()
    notes.append("Places per category: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    notes.append(
        "Themes with no bundled layer: " + "; ".join(f"{k}: {v}" for k, v in NO_OPEN_DATA.items())
    )
    svc_inputs = [
        PRAC_MAP,
        PRAC_REG,
        PCN_WF,
        EDISPENSARY,
        LIB_ACE,
        LIB_HACKED,
        COMMUNITY,
        JOBCENTRES,
        GIVEFOOD,
        COOPSUK,
        CODEPOINT,
        *shapefile_parts(POFW_POINTS),
        *shapefile_parts(POFW_AREAS),
        *shapefile_parts(LSOA21),
        *shapefile_parts(LSOA11),
    ]
    _add(
        "services/services.parquet",
        services,
        svc_inputs,
        "London service directory, one row per place (parks are in parks.parquet): GP "
        "practices, pharmacies, libraries, community centres, places of worship (community "
        "assets), Jobcentre Plus offices, food banks and credit unions (registered offices), "
        "with theme(s), borough and LSOA codes by point in polygon, source, vintage and "
        "licence per row. EPSG:27700 points.",
        sorted({CATEGORIES[c]["attribution"] for c in CATEGORIES if c != "park"}),
        meta={
            "source": "NHS England, NHS England ODS, Arts Council England, Libraries Hacked, "
            "GLA, OpenStreetMap, DWP, Give Food, Co-operatives UK (see categories)",
            "vintage": "2016 to December 2025 (per category)",
            "licence": f"{OGL}; places of worship: Open Database License 1.0 "
            "(© OpenStreetMap contributors); food banks: Give Food data, credited 'Give Food "
            "(givefood.org.uk)'; credit unions: ODC-By 1.0 (Co-operatives UK)",
            "categories": {
                c: {k: CATEGORIES[c][k] for k in ("label", "source", "vintage", "licence")}
                for c in CATEGORIES
            },
            "no_open_data": NO_OPEN_DATA,
        },
        notes=notes,
    )

    # --- Parks ---------------------------------------------------------------------------------
    parks = read_parks(raw)
    rep = shapely.point_on_surface(parks.geometry.values)
    areas = assign_areas(shapely.get_x(rep), shapely.get_y(rep), l21, l11)
    meta = CATEGORIES["park"]
    parks["category"] = "park"
    parks["theme"] = meta["themes"][0]
    parks["themes"] = "; ".join(meta["themes"])
    parks["kind"] = meta["kind"]
    parks["area_m2"] = parks.geometry.area.round(1)
    parks["borough_code"] = areas["borough_code"].to_numpy()
    parks["borough_name"] = names.reindex(parks["borough_code"]).to_numpy()
    parks["lsoa21_code"] = areas["lsoa21_code"].to_numpy()
    for k in ("source", "vintage", "vintage_year", "licence"):
        parks[k] = meta[k]
    parks = parks[parks["borough_code"].notna()]
    parks = parks[[c for c in parks.columns if c != "geometry"] + ["geometry"]]
    park_meta = {"source": meta["source"], "vintage": meta["vintage"], "licence": meta["licence"]}
    _add(
        "services/parks.parquet",
        parks,
        [GREENSPACE] + shapefile_parts(LSOA21) + shapefile_parts(LSOA11),
        "OS Open Greenspace 'Public Park Or Garden' polygons in London (EPSG:27700), with "
        "area and the borough of a point inside each park.",
        [meta["attribution"]],
        meta=park_meta,
    )
    edges = park_edges(parks)
    _add(
        "services/park_edges.parquet",
        edges,
        [GREENSPACE],
        f"Points along every park boundary at most {EDGE_SPACING_M:g} m apart "
        "(shapely.segmentize); access to a park = distance to its nearest edge point.",
        [meta["attribution"]],
        meta=park_meta,
    )

    # --- Link workers --------------------------------------------------------------------------
    lw_notes = [
        f"London: {lw['lw_fte'].sum():.2f} FTE in {int(lw['lw_fte'].gt(0).sum())} PCNs with "
        f"link workers; {int((~lw['has_workforce_record']).sum())} PCNs have no workforce "
        "record (lw_fte NaN = unknown).",
        "icb_code is the PCN's commissioning ICB (the ICB of the sub-ICB location of most of "
        f"its patients); {int(lw['spans_icbs'].sum())} PCNs have practices in two ICBs "
        "(icb_codes).",
    ]
    lw_notes += _cross_region_notes(cross_region_pcns(raw, lw))
    _add(
        "services/link_workers.parquet",
        lw,
        [PCN_WF, PRAC_MAP, PRAC_REG],
        "Social prescribing link worker FTE per London Primary Care Network (November 2025, "
        "the three 'Social Prescribing Link Worker' roles), registered patients of member "
        "practices (December 2025), FTE per 10,000 patients, member practices, boroughs and "
        "commissioning ICB.",
        [str(LINK_WORKERS["attribution"])],
        meta={k: LINK_WORKERS[k] for k in ("source", "vintage", "licence")},
        notes=lw_notes,
        spatial=False,
    )

    # --- ICBs ----------------------------------------------------------------------------------
    icbs = london_icbs(
        gp.assign(pcn_code=gp["pcn_code"].fillna("U")), icb_names(practice_icb), names
    )
    _add(
        "services/icbs.parquet",
        icbs,
        [PRAC_MAP, CODEPOINT, *shapefile_parts(LSOA21)],
        "London's Integrated Care Boards: code, NHS name, short name, ONS code, and the "
        "boroughs each commissions for (every practice of a borough, placed at its postcode, "
        "carries the same ICB code in the December 2025 practice map), practices and PCNs.",
        [CATEGORIES["gp_practice"]["attribution"]],
        meta={k: CATEGORIES["gp_practice"][k] for k in ("source", "vintage", "licence")},
        notes=[
            f"{len(icbs)} ICBs, {int(icbs['n_boroughs'].sum())} boroughs, each in exactly one "
            "ICB (the build stops otherwise)."
        ],
        spatial=False,
    )

    # --- Where each practice's patients live (July 2023) ---------------------------------------
    reg = read_registrations_lsoa(raw)
    table = london_registrations(reg, gp_all["practice_code"], lsoa11.index)
    mine = table[table["practice_code"].notna()]
    reg_notes = not_found_notes(table, gp_all)
    reg_notes += [
        f"{len(reg)} rows and {int(reg['patients'].sum())} patients in England read; kept "
        f"{len(mine)} rows of the {mine['practice_code'].nunique()} London practices found "
        f"({int(mine['patients'].sum())} patients, wherever they live: "
        f"{int(mine.loc[mine['lsoa11_code'].eq(NO_LSOA), 'patients'].sum())} with no known "
        f"LSOA, '{NO_LSOA}') and one row per London LSOA 2011 with its residents registered "
        "at any other practice in England (practice_code missing: practices outside London, "
        f"or closed or merged by December 2025; {int(table['patients'].sum() - mine['patients'].sum())} "
        "patients).",
        "Vintages differ: where patients live is July 2023; the practice -> PCN map and list "
        "sizes December 2025; link-worker FTE November 2025.",
    ]
    _add(
        "services/registrations_lsoa.parquet",
        table,
        [REG_LSOA, PRAC_MAP, *shapefile_parts(LSOA11)],
        "Registered patients of each London practice of the December 2025 practice map per "
        "LSOA 2011 of residence (July 2023; all their patients, in London or not, 'NO2011' = "
        "LSOA not known), and for each London LSOA 2011 its residents registered at any "
        "other practice in England (practice_code missing). With the PCN link-worker FTE it "
        "places each PCN's FTE where its patients live (geo.analysis.registration).",
        [str(REGISTRATIONS["attribution"])],
        meta={k: REGISTRATIONS[k] for k in ("source", "vintage", "licence")},
        notes=reg_notes,
        spatial=False,
    )
    return entries


def _cross_region_notes(pcns: pd.DataFrame) -> list[str]:
    """Manifest notes naming the London PCNs whose workforce record is under another region."""
    if pcns.empty:
        return []
    items = "; ".join(
        f"{r.pcn_name} ({code}): record under region {r.region_codes}, {r.lw_fte:g} link-worker "
        f"FTE, {int(r.n_practices)} London practice(s)"
        for code, r in pcns.iterrows()
    )
    return [
        "Known limitation: FTE is read from London (region Y56) workforce records only, so a "
        "PCN whose record is filed under another NHS England region is 'no workforce record' "
        f"(unknown) here: {items}. Its London practices' FTE is therefore unknown, not placed."
    ]
