"""The bundled data the commands measure on: the directory of places, the street network and
the directory's walking-access model, loaded as the pages load them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.analysis import provision, walkaccess
from geo.data import io
from geo.data.directory import CATEGORIES, NO_OPEN_DATA

__all__ = ["BundledAccess", "bundled_access"]


@dataclass(frozen=True)
class BundledAccess:
    """What :func:`bundled_access` loads.

    Attributes
    ----------
    directory
        The bundled places (services and parks) by category.
    streets
        The street network's context (covered boroughs, measured detour).
    detour
        The detour factor used where the network does not reach.
    oas
        London's Output Areas (population-weighted centroids, residents).
    model
        The walking-access model of the directory's places from the Output Areas.
    """

    directory: gpd.GeoDataFrame
    streets: walkaccess.Streets
    detour: float
    oas: pd.DataFrame
    model: walkaccess.AccessModel


def bundled_access(
    detour: float | None = None, distance: str = "streets", data_dir: Path | None = None
) -> BundledAccess:
    """The bundled directory's walking-access model; ``detour`` None: the measured one."""
    directory = provision.bundled_directory(
        io.load_services(data_dir),
        io.load_parks(data_dir),
        categories=CATEGORIES,
        no_open_data=NO_OPEN_DATA,
    )
    points = provision.access_supply(directory, io.load_park_edges(data_dir))
    streets = walkaccess.streets_context(
        io.load_walk_network(data_dir),
        io.load_boroughs("iod2025", data_dir=data_dir),
        io.load_detour(data_dir),
    )
    detour = streets.detour if detour is None else float(detour)
    oas = io.load_oas(data_dir)
    model = walkaccess.bundled_model(
        oas,
        points,
        streets,
        io.load_oa_place_network(data_dir),
        detour=detour,
        distance=distance,
    )
    return BundledAccess(directory, streets, detour, oas, model)
