"""Open Referral UK / HSDS service JSON flattened into a table.

Shapes read (field names from the published Open Referral UK profile of HSDS 3.0,
github.com/OpenReferralUK/uk-profile, and the earlier ORUK v1 API):

* **ORUK v3 / HSDS 3 API pages**: ``{"total_items", "total_pages", "page_number", "size",
  "first_page", "last_page", "empty", "contents": [...]}``;
* **v3 ``/service_at_locations`` items** ``{"id", "location": {...}, "service": {...}}``;
* **v3 full services**: ``service_at_locations[].location`` (``latitude``, ``longitude``,
  ``addresses[]`` with ``postal_code`` and ``address_type``), ``taxonomy_terms[]`` and
  ``attributes[].taxonomy_term`` for the theme, ``schedules[]``, ``organization``;
* **ORUK v1**: pages ``{"totalElements", "number", "content": [...]}``, services with
  ``service_at_locations[].location.physical_addresses[]`` and
  ``service_taxonomys[].taxonomy``, ``regular_schedules``;
* a bare list of services, or one service object.

A service (or service-at-location) without a location gives one row with empty location
fields, which :func:`geo.uploads.locate.locate` counts and rejects as ``"no location"``.

Cost bound: the JSON text is at most :data:`MAX_JSON_BYTES`; parsing takes roughly ten times
its size in memory (Python objects), so larger files are refused before parsing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from geo.uploads.limits import MAX_BYTES, MAX_ROWS, UploadError, check_size, format_size

__all__ = ["MAX_JSON_BYTES", "read_openreferral"]

#: Largest JSON file read (parsing JSON needs about ten times its size in memory).
MAX_JSON_BYTES = 25 * 1024 * 1024
_PAGE_KEYS = ("contents", "content", "items", "services", "data", "results")

_ORUK_COLUMNS = (
    "id",
    "name",
    "organisation",
    "description",
    "theme",
    "location_name",
    "address",
    "postcode",
    "latitude",
    "longitude",
    "website",
    "email",
    "phone",
    "opening_hours",
    "status",
)


def read_openreferral(
    data: bytes, *, max_bytes: int = MAX_BYTES, max_rows: int = MAX_ROWS
) -> pd.DataFrame:
    """Flatten Open Referral UK / HSDS service JSON into a table.

    Parameters
    ----------
    data : bytes
        JSON (UTF-8, optional BOM) in one of the shapes listed in the module docstring.
    max_bytes, max_rows : int
        Limits as for :func:`read_table` (rows counted after flattening).

    Returns
    -------
    pandas.DataFrame
        One row per service *location* (a service with no location gives one row with empty
        location fields, which :func:`locate` will reject as ``"no location"``). Columns:
        ``id``, ``name``, ``organisation``, ``description``, ``theme`` (taxonomy term names
        from ``taxonomy_terms``, ``taxonomies``, ``service_taxonomys[].taxonomy``,
        ``attributes[].taxonomy_term`` or ``categories``, joined with ``"; "``), ``location_name``, ``address``, ``postcode``
        (``physical_addresses[].postal_code`` or HSDS 3 ``addresses``), ``latitude``,
        ``longitude`` (``service_at_locations[].location`` or ``locations[]``), ``website``
        (``url``), ``email``, ``phone``, ``opening_hours`` (from ``regular_schedules`` /
        ``schedules``), ``status``. All values are text (``str`` dtype). Index: 1-based record
        number named ``"row"``. ``attrs["warnings"]`` says when the file is one page of a
        longer list (``total_items`` larger than the items on the page).

    Raises
    ------
    UploadError
        Empty, too large, not JSON, or not a recognisable service list.
    """
    data = bytes(data)
    check_size(data, max_bytes)
    if len(data) > MAX_JSON_BYTES:
        raise UploadError(
            f"The JSON file is {format_size(len(data))}; JSON is read up to {format_size(MAX_JSON_BYTES)}. "
            "Download the directory in pages, or as CSV."
        )
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UploadError(f"The file is not valid JSON ({str(exc)[:120]}).") from exc
    items, warnings = _service_list(doc)
    rows: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if _is_service_at_location(item):
            service = item["service"] if isinstance(item.get("service"), dict) else {}
            base = _service_fields(service)
            base["id"] = base["id"] or _text(item.get("id"))
            loc = item.get("location")
            locations = _service_locations({"locations": [loc]}) if isinstance(loc, dict) else []
        else:
            base = _service_fields(item)
            locations = _service_locations(item)
        for loc_fields in locations or [{}]:
            rows.append({**base, **loc_fields})
        if len(rows) > max_rows:
            raise UploadError(
                f"The file has more than {max_rows:,} service locations; the limit is {max_rows:,}."
            )
    if not rows:
        raise UploadError("The JSON holds no services.")
    out = pd.DataFrame(rows, columns=list(_ORUK_COLUMNS)).astype("str")
    out.index = pd.RangeIndex(1, len(out) + 1, name="row")
    out.attrs = {"file_type": "openreferral", "warnings": warnings}
    return out


def _is_service_at_location(item: dict[str, Any]) -> bool:
    """True for an ORUK v3 ``/service_at_locations`` item ``{id, location, service}``."""
    return isinstance(item.get("service"), dict) or (
        isinstance(item.get("location"), dict) and "name" not in item
    )


def _service_list(doc: Any) -> tuple[list[Any], list[str]]:
    """The items of an ORUK/HSDS document and warnings about paging."""
    if isinstance(doc, list):
        return doc, []
    if isinstance(doc, dict):
        for key in _PAGE_KEYS:
            if isinstance(doc.get(key), list):
                return doc[key], _page_warnings(doc, len(doc[key]))
        if _is_service_at_location(doc) or (
            "name" in doc and ("id" in doc or "description" in doc)
        ):
            return [doc], []
    raise UploadError(
        "The JSON is not an Open Referral / HSDS service list: expected a list of services, "
        'an API page like {"contents": [...]} (ORUK v3) or {"content": [...]} (v1), or '
        "service-at-location items."
    )


def _page_warnings(page: dict[str, Any], n_items: int) -> list[str]:
    """A warning when the page is one of several (v3 ``total_items``, v1 ``totalElements``)."""
    total = page.get("total_items", page.get("totalElements"))
    number = page.get("page_number", page.get("number"))
    if not isinstance(total, int) or isinstance(total, bool) or total <= n_items:
        return []
    where = f"page {number} of a list" if isinstance(number, int) else "one page of a list"
    return [
        f"This file is {where} of {total:,} items and holds {n_items:,} of them. Upload "
        "the full list (all pages) to see every service."
    ]


def _text(value: Any) -> str | None:
    """Scalar JSON value as text (None for missing / empty / nested values)."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return text if text.strip() else None


