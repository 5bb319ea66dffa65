"""Data: the pipeline from the raw official files to ``data/``, and the loaders that read it back.

Read the processed data:

* :mod:`geo.data.io` -- loaders for ``data/`` (``load_lsoas``, ``load_boroughs``,
  ``load_services``, ``load_postcodes``, ``load_icbs``, ``load_registrations`` ...),
  :class:`~geo.data.io.DataError`;
* :mod:`geo.data.indicators` -- the deprivation domains, their labels and columns, vintages;
* :mod:`geo.data.directory` -- the bundled service categories (source, vintage, licence),
  themes with no open data, old-data warnings;
* :mod:`geo.data.themes` -- the housing associations' themes;
* :mod:`geo.data.postcodes` -- postcode normalisation and postcode lookup readers.

Build it (``python -m geo build``; :func:`geo.data.pipeline.build`):

* :mod:`geo.data.sources` -- the raw inputs pinned by sha256, their paths and attributions;
* :mod:`geo.data.boundaries` -- LSOA and borough shapes, repair, web copies, point in polygon;
* :mod:`geo.data.deprivation` -- IoD2025 and IoD2019 readers, borough summaries;
* :mod:`geo.data.census` -- Census tenure, population, disability, the 2011 -> 2021 lookup;
* :mod:`geo.data.places` -- the service directory's places (pharmacies, libraries, community
  centres, places of worship, Jobcentres, parks) and the London postcode lookup;
* :mod:`geo.data.practices` -- GP practices, Primary Care Networks and their link workers;
* :mod:`geo.data.financial` -- food banks and credit unions (financial inclusion);
* :mod:`geo.data.icb` -- the London ICBs, their boroughs, each PCN's commissioning ICB;
* :mod:`geo.data.registrations` -- where each practice's patients live (July 2023);
* :mod:`geo.data.ptal` -- TfL PTAL 2015 per LSOA 2011 and 2021, and the band filter;
* :mod:`geo.data.lsoa_convert` -- LSOA 2011 -> 2021 through the exact-fit lookup;
* :mod:`geo.data.pipeline`, :mod:`geo.data.bundled`, :mod:`geo.data.writing` -- the build
  steps, deterministic writers and the manifest.
"""

from __future__ import annotations

from geo.data.io import (
    DataError,
    clear_cache,
    load_boroughs,
    load_icbs,
    load_link_workers,
    load_lsoas,
    load_manifest,
    load_park_edges,
    load_parks,
    load_postcodes,
    load_registrations,
    load_services,
)

__all__ = [
    "DataError",
    "clear_cache",
    "load_boroughs",
    "load_icbs",
    "load_link_workers",
    "load_lsoas",
    "load_manifest",
    "load_park_edges",
    "load_parks",
    "load_postcodes",
    "load_registrations",
    "load_services",
]
