"""Build the processed data in data/ and the map's static files from the raw official files.

``python -m geo build [--raw DIR] [--out DIR] [--streets FILE.osm.pbf]``:
:func:`geo.data.pipeline.build` writes ``data/`` (every raw file checked against its pinned
sha256 first; walking is measured on the bundled Camden OpenStreetMap extract unless
``--streets`` gives another, e.g. Geofabrik's greater-london-latest.osm.pbf); when ``--out`` is the
project's own ``data/``, the map's static shapes and points under ``static/geo/`` are then
rewritten from it (:mod:`geo.web.staticgeom`, :mod:`geo.web.staticpoints`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from geo.data.pipeline import DEFAULT_OUT, build
from geo.data.sources import DEFAULT_RAW, PROJECT_ROOT, BuildError
from geo.web import staticgeom, staticpoints

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The build command's options."""
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW, help="raw data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (data/)")
    parser.add_argument(
        "--streets",
        type=Path,
        default=None,
        metavar="FILE.osm.pbf",
        help="an OpenStreetMap extract to measure walking on (default: the bundled Camden "
        "extract, streets/osm-camden/camden.osm.pbf in the raw folder)",
    )


def run(args: argparse.Namespace) -> int:
    """Build; 0 on success, 2 (with the reason on stderr) when the raw data does not fit."""
    try:
        build(args.raw, args.out, streets=args.streets)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.out.resolve() == DEFAULT_OUT.resolve():
        # the map's static shapes and points (static/geo/) are made from the data just written
        for path in [*staticgeom.write_all(), *staticpoints.write_all()]:
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
    else:
        print(
            "static/geo/ not updated (it is made from data/): run `python -m geo web` once the "
            "new data is in data/"
        )
    return 0
