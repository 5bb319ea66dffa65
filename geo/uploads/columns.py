"""Recognising which uploaded column holds which role (postcode, latitude, name...)."""

from __future__ import annotations

import re
from collections.abc import Hashable
from typing import Literal

import pandas as pd

# --------------------------------------------------------------------------------------------
# Column roles: role -> (exact names, substrings). Names are compared after lower-casing and
# removing everything but letters and digits ("Post Code" -> "postcode").
# --------------------------------------------------------------------------------------------
_LOCATION_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "postcode": (
        (
            "postcode",
            "postcodes",
            "postalcode",
            "pcd",
            "pcds",
            "pcd7",
            "pcd8",
            "pc",
            "zip",
            "zipcode",
            "postcodeofproperty",
            "propertypostcode",
            "schemepostcode",
        ),
        ("postcode", "postalcode"),
    ),
    "latitude": (
        (
            "latitude",
            "lat",
            "lattitude",
            "latwgs84",
            "latitudewgs84",
            "wgs84latitude",
            "ylat",
            "latdd",
            "decimallatitude",
            "gpslatitude",
        ),
        ("latitude", "lattitude"),
    ),
    "longitude": (
        (
            "longitude",
            "lon",
            "lng",
            "long",
            "longditude",
            "longwgs84",
            "longitudewgs84",
            "wgs84longitude",
            "xlong",
            "xlon",
            "londd",
            "decimallongitude",
            "gpslongitude",
        ),
        ("longitude", "longditude"),
    ),
    "easting": (
        (
            "easting",
            "eastings",
            "east",
            "x",
            "xcoordinate",
            "xcoord",
            "oseast1m",
            "east1m",
            "osgridx",
            "bngx",
            "gridx",
            "eastingbng",
            "bngeasting",
            "osgbeasting",
        ),
        ("easting",),
    ),
    "northing": (
        (
            "northing",
            "northings",
            "north",
            "y",
            "ycoordinate",
            "ycoord",
            "osnrth1m",
            "north1m",
            "osgridy",
            "bngy",
            "gridy",
            "northingbng",
            "bngnorthing",
            "osgbnorthing",
        ),
        ("northing",),
    ),
}

_STOCK_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    **_LOCATION_ROLES,
    "uprn": (("uprn", "uniquepropertyreferencenumber", "propertyuprn"), ("uprn",)),
    "id": (
        (
            "id",
            "propertyid",
            "propertyref",
            "propertyreference",
            "ref",
            "reference",
            "unitid",
            "unitref",
            "schemeid",
            "schemeref",
            "schemecode",
            "assetid",
            "assetref",
            "assetreference",
            "code",
            "placeref",
            "blockid",
            "blockref",
        ),
        ("propertyid", "propertyref", "assetref", "assetid"),
    ),
    "provider": (
        (
            "provider",
            "providername",
            "landlord",
            "landlordname",
            "housingassociation",
            "housingassociationname",
            "registeredprovider",
            "registeredprovidername",
            "rp",
            "rpname",
            "ha",
            "haname",
            "organisation",
            "organisationname",
            "organization",
            "organizationname",
            "owner",
            "ownername",
            "housingprovider",
        ),
        ("landlord", "housingassociation", "registeredprovider", "provider"),
    ),
    "scheme": (
        (
            "scheme",
            "schemename",
            "propertyname",
            "property",
            "address",
            "addressline1",
            "address1",
            "fulladdress",
            "propertyaddress",
            "schemeaddress",
            "buildingname",
            "building",
            "blockname",
            "block",
            "estate",
            "estatename",
            "site",
            "sitename",
            "street",
            "streetname",
            "location",
            "locationname",
        ),
        ("schemename", "scheme", "propertyname", "address", "building", "estate"),
    ),
    "units": (
        (
            "units",
            "unit",
            "numberofunits",
            "noofunits",
            "nounits",
            "unitcount",
            "totalunits",
            "homes",
            "numberofhomes",
            "noofhomes",
            "homecount",
            "totalhomes",
            "bedspaces",
            "numberofbedspaces",
            "noofbedspaces",
            "dwellings",
            "numberofdwellings",
            "noofdwellings",
            "properties",
            "numberofproperties",
            "noofproperties",
            "propertycount",
            "count",
            "stock",
            "stockcount",
            "households",
        ),
        ("units", "homes", "bedspaces", "dwellings"),
    ),
    "tenure": (
        (
            "tenure",
            "tenuretype",
            "type",
            "propertytype",
            "housingtype",
            "hometype",
            "generalneeds",
            "supportedhousing",
            "needstype",
            "needs",
            "schemetype",
            "category",
            "producttype",
            "renttype",
            "tenurecategory",
        ),
        ("tenure", "needs"),
    ),
}

