"""What users take away: the printable borough report and safe CSV / GeoJSON downloads.

* :mod:`geo.outputs.report` -- the printable HTML borough report (every text escaped);
* :mod:`geo.outputs.export` -- CSV and GeoJSON exports with spreadsheet formulas neutralised
  and the parameters in a header.
"""

from __future__ import annotations

from geo.outputs.export import neutralise_formulas, safe_csv, safe_geojson
from geo.outputs.report import borough_report

__all__ = ["borough_report", "neutralise_formulas", "safe_csv", "safe_geojson"]
