"""The command line: ``python -m geo build | web | gaps | plan``.

The commands sit on top of every layer (as the pages do) and give the same numbers as the
pages, for analysts' scripts. ``python -m geo --help`` lists them; ``python -m geo COMMAND
--help`` says what each takes.
"""

from __future__ import annotations

import argparse
import sys

from geo.cli import build, gaps, plan, webfiles

__all__ = ["main"]

#: Subcommand name -> module with ``add_arguments(parser)`` and ``run(args) -> int``.
COMMANDS = {"build": build, "web": webfiles, "gaps": gaps, "plan": plan}


def main(argv: list[str] | None = None) -> int:
    """Run ``python -m geo COMMAND [options]``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="London social prescribing map: build the data and query it.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, module in COMMANDS.items():
        doc = (module.__doc__ or "").strip().splitlines()[0]
        module.add_arguments(sub.add_parser(name, help=doc, description=doc))
    args = parser.parse_args(argv)
    return COMMANDS[args.command].run(args)


if __name__ == "__main__":
    sys.exit(main())