def _dicts(value: Any) -> list[dict[str, Any]]:
    """A list of dicts from a value that may be a dict, a list or missing."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    return []


def _join(values: Iterable[str | None]) -> str | None:
    """Distinct non-empty values joined with '; ' (order kept)."""
    seen: dict[str, None] = {}
    for v in values:
        if v:
            seen.setdefault(v.strip(), None)
    return "; ".join(seen) if seen else None


def _term_name(term: Any) -> str | None:
    """Name of a taxonomy term given as a string or an object."""
    if isinstance(term, str):
        return term
    if isinstance(term, dict):
        return _text(term.get("name")) or _text(term.get("term")) or _text(term.get("label"))
    return None


def _service_themes(service: dict[str, Any]) -> str | None:
    """Taxonomy terms of a service from the ORUK / HSDS 3 shapes."""
    names: list[str | None] = []
    for item in _dicts(service.get("taxonomy_terms")):
        names.append(_term_name(item))
    taxonomies = service.get("taxonomies")
    for item in taxonomies if isinstance(taxonomies, list) else [taxonomies]:
        names.append(_term_name(item))
    for key in ("service_taxonomys", "service_taxonomies"):
        for item in _dicts(service.get(key)):
            names.append(_term_name(item.get("taxonomy")) or _term_name(item))
    for item in _dicts(service.get("attributes")):
        names.append(_term_name(item.get("taxonomy_term")))
    for key in ("categories", "category", "theme", "themes"):
        value = service.get(key)
        if isinstance(value, list):
            names.extend(_term_name(v) for v in value)
        else:
            names.append(_term_name(value))
    return _join(names)


def _schedules(items: Any) -> str | None:
    """Regular schedules as 'MO 09:00-17:00; ...'."""
    parts = []
    for item in _dicts(items):
        day = _text(item.get("weekday")) or _text(item.get("byday")) or ""
        opens, closes = _text(item.get("opens_at")), _text(item.get("closes_at"))
        hours = f"{opens}-{closes}" if opens and closes else ""
        parts.append(" ".join(p for p in (day, hours) if p) or _text(item.get("description")))
    return _join(parts)


def _phone(service: dict[str, Any]) -> str | None:
    """First phone number of a service or of its contacts."""
    numbers = [_text(p.get("number")) for p in _dicts(service.get("phones"))]
    for contact in _dicts(service.get("contacts")):
        numbers += [_text(p.get("number")) for p in _dicts(contact.get("phones"))]
        numbers.append(_text(contact.get("phone")))
    numbers.append(_text(service.get("phone")))
    return next((v for v in numbers if v), None)


def _service_fields(service: dict[str, Any]) -> dict[str, Any]:
    """Service-level fields of one ORUK/HSDS service."""
    org = service.get("organization") or service.get("organisation")
    org_name = _text(org.get("name")) if isinstance(org, dict) else _text(org)
    email = _text(service.get("email")) or next(
        (_text(c.get("email")) for c in _dicts(service.get("contacts")) if c.get("email")), None
    )
    return {
        "id": _text(service.get("id")),
        "name": _text(service.get("name")),
        "organisation": org_name,
        "description": _text(service.get("description")) or _text(service.get("short_description")),
        "theme": _service_themes(service),
        "website": _text(service.get("url")) or _text(service.get("website")),
        "email": email,
        "phone": _phone(service),
        "opening_hours": _schedules(service.get("regular_schedules"))
        or _schedules(service.get("schedules")),
        "status": _text(service.get("status")),
    }


def _service_locations(service: dict[str, Any]) -> list[dict[str, Any]]:
    """Location fields, one dict per location of the service."""
    out = []
    locs: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for sal in _dicts(service.get("service_at_locations")):
        loc = sal.get("location")
        locs.append((loc if isinstance(loc, dict) else sal, sal))
    for key in ("locations", "location"):
        locs.extend((loc, {}) for loc in _dicts(service.get(key)))
    for loc, sal in locs:
        addresses = (
            _dicts(loc.get("physical_addresses"))
            + _dicts(loc.get("physical_address"))
            + [
                a
                for a in _dicts(loc.get("addresses"))
                if a.get("address_type") in (None, "physical")
            ]
        )
        address = addresses[0] if addresses else {}
        postcode = (
            _text(address.get("postal_code"))
            or _text(address.get("postcode"))
            or _text(loc.get("postcode"))
            or _text(loc.get("postal_code"))
        )
        line = _join(
            _text(address.get(k)) for k in ("address_1", "address_2", "city", "state_province")
        )
        fields = {
            "location_name": _text(loc.get("name")),
            "address": line,
            "postcode": postcode,
            "latitude": _text(loc.get("latitude")) or _text(loc.get("lat")),
            "longitude": _text(loc.get("longitude"))
            or _text(loc.get("lng"))
            or _text(loc.get("lon")),
        }
        hours = _schedules(sal.get("regular_schedules")) or _schedules(loc.get("regular_schedules"))
        if hours:
            fields["opening_hours"] = hours
        out.append(fields)
    return out
