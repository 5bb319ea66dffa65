"""Walking network: the way filter on a synthetic OSM file, the stored network, and Camden's
walking distances against an independent shortest-path computation (networkx)."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from geo.data import io, streets, walking
from geo.data.sources import STREETS_CAMDEN
from geo.data.walkbuild import place_points

# ---------------------------------------------------------------------------------------------
# a tiny synthetic OSM file (written here, synthetic; coordinates in British National Grid metres)
# ---------------------------------------------------------------------------------------------
ORIGIN = (530_000.0, 180_000.0)
NODES = {  # id: (dx, dy) metres from ORIGIN
    1: (0, 0),
    2: (100, 0),
    3: (200, 0),
    4: (100, 100),
    5: (200, 100),
    6: (300, 0),
    7: (0, 100),
    8: (200, 200),
    9: (300, 200),
}
WAYS = {  # id: (nodes, tags, kept?)
    11: ([1, 2], {"highway": "footway"}, True),
    12: ([2, 3], {"highway": "steps"}, True),
    13: ([3, 6], {"highway": "residential", "foot": "no"}, False),
    14: ([2, 4], {"highway": "service", "access": "private"}, False),
    15: ([4, 5], {"highway": "service", "access": "private", "foot": "yes"}, True),
    16: ([3, 5], {"highway": "motorway"}, False),
    17: ([5, 6], {"highway": "motorway", "foot": "yes"}, False),
    18: ([1, 7], {"highway": "cycleway"}, False),
    19: ([7, 4], {"highway": "cycleway", "foot": "designated"}, True),
    20: ([6, 5], {"highway": "construction"}, False),
    21: ([5, 8], {"highway": "pedestrian"}, True),
    22: ([8, 9], {"highway": "trunk"}, True),
    23: ([9, 6], {"highway": "footway", "access": "no"}, False),
    24: ([1, 3], {"building": "yes"}, None),  # not a highway: not read at all
}


def _lonlat(dx: float, dy: float) -> tuple[float, float]:
    back = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    return back.transform(ORIGIN[0] + dx, ORIGIN[1] + dy)


def write_osm(path: Path) -> Path:
    """Write the synthetic extract as OSM XML."""
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, (dx, dy) in NODES.items():
        lon, lat = _lonlat(dx, dy)
        lines.append(f'  <node id="{nid}" version="1" lat="{lat:.9f}" lon="{lon:.9f}"/>')
    for wid, (nds, tags, _) in WAYS.items():
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{n}"/>' for n in nds]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines))
    return path


@pytest.fixture()
def toy_osm(tmp_path) -> Path:
    return write_osm(tmp_path / "toy.osm")


@pytest.fixture()
def toy_pbf(tmp_path, toy_osm) -> Path:
    """The same extract as .osm.pbf, written with pyosmium's writer."""
    import osmium

    out = tmp_path / "toy.osm.pbf"
    with osmium.SimpleWriter(str(out)) as writer:
        for obj in osmium.FileProcessor(str(toy_osm)):
            if obj.is_node():
                writer.add_node(obj)
            elif obj.is_way():
                writer.add_way(obj)
    return out


