"""Rewrite the map's static files from data/: shapes, points and the map frame's script.

``python -m geo web [--out DIR] [--only shapes|points|script]``: the neighbourhood and borough
shapes (:mod:`geo.web.staticgeom`) and the bundled map points (:mod:`geo.web.staticpoints`)
under ``static/geo/``, and the map frame's one script (:mod:`geo.web.jsbundle`,
``static/spm/spm_leaflet.js``). ``python -m geo build`` does the first two itself after writing
``data/``; run this after ``build --out`` elsewhere, or after editing ``static/spm/spm_map.js``.
A file is written only when its content changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from geo.web import jsbundle, staticgeom, staticpoints

__all__ = ["add_arguments", "run"]

WRITERS = {
    "shapes": staticgeom.write_all,
    "points": staticpoints.write_all,
    "script": jsbundle.write_all,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The command's options."""
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output folder (default: static/geo for shapes and points, static/spm for the script)",
    )
    parser.add_argument(
        "--only", choices=sorted(WRITERS), action="append", help="write only these (repeatable)"
    )


def run(args: argparse.Namespace) -> int:
    """Write the files; print each one written, or that all are up to date."""
    written = []
    for name in args.only or list(WRITERS):
        written.extend(WRITERS[name](args.out))
    for path in written:
        print(f"wrote {path} ({path.stat().st_size / 1024:,.0f} KB)")
    if not written:
        print("static files: up to date")
    return 0
