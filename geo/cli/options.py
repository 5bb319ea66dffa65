"""Options the commands share: a theme as the sidebar names it, and how far people walk
(``--catchment``, ``--detour``, ``--distance``), with their checks and messages."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from geo.analysis import walkaccess
from geo.analysis.oa_table import MAX_CATCHMENT

__all__ = ["add_walking_arguments", "catchment", "detour", "theme_chooser"]


def theme_chooser(options: Sequence[str]) -> Callable[[str], str]:
    """An argparse ``type`` taking one of ``options`` as the sidebar shows it; case and spaces
    forgiven, and an unknown theme answered with the list."""
    by_key = {" ".join(o.lower().split()): o for o in options}

    def theme(value: str) -> str:
        key = " ".join(value.lower().split())
        if key not in by_key:
            raise argparse.ArgumentTypeError(
                f"unknown theme {value!r}; choose one of: " + "; ".join(f'"{o}"' for o in options)
            )
        return by_key[key]

    return theme


def catchment(value: str) -> float:
    """A walking catchment in metres: more than 0, at most the distance tables' reach."""
    number = float(value)
    if not 0 < number <= MAX_CATCHMENT:
        raise argparse.ArgumentTypeError(
            f"the catchment must be more than 0 and at most {MAX_CATCHMENT:,.0f} metres"
        )
    return number


def detour(value: str) -> float:
    """A detour factor (walking / straight-line distance): 1 or more."""
    number = float(value)
    if not number >= 1.0:
        raise argparse.ArgumentTypeError("the detour factor must be 1 (straight line) or more")
    return number


def add_walking_arguments(parser: argparse.ArgumentParser) -> None:
    """``--catchment``, ``--detour`` and ``--distance``, as the pages offer them."""
    parser.add_argument(
        "--catchment",
        type=catchment,
        default=800.0,
        metavar="METRES",
        help=f"walking catchment in metres, up to {MAX_CATCHMENT:,.0f} (default 800)",
    )
    parser.add_argument(
        "--detour",
        type=detour,
        default=None,
        metavar="FACTOR",
        help="walking / straight-line factor where the street network does not reach "
        "(default: the median measured on the network by the build)",
    )
    parser.add_argument(
        "--distance",
        choices=list(walkaccess.DISTANCES),
        default="streets",
        help="streets: on the street network where it covers both ends, else straight line x "
        "detour (default); straight: straight line x detour everywhere",
    )