@pytest.mark.parametrize(
    ("tags", "walkable"),
    [
        ({"highway": "footway"}, True),
        ({"highway": "steps"}, True),
        ({"highway": "pedestrian", "area": "yes"}, True),
        ({"highway": "trunk"}, True),
        ({"highway": "bridleway"}, True),
        ({"highway": "residential", "foot": "no"}, False),
        ({"highway": "footway", "access": "private"}, False),
        ({"highway": "service", "access": "private;delivery"}, False),
        ({"highway": "service", "access": "no", "foot": "permissive"}, True),
        ({"highway": "service", "access": "customers"}, True),
        ({"highway": "path", "foot": "private"}, False),
        ({"highway": "motorway"}, False),
        ({"highway": "motorway_link", "foot": "yes"}, False),
        ({"highway": "cycleway"}, False),
        ({"highway": "cycleway", "foot": "yes"}, True),
        ({"highway": "construction"}, False),
        ({"highway": "proposed"}, False),
        ({"highway": "platform"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_walkable_filter_rules(tags, walkable):
    assert streets.is_walkable(tags) is walkable


@pytest.mark.parametrize("fmt", ["xml", "pbf"])
def test_read_walkways_applies_the_filter(fmt, toy_osm, toy_pbf):
    ways = streets.read_walkways(toy_osm if fmt == "xml" else toy_pbf)
    kept = {wid for wid, (_, _, keep) in WAYS.items() if keep}
    assert set(ways.way_id.tolist()) == kept
    n_highway = sum(1 for _, tags, _ in WAYS.values() if "highway" in tags)
    assert ways.n_read == n_highway
    assert ways.n_kept + sum(ways.rejected.values()) == ways.n_read  # nothing lost silently
    assert ways.rejected["motorway"] == 2
    assert ways.rejected["foot=no"] == 1
    assert ways.rejected["access=private"] == 1
    assert ways.rejected["access=no"] == 1
    assert ways.rejected["cycleway without foot access"] == 1


@pytest.mark.parametrize("max_segment", [None, 30.0])
def test_network_distances_on_the_toy(toy_osm, max_segment):
    net = streets.build_network(toy_osm, max_segment=max_segment)
    # pieces: 1-2-3 (footway + steps) and 7-4-5-8-9 (cycleway/private-but-foot/pedestrian/trunk);
    # only the larger is kept
    assert net.figures["pieces"] == 2
    assert net.n_nodes == (5 if max_segment is None else 5 + 4 * 3)
    np.testing.assert_allclose(net.length_km * 1000, 400, atol=0.05)
    origin = np.array([[ORIGIN[0] + 0, ORIGIN[1] + 140]])  # 40 m north of node 7
    target = np.array([[ORIGIN[0] + 300, ORIGIN[1] + 210]])  # 10 m north of node 9
    so = walking.snap(net, origin)
    st = walking.snap(net, target)
    assert so.covered.all() and st.covered.all()
    np.testing.assert_allclose(so.leg, [40.0], atol=0.01)
    # 40 + (7-4-5-8-9: 400) + 10
    got = walking.pair_distances(net, so, st, [0], [0])
    np.testing.assert_allclose(got, [450.0], atol=0.01)
    assert len(walking.network_pairs(net, so, st, max_distance=449.9).origin) == 0
    pairs = walking.network_pairs(net, so, st, max_distance=450.1)
    np.testing.assert_allclose(pairs.distance, [450.0], atol=0.01)
    # the search runs from the smaller side; swapping origins and targets gives the same
    back = walking.network_pairs(net, st, so, max_distance=450.1)
    np.testing.assert_allclose(back.distance, [450.0], atol=0.01)


def test_snap_uses_the_network_and_limit(toy_osm):
    net = streets.build_network(toy_osm, max_segment=None)
    pts = np.array(
        [
            [ORIGIN[0] + 0, ORIGIN[1] - 10],  # 10 m from node 1 (dropped piece): goes to node 7
            [ORIGIN[0] + 1000, ORIGIN[1] + 1000],  # far from everything
            [ORIGIN[0] + 200, ORIGIN[1] + 110],  # near node 5 but outside the covered area
        ]
    )
    s = walking.snap(net, pts, snap_limit=250, inside=np.array([True, True, False]))
    assert s.covered.tolist() == [True, False, False]
    np.testing.assert_allclose(s.leg[0], 110.0, atol=0.01)
    assert np.isnan(s.leg[1]) and s.node[1] == -1


def test_tables_rebuild_the_same_network(toy_osm):
    net = streets.build_network(toy_osm, max_segment=30.0)
    nodes, edges = streets.network_tables(net)
    again = streets.network_from_tables(nodes, edges)
    assert (again.xy == net.xy).all()
    assert (again.graph != net.graph).nnz == 0
    with pytest.raises(ValueError, match="not in the node table"):
        streets.network_from_tables(nodes, edges.assign(b=len(nodes)))


def test_parallel_edges_keep_the_shortest(tmp_path):
    # two ways between the same two nodes: a straight one and a dog-leg one via node 3
    path = tmp_path / "par.osm"
    nodes = {1: (0, 0), 2: (100, 0), 3: (50, 80)}
    lines = ['<?xml version="1.0"?>', '<osm version="0.6">']
    for nid, (dx, dy) in nodes.items():
        lon, lat = _lonlat(dx, dy)
        lines.append(f'<node id="{nid}" version="1" lat="{lat:.9f}" lon="{lon:.9f}"/>')
    lines += [
        '<way id="1" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="footway"/></way>',
        '<way id="2" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="path"/></way>',
        '<way id="3" version="1"><nd ref="1"/><nd ref="3"/><nd ref="2"/>'
        '<tag k="highway" v="path"/></way>',
        "</osm>",
    ]
    path.write_text("\n".join(lines))
    net = streets.build_network(path, max_segment=None)
    s = walking.snap(net, np.array([[ORIGIN[0], ORIGIN[1]], [ORIGIN[0] + 100, ORIGIN[1]]]))
    np.testing.assert_allclose(walking.pair_distances(net, s, s, [0], [1]), [100.0], atol=0.01)


def test_not_an_osm_file(tmp_path):
    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"this is not osm")
    with pytest.raises(ValueError, match="cannot be read"):
        streets.read_walkways(bad)
    with pytest.raises(FileNotFoundError):
        streets.read_walkways(tmp_path / "missing.osm.pbf")


# ---------------------------------------------------------------------------------------------
# Camden (real data): the stored network and distances
# ---------------------------------------------------------------------------------------------
def _nx_graph(net: streets.WalkNetwork) -> nx.Graph:
    coo = net.graph.tocoo()
    g = nx.Graph()
    g.add_weighted_edges_from(
        zip(coo.row.tolist(), coo.col.tolist(), coo.data.tolist(), strict=True)
    )
    return g


def test_stored_network_is_the_camden_extract(raw_dir):
    """data/streets/ holds exactly the network built from the raw extract now."""
    fresh = streets.build_network(raw_dir / STREETS_CAMDEN)
    stored = io.load_walk_network()
    assert (fresh.xy == stored.xy).all()
    assert (fresh.edges == stored.edges).all()
    assert (fresh.graph != stored.graph).nnz == 0
    report = io.load_detour()
    assert report["network"]["nodes"] == stored.n_nodes
    assert (
        report["network"]["ways_walkable"] + sum(report["network"]["ways_rejected"].values())
        == report["network"]["ways_read"]
    )  # every way read is kept or counted as rejected


def test_camden_distances_equal_networkx():
    """Stored OA-place walking distances equal an independent networkx Dijkstra on the graph."""
    net = io.load_walk_network()
    oas = io.load_oas()
    pairs = io.load_oa_place_network()
    report = io.load_detour()
    area = io.load_boroughs("iod2025").geometry.loc[report["covered_boroughs"]].union_all()
    places = place_points(io.load_services(), io.load_parks(), io.load_park_edges())
    pxy = places[["x", "y"]].to_numpy()
    sp = walking.snap(net, pxy, inside=shapely.contains_xy(area, pxy[:, 0], pxy[:, 1]))
    assert int(sp.covered.sum()) == report["place_points_covered"]
    xy = oas[["x", "y"]].to_numpy()
    so = walking.snap(net, xy, inside=shapely.contains_xy(area, xy[:, 0], xy[:, 1]))
    assert int(so.covered.sum()) == report["oas_covered"] == 751
    rng = np.random.default_rng(17)
    sample = pairs.iloc[rng.choice(len(pairs), 12, replace=False)]
    g = _nx_graph(net)
    for oa, place, metres in zip(sample["oa"], sample["place"].astype(str), sample["metres"],
                                 strict=True):  # fmt: skip
        points = np.flatnonzero((places["facility"] == place).to_numpy() & sp.covered)
        lengths = nx.single_source_dijkstra_path_length(g, int(so.node[oa]), weight="weight")
        ref = min(so.leg[oa] + lengths.get(int(sp.node[j]), np.inf) + sp.leg[j] for j in points)
        assert metres == pytest.approx(ref, abs=0.01)  # float32 metres
        assert metres <= 1600
    # a covered pair missing from the table is farther than 1,600 m on the network
    oa = int(sample["oa"].iloc[0])
    listed = set(pairs.loc[pairs["oa"] == oa, "place"].astype(str))
    lengths = nx.single_source_dijkstra_path_length(
        g, int(so.node[oa]), cutoff=1600, weight="weight"
    )
    for j in np.flatnonzero(sp.covered)[::50]:
        d = so.leg[oa] + lengths.get(int(sp.node[j]), np.inf) + sp.leg[j]
        if places["facility"].iloc[j] not in listed:
            assert d > 1600 - 0.01
