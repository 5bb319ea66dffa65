"""The bundled London service directory: what each category is, where it comes from, how old.

Pure constants and helpers (no I/O, no streamlit). The pipeline (:mod:`geo.data.pipeline`) writes these
values into ``data/services/*.parquet`` and ``data/MANIFEST.json``; pages read them from here to
label layers, credit sources and warn about old data.
"""

from __future__ import annotations

__all__ = [
    "GP_COLUMNS",
    "CATEGORIES",
    "FINANCIAL_INCLUSION_CAVEAT",
    "LINK_WORKERS",
    "REGISTRATIONS",
    "MAX_AGE_YEARS",
    "NO_OPEN_DATA",
    "OGL",
    "ODBL",
    "ODC_BY",
    "OS_OPENDATA",
    "THEME_CAVEATS",
    "age_warning",
    "is_old",
]

OGL = "Open Government Licence v3.0"
OS_OPENDATA = "OS OpenData licence (Open Government Licence v3.0)"
ODBL = "Open Database License 1.0 (ODbL)"
ODC_BY = "Open Data Commons Attribution License (ODC-By 1.0)"

#: What the Financial inclusion theme's bundled layers leave out (shown with the theme).
FINANCIAL_INCLUSION_CAVEAT = (
    "Food banks (Give Food) and credit unions (Co-operatives UK, registered offices) only: "
    "money advice, debt advice and Citizens Advice offices are not in open data. Upload your "
    "own directory to cover them."
)

_NHS_ATTRIBUTION = "Contains NHS England and NHS Digital data, © Crown copyright, OGL."
_OS_ATTRIBUTION = (
    "Contains OS data © Crown copyright and database right 2025. Contains Royal Mail data "
    "© Royal Mail copyright and database right 2025. Contains National Statistics data "
    "© Crown copyright and database right 2025."
)

#: Layers older than this many years get an "old data" warning.
MAX_AGE_YEARS = 5

#: Category key -> metadata. ``themes`` are :data:`geo.uploads.themes.THEMES` entries; the first is the
#: category's primary theme. ``kind`` is "service" or "community asset".
CATEGORIES: dict[str, dict] = {
    "gp_practice": {
        "label": "GP practices",
        "themes": ("Health and wellbeing",),
        "kind": "service",
        "source": "NHS England, Patients Registered at a GP Practice (practice -> PCN map and "
        "registered patients)",
        "vintage": "December 2025",
        "vintage_year": 2025,
        "licence": OGL,
        "attribution": _NHS_ATTRIBUTION + " Locations: " + _OS_ATTRIBUTION,
        "notes": "Placed at the practice postcode (OS Code-Point Open, April 2025). Branch "
        "surgeries are not listed separately. Capacity = registered patients.",
    },
    "pharmacy": {
        "label": "Pharmacies",
        "themes": ("Health and wellbeing",),
        "kind": "service",
        "source": "NHS England Organisation Data Service (ODS), dispensing contractors "
        "(edispensary): active community pharmacies",
        "vintage": "March 2025",
        "vintage_year": 2025,
        "licence": OGL,
        "attribution": _NHS_ATTRIBUTION + " Locations: " + _OS_ATTRIBUTION,
        "notes": "Community pharmacies active in the NHS ODS list of about March 2025 (status "
        "A, type 1, NHS England London region Y56), placed at their postcode; the 7 whose "
        "postcode is not in Code-Point Open April 2025 are left out (named in the manifest).",
    },
    "library": {
        "label": "Libraries",
        "themes": ("Digital inclusion", "Health and wellbeing", "Employment support"),
        "kind": "service",
        "source": "Arts Council England, basic dataset for public libraries in England "
        "(opening hours from the Libraries Hacked UK library list where the two agree)",
        "vintage": "December 2023",
        "vintage_year": 2023,
        "licence": OGL,
        "attribution": "Arts Council England public libraries dataset, OGL. Opening hours: "
        "Libraries Hacked (April 2025), OGL.",
        "notes": "Open static public libraries only (closed, mobile, prison and archive rows "
        "left out). Opening hours only where the official and community lists agree on "
        "postcode and name.",
    },
    "community_centre": {
        "label": "Community centres",
        "themes": ("Safer, stronger communities", "Health and wellbeing"),
        "kind": "service",
        "source": "Greater London Authority, Cultural Infrastructure Map: community centres",
        "vintage": "November 2022",
        "vintage_year": 2022,
        "licence": OGL,
        "attribution": "Greater London Authority Cultural Infrastructure Map, OGL.",
        "notes": "Community centres known to the GLA in November 2022; opening hours and "
        "activities are not recorded.",
    },
    "park": {
        "label": "Parks",
        "themes": ("Physical environment", "Health and wellbeing"),
        "kind": "service",
        "source": "Ordnance Survey, OS Open Greenspace ('Public Park Or Garden')",
        "vintage": "2019",
        "vintage_year": 2019,
        "licence": OS_OPENDATA,
        "attribution": "Contains OS data © Crown copyright and database right 2019.",
        "notes": "Park polygons; access is measured to the nearest point of the park's edge "
        "(points every 50 m or less), not its centre. Playing fields, allotments and other "
        "green space types are not included.",
    },
    "place_of_worship": {
        "label": "Places of worship",
        "themes": ("Safer, stronger communities",),
        "kind": "community asset",
        "source": "OpenStreetMap places of worship (Geofabrik extract, Greater London)",
        "vintage": "July 2019",
        "vintage_year": 2019,
        "licence": ODBL,
        "attribution": "© OpenStreetMap contributors",
        "notes": "A community asset, not a service: many host community activity, food banks "
        "or advice, but OpenStreetMap does not say which. Mapping is volunteer-made and "
        "incomplete; a building and a point for the same place are counted once.",
    },
    "jobcentre": {
        "label": "Jobcentre Plus",
        "themes": ("Employment support",),
        "kind": "service",
        "source": "Department for Work and Pensions, Jobcentre Plus office list",
        "vintage": "2016",
        "vintage_year": 2016,
        "licence": OGL,
        "attribution": "Department for Work and Pensions, OGL. Locations: " + _OS_ATTRIBUTION,
        "notes": "Offices listed in 2016 and placed by postcode; offices have moved or closed "
        "since, and offices whose postcode no longer exists are left out. No newer list with "
        "postcodes is in open data.",
    },
    "food_bank": {
        "label": "Food banks",
        "themes": ("Financial inclusion",),
        "kind": "service",
        "source": "Give Food, UK food bank list (givefood/data, foodbanks.csv)",
        "vintage": "mid-2024",
        "vintage_year": 2024,
        "licence": "Give Food data (Unlicense / CC BY 4.0), credited 'Give Food (givefood.org.uk)'",
        "attribution": "Give Food (givefood.org.uk). Locations: " + _OS_ATTRIBUTION,
        "notes": "Open food banks only (the 7 Give Food marks closed are left out and named "
        "in the manifest), placed at their postcode. One row per organisation: Trussell Trust "
        "food banks run several distribution centres that are not listed. The Salvation "
        "Army row is its national headquarters. No row is in Bexley (the food bank named "
        "Bexley is listed in Greenwich).",
        "caveat": FINANCIAL_INCLUSION_CAVEAT,
    },
    "credit_union": {
        "label": "Credit unions (registered offices)",
        "themes": ("Financial inclusion",),
        "kind": "service",
        "source": "Co-operatives UK open data (co-operatives whose name contains 'credit union')",
        "vintage": "Q2 2023",
        "vintage_year": 2023,
        "licence": ODC_BY,
        "attribution": "Contains Co-operatives UK open data, ODC-By 1.0. Locations: "
        + _OS_ATTRIBUTION,
        "notes": "Registered offices in Greater London (postcode in Code-Point Open's London "
        "postcodes), not every place members are served: a credit union may have no counter "
        "there, serve a wider area, or (common bond) serve only members of one employer, "
        "trade or faith. Credit unions registered outside London are left out (counted in "
        "the manifest).",
        "caveat": FINANCIAL_INCLUSION_CAVEAT,
    },
}

