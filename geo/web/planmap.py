"""The Pilot planner's sites on the map: numbered points, and each site's straight-line reach.

The reach circle of a site has radius catchment / detour: the straight-line distance within
which the walking distance (straight line x detour) is within the catchment. Where the street
network is used (Camden), a site reaches the Output Areas within the catchment on the streets,
so there the circle is only a guide; the Output Areas each site newly reaches are drawn as
points (:func:`geo.web.points.add_points`) for the exact answer.
"""

from __future__ import annotations

import folium
import geopandas as gpd
import pandas as pd

from geo.web.format import check_colour
from geo.web.points import add_points

__all__ = ["SITE_COLOUR", "SITE_LABEL_STYLE", "add_plan_sites"]

#: Colour of the chosen sites and their reach circles (black: 21:1 on white).
SITE_COLOUR = "#000000"
#: The site numbers (white discs, black ring and digits).
SITE_LABEL_STYLE = (
    "width:22px;height:22px;border-radius:50%;background:#fff;border:2px solid #000;"
    "font:bold 12px/18px Arial,sans-serif;text-align:center;color:#000"
)


def add_plan_sites(
    m: folium.Map,
    sites: pd.DataFrame,
    *,
    radius: float,
    tooltip_fields: dict[str, str],
    name: str = "Chosen sites (numbered as in the table)",
    circle_name: str = "Straight-line reach of each site",
    colour: str = SITE_COLOUR,
) -> None:
    """The chosen sites: a reach circle each, a point with a tooltip, and its number.

    Parameters
    ----------
    m
        The map.
    sites
        ``lon``, ``lat`` (WGS84), ``number`` (int) and the tooltip columns.
    radius
        Reach circle radius in metres (catchment / detour).
    tooltip_fields
        ``{column: heading}`` of the point tooltips (escaped by :func:`add_points`).
    name, circle_name
        Layer names.
    colour
        Hex colour of the points and circles.
    """
    colour = check_colour(colour)
    circles = folium.FeatureGroup(name=circle_name)
    for lat, lon in zip(sites["lat"], sites["lon"], strict=True):
        folium.Circle(
            location=(float(lat), float(lon)),
            radius=float(radius),
            color=colour,
            weight=2,
            dash_array="6 4",
            fill=True,
            fill_opacity=0.04,
            interactive=False,
        ).add_to(circles)
    circles.add_to(m)
    points = gpd.GeoDataFrame(
        sites.drop(columns=[c for c in ("geometry",) if c in sites.columns]),
        geometry=gpd.points_from_xy(sites["lon"], sites["lat"]),
        crs=4326,
    )
    add_points(m, points, name=name, tooltip_fields=tooltip_fields, colour=colour)
    labels = folium.FeatureGroup(name="Site numbers")
    for number, lat, lon in zip(sites["number"], sites["lat"], sites["lon"], strict=True):
        # the label is the site number only (an int), never data text
        folium.Marker(
            location=(float(lat), float(lon)),
            icon=folium.DivIcon(
                html=f'<div style="{SITE_LABEL_STYLE}">{int(number)}</div>',
                icon_size=(22, 22),
                icon_anchor=(11, 27),
            ),
            interactive=False,
            keyboard=False,  # a label, not a control: no tab stop (the table has the numbers)
        ).add_to(labels)
    labels.add_to(m)
