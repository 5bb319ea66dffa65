"""Where the LSOA centre and the residents disagree: the figures quoted in the README and the
method page (issue 17), recomputed from the bundled data.

For four categories of place, LSOAs where the old measure (straight line x 1.3 from the LSOA
polygon's centroid) says "none within 800 m" but most residents (Output Areas weighted by
residents) have one, and the reverse; first with the residents measured the same way (straight
line x 1.3, as the issue counted), then with the app's new walking distances (streets in
Camden, straight line x the measured detour elsewhere). Then London's top gap neighbourhood
Enfield 014A before and after. Run: ``python bench/centre_vs_residents.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.analysis import access, provision, walkaccess  # noqa: E402
from geo.analysis.oa_access import nearest_by_theme, prepare, reach_by_theme  # noqa: E402
from geo.analysis.oa_table import distance_table, supply_from_frame  # noqa: E402
from geo.data import io  # noqa: E402
from geo.data.directory import CATEGORIES, NO_OPEN_DATA  # noqa: E402

CATS = ["library", "gp_practice", "pharmacy", "community_centre"]
OLD_DETOUR = 1.3  # the assumption the app used before issue 17 (the baseline here only)


def main() -> None:
    lsoas = io.load_lsoas("iod2025")
    directory = provision.bundled_directory(
        io.load_services(), io.load_parks(), categories=CATEGORIES, no_open_data=NO_OPEN_DATA
    )
    points = provision.access_supply(directory, io.load_park_edges())
    oas = io.load_oas()
    streets = walkaccess.streets_context(
        io.load_walk_network(), io.load_boroughs("iod2025"), io.load_detour()
    )
    # supply with the categories as "themes"
    by_cat = points.assign(themes=[[c] for c in points["category"]])
    old = access.nearest_service(lsoas, by_cat, detour=OLD_DETOUR, by="category", themes=CATS)
    centre_yes = old[CATS] <= 800

    sup = supply_from_frame(by_cat, themes=CATS)
    xy = oas[["x", "y"]].to_numpy()
    same = prepare(oas, sup, distance_table(xy, sup, detour=OLD_DETOUR), lsoa_index=lsoas.index)
    # the app's distances (streets in Camden, measured detour elsewhere), categories as columns
    model = walkaccess.bundled_model(
        oas, by_cat, streets, io.load_oa_place_network(), detour=streets.detour
    )
    cat_model = walkaccess.AccessModel(oas, sup, model.table, model.distance)
    new = cat_model.prepared("iod2025", lsoas.index)
    print(f"LSOAs: {len(lsoas):,}; OAs {len(oas):,}; measured detour {streets.detour:.4f}")
    print("'same x1.3': residents measured as the centre was; 'new': the app's walking distances")
    for label, prep in (("same x1.3", same), ("new", new)):
        reach = reach_by_theme(prep, catchment=800, themes=CATS)
        for c in CATS:
            most = reach[c] >= 0.5
            a = int((~centre_yes[c] & most).sum())
            b = int((centre_yes[c] & ~most).sum())
            print(f"{label:10s} {c:18s} centre none, most residents yes: {a:4d}; "
                  f"centre yes, most residents none: {b:4d}")  # fmt: skip
    # Enfield 014A
    code = lsoas.index[lsoas["lsoa_name"] == "Enfield 014A"][0]
    all_old = access.nearest_service(lsoas.loc[[code]], points, detour=OLD_DETOUR)["all"].iloc[0]
    area = lsoas.loc[code].geometry.area / 1e6
    print(f"Enfield 014A ({code}, {area:.1f} km2): old nearest from the centre {all_old:,.0f} m")
    bundled = walkaccess.bundled_model(
        oas, points, streets, io.load_oa_place_network(), detour=streets.detour
    )
    for label, m in (
        ("straight x1.3", walkaccess.bundled_model(oas, points, None, None, detour=OLD_DETOUR)),
        ("new", bundled),
    ):
        prep = m.prepared("iod2025", lsoas.index)
        r = reach_by_theme(prep, catchment=800, themes=[])["all"][code]
        near = nearest_by_theme(prep, themes=[])["all"][code]
        print(f"  {label}: residents within 800 m of a place {r:.1%}; median resident's walk "
              f"{near:,.0f} m")  # fmt: skip


if __name__ == "__main__":
    main()
