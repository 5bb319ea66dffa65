"""Data and method: every source, vintage and licence, and how each figure is computed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common
from geo.indicators import DOMAIN_LABELS, SCORE_UNITS

st.title("Data and method")

st.header("Sources and licences")
st.markdown(
    """
| Layer | Source | Vintage | Licence |
| --- | --- | --- | --- |
| Neighbourhoods (LSOA 2021) | Office for National Statistics, LSOA 2021 boundaries (generalised 20 m, BGC V3), cut to London | Census 2021 geography | OGL v3.0 |
| Neighbourhoods (LSOA 2011) and boroughs | Greater London Authority, London Datastore "Statistical GIS Boundary Files for London" | Census 2011 geography | OGL v3.0 |
| Boroughs 2021 | the 33 local authorities (LAD 2022) dissolved from the LSOAs 2021 | 2022 | OGL v3.0 |
| Deprivation 2025 | English Indices of Deprivation 2025, Ministry of Housing, Communities and Local Government (MHCLG): scores, ranks and deciles for IMD and seven domains | 2025 (LSOA 2021) | OGL v3.0 |
| Deprivation 2019 | English Indices of Deprivation 2019, MHCLG, via the GLA's London workbook (scores, ranks, deciles, mid-2015 denominators) | 2019 (LSOA 2011) | OGL v3.0 |
| Population | ONS mid-2020 population estimates by LSOA 2011 (all ages, 65+) | mid-2020 | OGL v3.0 |
| Housing association homes | **your upload only**: no official dataset is bundled yet (Census 2021 TS054 "other social rented" by LSOA is not in the raw data) | – | – |
| Community services | **your upload only**: no official directory of social prescribing services is bundled | – | – |
| Postcodes | an offline ONS Postcode Directory / Code-Point Open lookup, **when installed**; none is bundled, so postcode-only rows are reported as "postcode lookup not installed" | – | – |

**Attribution.** Contains National Statistics data © Crown copyright and database right.
Contains Ordnance Survey data © Crown copyright and database right. English Indices of
Deprivation, Ministry of Housing, Communities and Local Government, Open Government Licence v3.0.
Background map tiles © OpenStreetMap contributors © CARTO (when the browser can reach them).
"""
)

st.header("How each figure is computed")
st.markdown(
    """
- **Deciles and ranks** are MHCLG's, national: rank 1 is the most deprived neighbourhood in
  England; decile 1 is England's most deprived 10%. Nothing is re-ranked within London.
- **Scores**: higher means more deprived in every domain. Income and employment scores are
  the share of people deprived; the others are domain scores.
- **Borough average score**: the population-weighted mean of its LSOA scores (MHCLG's
  "average score" summary). IoD 2019 uses the indices' own mid-2015 denominators; IoD 2025 uses
  the ONS mid-2020 estimates below. **Rank in London** ranks the 33 averages, 1 = most deprived.
- **% of LSOAs in the most deprived 10% / 20%**: the share of a borough's LSOAs in national
  decile 1 / deciles 1–2.
- **Population of 2021 neighbourhoods**: no LSOA 2021 population is in the raw data. 4,659
  LSOAs kept their 2011 code and boundary and use its ONS mid-2020 estimate as it is; for the
  335 that were split, merged or redrawn the mid-2020 population of the changed 2011 LSOAs is
  shared out by overlapping area. These 335 are **estimates** and are labelled so in the data.
- **Map geometry** is simplified for the web (30 m, topology kept, so neighbours still meet);
  all analysis uses the full-resolution boundaries in British National Grid (EPSG:27700).
"""
)
st.subheader("Domains")
st.dataframe(
    pd.DataFrame(
        {
            "Domain": list(DOMAIN_LABELS.values()),
            "Score measures": [SCORE_UNITS[d] for d in DOMAIN_LABELS],
        }
    ),
    hide_index=True,
    width="stretch",
)

st.header("Access and gaps")
st.markdown(
    """
- **Walking distance** is the straight-line distance in metres (British National Grid) times a
  detour factor (default 1.3), a stated proxy for the walking route.
- **Services within reach**: the number of services within the catchment (default 800 m, about
  10 minutes' walk) of each neighbourhood's centroid.
- **Access (E2SFCA)**: the enhanced two-step floating catchment area method (Luo & Qi 2009,
  *Health & Place* 15(4)): each service's capacity is divided by the distance-weighted population
  within its catchment, and each neighbourhood sums those ratios for the services it can reach.
- **Need**: the weighted mean of standardised (z-score) IoD domain scores you choose (default
  health deprivation and disability, income, employment, equal weights).
- **Gap**: need rank minus access rank (both as percentiles), so +1 is the highest need with the
  lowest access. The bivariate map crosses need terciles with access terciles.
"""
)

st.header("Processed files")
man = common.manifest()
st.caption(f"Built {man['built']} by `{man['generator']}` from the raw official files.")
st.dataframe(
    pd.DataFrame(
        [
            {
                "File": f["path"],
                "Rows": f["rows"],
                "KB": round(f["bytes"] / 1024),
                "Inputs": ", ".join(i["path"] for i in f["inputs"]),
                "Licence": f["licence"],
                "What it is": f["description"],
            }
            for f in man["files"]
        ]
    ),
    hide_index=True,
    width="stretch",
)
