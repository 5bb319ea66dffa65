"""``python -m geo build | gaps | plan``: see :mod:`geo.cli`."""

import sys

from geo.cli import main

sys.exit(main())