_SERVICE_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "name": (
        (
            "name",
            "servicename",
            "service",
            "title",
            "servicetitle",
            "activity",
            "activityname",
            "project",
            "projectname",
            "groupname",
            "group",
            "organisation",
            "organisationname",
            "organization",
            "organizationname",
            "provider",
            "providername",
        ),
        ("servicename", "activityname", "projectname", "name"),
    ),
    "theme": (
        (
            "theme",
            "themes",
            "category",
            "categories",
            "type",
            "servicetype",
            "taxonomy",
            "taxonomies",
            "taxonomyterm",
            "taxonomyterms",
            "subject",
            "topic",
            "topics",
            "sector",
            "servicecategory",
            "activitytype",
            "tags",
            "keywords",
        ),
        ("theme", "category", "categories", "taxonom", "servicetype"),
    ),
    "description": (
        (
            "description",
            "servicedescription",
            "details",
            "summary",
            "about",
            "notes",
            "shortdescription",
            "longdescription",
            "information",
            "info",
            "overview",
        ),
        ("description", "summary"),
    ),
    **_LOCATION_ROLES,
    "capacity": (
        (
            "capacity",
            "places",
            "spaces",
            "maxcapacity",
            "maximumcapacity",
            "numberofplaces",
            "noofplaces",
            "placesavailable",
            "size",
            "maxparticipants",
            "caseload",
        ),
        ("capacity", "places"),
    ),
    "opening_hours": (
        (
            "openinghours",
            "opening",
            "hours",
            "openingtimes",
            "times",
            "schedule",
            "availability",
            "when",
            "daysandtimes",
            "sessiontimes",
            "regularschedule",
        ),
        ("opening", "hours", "times", "schedule"),
    ),
    "contact": (
        (
            "contact",
            "contactdetails",
            "phone",
            "telephone",
            "tel",
            "phonenumber",
            "telephonenumber",
            "contactnumber",
            "mobile",
            "email",
            "emailaddress",
            "contactemail",
            "contactphone",
        ),
        ("phone", "email", "telephone", "contact"),
    ),
    "website": (
        (
            "website",
            "url",
            "web",
            "webaddress",
            "link",
            "homepage",
            "websiteurl",
            "weblink",
            "serviceurl",
            "webpage",
        ),
        ("website", "url", "webaddress"),
    ),
}

#: Roles per upload kind, in matching priority order.
ROLES: dict[str, tuple[str, ...]] = {
    "stock": tuple(_STOCK_ROLES),
    "services": tuple(_SERVICE_ROLES),
}

#: Substrings that stop a column from matching a role by substring (e.g. "Email address" is
#: not a scheme address).
_EXCLUDE: dict[str, tuple[str, ...]] = {
    "scheme": ("email", "web", "url", "postcode"),
    "name": ("contact", "file"),
    "provider": ("providerid", "providercode", "providerref"),
}

LOCATION_ROLE_NAMES = ("postcode", "latitude", "longitude", "easting", "northing")


# --------------------------------------------------------------------------------------------
# detect_columns
# --------------------------------------------------------------------------------------------
def _norm_name(name: Hashable) -> str:
    """Lower-case letters and digits only ("Post_Code " -> "postcode")."""
    return re.sub(r"[^0-9a-z]", "", str(name).lower())


def detect_columns(
    df: pd.DataFrame, kind: Literal["stock", "services"] = "stock"
) -> dict[str, str | None]:
    """Guess which column plays which role.

    Parameters
    ----------
    df : pandas.DataFrame
        Uploaded table (e.g. from :func:`read_table`).
    kind : {"stock", "services"}
        ``"stock"`` roles: postcode, latitude, longitude, easting, northing, uprn, id,
        provider, scheme, units, tenure. ``"services"`` roles: name, theme, description,
        postcode, latitude, longitude, easting, northing, capacity, opening_hours, contact,
        website.

    Returns
    -------
    dict
        Every role of ``kind`` -> a column name, or None if no column matched. Each column is
        used for at most one role.

    Notes
    -----
    Names are compared case-insensitively ignoring spaces, underscores and punctuation. First
    every role looks for an exact synonym (``lat``, ``lng``, ``long``, ``lon``, ``x``, ``y``,
    ``east``, ``north``, ``post code``, ``pcd``...), roles in the order listed above and
    synonyms in priority order; then roles still unmatched look for a column *containing* a
    longer keyword (e.g. "Scheme postcode" -> postcode, "Number of units (total)" -> units).
    ``x``/``y`` are taken as easting/northing; :func:`locate` recognises degrees in them anyway.
    """
    if kind not in ROLES:
        raise ValueError(f"kind must be 'stock' or 'services', not {kind!r}")
    roles = _STOCK_ROLES if kind == "stock" else _SERVICE_ROLES
    columns = list(df.columns)
    normed = [_norm_name(c) for c in columns]
    used: set[int] = set()
    out: dict[str, str | None] = dict.fromkeys(roles)
    for role, (exact, _) in roles.items():
        for syn in exact:
            hit = next((i for i, n in enumerate(normed) if n == syn and i not in used), None)
            if hit is not None:
                out[role] = columns[hit]
                used.add(hit)
                break
    for role, (_, contains) in roles.items():
        if out[role] is not None:
            continue
        exclude = _EXCLUDE.get(role, ())
        for syn in contains:
            hit = next(
                (
                    i
                    for i, n in enumerate(normed)
                    if syn in n and i not in used and not any(x in n for x in exclude)
                ),
                None,
            )
            if hit is not None:
                out[role] = columns[hit]
                used.add(hit)
                break
    return out
