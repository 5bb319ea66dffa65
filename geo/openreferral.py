"""Open Referral UK / HSDS service JSON flattened into a table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pandas as pd

from geo.tables import MAX_BYTES, MAX_ROWS, UploadError, _check_size

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
        JSON (UTF-8, optional BOM). Accepted shapes: a list of services; a paginated ORUK API
        page ``{"content": [...], "totalElements": ...}`` (also ``items``, ``services``,
        ``data`` or ``results`` holding the list); or a single service object.
    max_bytes, max_rows : int
        Limits as for :func:`read_table` (rows counted after flattening).

    Returns
    -------
    pandas.DataFrame
        One row per service *location* (a service with no location gives one row with empty
        location fields, which :func:`locate` will reject as ``"no location"``). Columns:
        ``id``, ``name``, ``organisation``, ``description``, ``theme`` (taxonomy terms from
        ``taxonomies``, ``service_taxonomys[].taxonomy``, ``attributes[].taxonomy_term`` or
        ``categories``, joined with ``"; "``), ``location_name``, ``address``, ``postcode``
        (``physical_addresses[].postal_code`` or HSDS 3 ``addresses``), ``latitude``,
        ``longitude`` (``service_at_locations[].location`` or ``locations[]``), ``website``
        (``url``), ``email``, ``phone``, ``opening_hours`` (from ``regular_schedules`` /
        ``schedules``), ``status``. All values are text (``str`` dtype). Index: 1-based record
        number named ``"row"``.

    Raises
    ------
    UploadError
        Empty, too large, not JSON, or not a recognisable service list.
    """
    data = bytes(data)
    _check_size(data, max_bytes)
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise UploadError(f"The file is not valid JSON ({str(exc)[:120]}).") from exc
    services = _service_list(doc)
    rows: list[dict[str, Any]] = []
    for service in services:
        if not isinstance(service, dict):
            continue
        base = _service_fields(service)
        locations = _service_locations(service)
        for loc in locations or [{}]:
            rows.append({**base, **loc})
        if len(rows) > max_rows:
            raise UploadError(
                f"The file has more than {max_rows:,} service locations; the limit is {max_rows:,}."
            )
    if not rows:
        raise UploadError("The JSON holds no services.")
    out = pd.DataFrame(rows, columns=list(_ORUK_COLUMNS)).astype("str")
    out.index = pd.RangeIndex(1, len(out) + 1, name="row")
    out.attrs = {"file_type": "openreferral", "warnings": []}
    return out


def _service_list(doc: Any) -> list[Any]:
    """The list of service objects in an ORUK/HSDS document."""
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict):
        for key in ("content", "items", "services", "data", "results"):
            if isinstance(doc.get(key), list):
                return doc[key]
        if "name" in doc and ("id" in doc or "description" in doc):
            return [doc]
    raise UploadError(
        "The JSON is not an Open Referral / HSDS service list: expected a list of services or "
        'a page like {"content": [...]}.'
    )


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