#: Columns only GP practices carry in the service directory (practice, PCN, link workers).
GP_COLUMNS: tuple[str, ...] = (
    "practice_code",
    "pcn_code",
    "pcn_name",
    "registered_patients",
    "pcn_lw_fte",
    "pcn_lw_per_10k",
    "lw_fte_allocated",
)

#: Themes with no bundled layer, and why (never filled with invented data).
NO_OPEN_DATA: dict[str, str] = {
    "Specialist and supported housing": "No open dataset of specialist or supported housing "
    "schemes by location was found (the Regulator of Social Housing's stock returns are not "
    "published at address level); upload your own stock list.",
}

#: Themes whose bundled layers cover only part of the theme, and what is missing.
THEME_CAVEATS: dict[str, str] = {"Financial inclusion": FINANCIAL_INCLUSION_CAVEAT}

#: The link-worker layer (per Primary Care Network).
LINK_WORKERS: dict[str, object] = {
    "label": "Social prescribing link workers per Primary Care Network",
    "source": "NHS England, Primary Care Network Workforce (individual level); registered "
    "patients from Patients Registered at a GP Practice",
    "vintage": "November 2025 (workforce); December 2025 (patients)",
    "vintage_year": 2025,
    "licence": OGL,
    "attribution": _NHS_ATTRIBUTION,
    "notes": "FTE of the three 'Social Prescribing Link Worker' roles employed through PCNs. A "
    "PCN with no workforce record is unknown, not zero; link workers employed by practices, "
    "councils or charities are not counted.",
}


#: Where each practice's patients live (link workers by registration).
REGISTRATIONS: dict[str, object] = {
    "label": "Registered patients by practice and neighbourhood",
    "source": "NHS England, Patients Registered at a GP Practice, LSOA file "
    "(gp-reg-pat-prac-lsoa-all)",
    "vintage": "July 2023",
    "vintage_year": 2023,
    "licence": OGL,
    "attribution": _NHS_ATTRIBUTION,
    "notes": "Registered patients of each London practice per LSOA 2011 of residence (July "
    "2023); with the practice -> PCN map (December 2025) and PCN link-worker FTE (November "
    "2025) it places each PCN's FTE where its patients live. The vintages differ.",
}


def is_old(vintage_year: int, today_year: int, max_age: int = MAX_AGE_YEARS) -> bool:
    """True when data from ``vintage_year`` is more than ``max_age`` years old in ``today_year``.

    >>> is_old(2019, 2026), is_old(2022, 2026)
    (True, False)
    """
    return int(today_year) - int(vintage_year) > int(max_age)


def age_warning(category: str, today_year: int | None = None) -> str | None:
    """A warning for an old category layer, or ``None`` when it is recent enough.

    Parameters
    ----------
    category
        A :data:`CATEGORIES` key.
    today_year
        The current year (default: the system clock's year).

    Raises
    ------
    KeyError
        For an unknown category.
    """
    import datetime as _dt

    meta = CATEGORIES[category]
    year = _dt.date.today().year if today_year is None else today_year
    if not is_old(meta["vintage_year"], year):
        return None
    return (
        f"Old data: {meta['vintage_year']} release, places may have opened, moved or closed since."
    )
