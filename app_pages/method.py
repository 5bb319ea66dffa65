"""Data and method: every source, vintage and licence, and how each figure is computed."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import common
from geo.analysis.walkaccess import detour_table
from geo.data.directory import CATEGORIES
from geo.data.indicators import DOMAIN_LABELS, SCORE_UNITS

st.title("Data and method")

st.header("Sources and licences")


def _table_as_list(text: str) -> str:
    """Markdown ``text`` with its table written as a list, one item per row with each cell
    named by its column: a five-column table of long text was cut off on a narrow screen
    (WCAG 1.4.10, reflow at 320 px); a list wraps at any width and reads the same."""
    lines = text.splitlines()
    rows = [line for line in lines if line.startswith("|")]
    if len(rows) < 3:
        return text
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    header, body = cells[0], cells[2:]
    items = [
        f"- **{row[0]}**: {row[1]}. "
        + " ".join(f"*{name}:* {value}." for name, value in zip(header[2:], row[2:], strict=True))
        for row in body
    ]
    start = lines.index(rows[0])
    return "\n".join([*lines[:start], *items, *lines[start + len(rows) :]])


st.markdown(
    _table_as_list(
        """
| Layer | What it counts | Source | Vintage | Licence |
| --- | --- | --- | --- | --- |
| Neighbourhoods (LSOA 2021) | 4,994 London LSOAs | Office for National Statistics, LSOA 2021 boundaries (generalised 20 m, BGC V3), cut to London | Census 2021 geography | OGL v3.0 |
| Neighbourhoods (LSOA 2011) and boroughs | 4,835 LSOAs, 33 boroughs | Greater London Authority, London Datastore "Statistical GIS Boundary Files for London" | Census 2011 geography | OGL v3.0 |
| Boroughs 2021 | the 33 local authorities (LAD 2022) dissolved from the LSOAs 2021 | ONS | 2022 | OGL v3.0 |
| LSOA 2011 → 2021 | which 2011 LSOA(s) each 2021 LSOA was formed from (unchanged, split, merged, complex) | ONS exact-fit lookup | 2021 | OGL v3.0 |
| Deprivation 2025 | scores, ranks and deciles for IMD and seven domains | English Indices of Deprivation 2025, Ministry of Housing, Communities and Local Government (MHCLG) | 2025 (LSOA 2021) | OGL v3.0 |
| Deprivation 2019 | the same, with mid-2015 denominators | English Indices of Deprivation 2019, MHCLG, via the GLA's London workbook | 2019 (LSOA 2011) | OGL v3.0 |
| Population (LSOA 2021) | usual residents, all ages and aged 65+ | ONS Census 2021, table TS007A | Census day, March 2021 | OGL v3.0 |
| Population (LSOA 2011) | all ages and 65+ | ONS mid-2020 population estimates | mid-2020 | OGL v3.0 |
| Disability (LSOA 2021) | residents disabled under the Equality Act, and their share | ONS Census 2021, table TS038 | March 2021 | OGL v3.0 |
| Housing association homes (LSOA 2021) | **households** renting from a housing association ("Social rented: Other social rented"), council tenants, all households | ONS Census 2021, table TS054 | March 2021 | OGL v3.0 |
| Housing association homes (LSOA 2011) | the same ("Social rented: Other") | ONS Census 2011, table KS402EW | March 2011 | OGL v3.0 |
| Postcodes | every live London postcode (180,754) with its grid reference, borough and LSOA 2021 / 2011 | Ordnance Survey, Code-Point Open 2025.2.0 | April 2025 | OS OpenData (OGL v3.0) |
| GP practices | practices in the NHS practice → Primary Care Network list, at their postcode, with registered patients | NHS England, Patients Registered at a GP Practice | December 2025 | OGL v3.0 |
| Link workers | full-time equivalent social prescribing link workers per Primary Care Network (the three "Social Prescribing Link Worker" roles) | NHS England, Primary Care Network Workforce | November 2025 | OGL v3.0 |
| Pharmacies | 1,722 active community pharmacies (status A, type 1, London region), at their postcode | NHS England Organisation Data Service (ODS), dispensing contractors (edispensary) | about March 2025 | OGL v3.0 |
| Libraries | open static public libraries; opening hours where the community list agrees | Arts Council England public libraries dataset; Libraries Hacked | December 2023; April 2025 | OGL v3.0 |
| Community centres | community centres | Greater London Authority, Cultural Infrastructure Map | November 2022 | OGL v3.0 |
| Parks | public parks and gardens (polygons) | Ordnance Survey, OS Open Greenspace | 2019 | OS OpenData (OGL v3.0) |
| Places of worship | churches, mosques, temples, synagogues… (points and buildings, one place each) — **community assets**, not services | OpenStreetMap (Geofabrik extract) | July 2019 | ODbL 1.0, © OpenStreetMap contributors |
| Jobcentre Plus | Jobcentre Plus offices, at their postcode (no newer list with postcodes is in open data) | Department for Work and Pensions | 2016 | OGL v3.0 |
| Food banks | 90 open London food banks (7 marked closed left out), at their postcode | Give Food (givefood.org.uk), food bank list | mid-2024 | Give Food data (Unlicense / CC BY 4.0), credit "Give Food (givefood.org.uk)" |
| Credit unions (registered offices) | 24 credit unions whose **registered office** is in Greater London (of 406 in the UK), at its postcode | Co-operatives UK open data | Q2 2023 | ODC-By 1.0 |
| Where patients live | registered patients of each practice per LSOA 2011 of residence | NHS England, Patients Registered at a GP Practice, LSOA file | July 2023 | OGL v3.0 |
| Integrated Care Boards | the 5 London ICBs, their boroughs, each PCN's commissioning ICB | NHS England practice → PCN → ICB map | December 2025 | OGL v3.0 |
| Public transport access | average access index (PTAI) and PTAL band per LSOA 2011 | Transport for London / GLA, PTAL 2015 (London Datastore) | 2015 | OGL v3.0 |
| Where people live | the 26,369 London Output Areas 2021: population-weighted centroids and usual residents (8,799,770) | ONS Output Areas (2021) population-weighted centroids V3; ONS Census 2021 TS001 | Census 2021 | OGL v3.0 |
| Streets and footpaths | the walking network of the London Borough of Camden (footways, paths, steps, pedestrian streets, roads people may walk) | OpenStreetMap (extract of Camden) | 2021 | ODbL 1.0, © OpenStreetMap contributors |

**Attribution.** Contains National Statistics data © Crown copyright and database right.
Contains Ordnance Survey data © Crown copyright and database right 2025. Contains Royal Mail
data © Royal Mail copyright and database right 2025. English Indices of Deprivation, Ministry of
Housing, Communities and Local Government. NHS England and NHS Digital data, Arts Council
England, Greater London Authority and Department for Work and Pensions data, all under the Open
Government Licence v3.0. Places of worship © OpenStreetMap contributors, available under the
Open Database License (ODbL) 1.0. Food banks: Give Food (givefood.org.uk). Credit unions:
contains Co-operatives UK open data, Open Data Commons Attribution License (ODC-By 1.0).
Public transport accessibility levels: Transport for London / GLA, OGL. Street and
footpath network © OpenStreetMap contributors (ODbL 1.0). Background map tiles ©
OpenStreetMap contributors © CARTO
(when the browser can reach them).

**Old layers.** Parks and places of worship (2019) and Jobcentre Plus offices (2016) are more
than five years old: places may have opened, moved or closed since. PTAL is 2015: services have
changed since (it is the latest PTAL per LSOA in open data here).

**Known gaps.**
- The Census counts **households, not dwellings**: empty homes and homes let as hostels or
  supported housing without a household are not counted; these are the homes housing
  associations' tenants lived in on Census day.
- ONS notes that some tenants **confuse council and housing association landlords** (many
  council homes were transferred to housing associations); it advises also showing the two
  together as social rented, which the data does (`social_share`).
- A Primary Care Network **with no workforce record** has unknown link-worker provision, not
  zero; link workers employed by practices, councils or charities are not in the PCN workforce
  data. Per-practice link-worker figures share the PCN's FTE out by registered patients.
- GP practices are placed at their postcode; branch surgeries are not listed. Places placed by
  postcode whose postcode no longer exists (13 Jobcentre Plus offices of 2016, 2 libraries, 7
  pharmacies of the 2025 list) are left out and named in the build manifest.
- **Credit unions** are at their registered office, not necessarily where members are served;
  a common-bond credit union serves only the members of one employer, trade or faith. One row
  per food bank organisation: Trussell Trust food banks run distribution centres not listed.
- **One PCN across London's boundary**: Loughton, Buckhurst Hill & Chigwell PCN (U01096) has one
  London practice and six in Essex; its workforce record (1.0 link-worker FTE) is filed under
  the East of England region, and the app reads London (region Y56) records only, so its FTE is
  shown as unknown here. Kept so that every figure follows one rule; named in the manifest.
- OpenStreetMap is volunteer-mapped and incomplete; it does not say which places of worship run
  community activity.

**Not bundled, and why.** **Financial inclusion** is scored from food banks and credit unions
only: money advice, debt advice and Citizens Advice offices are not in open data, so upload your
own directory to cover them. No open dataset of **specialist and
supported housing** by location, and no official list of **housing association homes by
landlord** (the Regulator of Social Housing's stock returns are not published at address level):
upload your own stock list. Your uploads stay in your browser session only.
"""
    )
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
  the Census 2021 population. **Rank in London** ranks the 33 averages, 1 = most deprived.
- **% of LSOAs in the most deprived 10% / 20%**: the share of a borough's LSOAs in national
  decile 1 / deciles 1–2.
- **Population of 2021 neighbourhoods** is the Census 2021 count of usual residents (TS007A);
  aged 65+ adds its last five five-year bands (65–69 … 85+). ONS perturbs small-area counts
  slightly, so the London sum (8,799,631) differs a little from the published total.
- **Housing association share** = housing association households ÷ all households in the LSOA;
  council share likewise; **social rented share** = both together. A borough's housing
  association households are the sum of its LSOAs' (London 2021: 376,986 of 3,423,850
  households); "in the most deprived 10% / 20%" counts those living in LSOAs in IMD decile 1 /
  deciles 1–2 of the same vintage (IoD 2025 for 2021, IoD 2019 for 2011).
- **Disability share** = residents disabled under the Equality Act ÷ all residents (TS038), a
  health-need measure.
- **Postcodes, services and boroughs**: each postcode and each place gets its borough and LSOA
  by point in polygon (a postcode point just outside the generalised boundaries, e.g. on the
  Thames, takes the nearest LSOA within 250 m). Services found by postcode use the Code-Point
  Open point of that postcode.
- **Link workers per 10,000 patients** = 10,000 × a PCN's link-worker FTE (November 2025) ÷ the
  registered patients of its member practices (December 2025). A practice's allocated FTE = the
  PCN's FTE × the practice's share of the PCN's patients.
- **Link workers per 10,000 residents (by registration)**: see *Link workers where patients
  live* below.
- **Public transport access (PTAL 2015)**: TfL's average Public Transport Access Index of the
  LSOA 2011 and its band (0 = 0; 1a up to 2.5; 1b up to 5; 2 up to 10; 3 up to 15; 4 up to 20;
  5 up to 25; 6a up to 40; 6b above): recomputing the band from the index reproduces the file's
  band for all 4,835 LSOAs. On LSOAs 2021: a split LSOA copies its parent's index and band; a
  merged LSOA takes the mean index of its parents weighted by their mid-2020 population, and
  the band of that mean (the tooltip says which). The map's colours are ColorBrewer's RdBu
  (colour-blind safe), not TfL's own palette; every band is named in the legend and tooltip.
- **ICBs**: every practice of a borough carries the same ICB in NHS England's December 2025
  practice map, so each of the 33 boroughs belongs to one of the five London ICBs; choosing an
  ICB in the sidebar selects its boroughs. A PCN's ICB is its commissioner's (the ICB of the
  sub-ICB location of most of its patients): ten PCNs have a practice in a second ICB.
- **Park access** is measured to the park's edge (points at most 50 m apart along its
  boundary), not its centre.
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
- **Where people live.** Access is measured from the 26,369 Census 2021 Output Areas of London
  (about 330 residents each), at the ONS population-weighted centroids, and each neighbourhood's
  (LSOA's) figure is the average over its Output Areas weighted by their Census 2021 residents
  (TS001; London 8,799,770). The LSOA's geometric centre is not used. For the 2011
  neighbourhoods (IoD 2019) the same Output Areas are used: by the ONS exact-fit lookup where a
  2021 neighbourhood comes from one 2011 neighbourhood (26,179 Output Areas), and by the 2011
  boundary containing the Output Area's centroid where 2011 neighbourhoods were merged in 2021
  (190 Output Areas in 22 neighbourhoods). Residents aged 65+ and disabled residents are
  published per neighbourhood only: as demand, each neighbourhood's count is spread over its
  Output Areas in proportion to their residents.
- **Walking distance** is measured on the OpenStreetMap street and footpath network where it is
  bundled (Camden, see below) and both the Output Area (or home) and the place lie in it; every
  other distance is the **straight line times the detour factor measured in Camden** (a
  setting in the Gap finder and `python -m geo gaps --detour`).
- **Places within reach**: places within the catchment (default 800 m, about 10 minutes' walk)
  of the average resident. **Residents with a place within reach**: the share of the
  neighbourhood's residents whose Output Area has at least one. **Median resident's walk**: the
  walking distance to the nearest place from where the middle resident lives (Output Areas
  ordered by distance, weighted by residents).
- **Access (E2SFCA)**: the enhanced two-step floating catchment area method (Luo & Qi 2009,
  *Health & Place* 15(4)): each service's capacity is divided by the distance-weighted residents
  of the Output Areas within its catchment, each Output Area sums those ratios for the places it
  can reach, and a neighbourhood's access is its Output Areas' average weighted by residents.
- **Need**: the weighted mean of standardised (z-score) IoD domain scores you choose (default
  health deprivation and disability, income, employment, equal weights).
- **Gap**: need rank minus access rank (both as percentiles), so +1 is the highest need with the
  lowest access. The bivariate map crosses need terciles with access terciles.
- **Bundled and mine / mine only** (sidebar): the pages use the bundled directory plus your
  uploaded services, or your uploads alone. Every point's tooltip gives its source and vintage,
  or "your upload".
- **Themes**: each bundled category serves the themes listed on the Service directory page; a
  place counts once for each theme it serves. A theme with no open data (financial inclusion,
  specialist and supported housing) is listed as *no open data: upload yours* and left out of
  the access measure, never scored as zero access.
- **Parks** are reached at their edge: the distance to a park is to the nearest of the points
  placed every 50 m or less along its boundary, and a park counts once however many of its edge
  points are in reach.
- **Link-worker access** (gap finder, *Social prescribing link workers*): link-worker FTE
  serving each neighbourhood's residents by GP registration per 10,000 residents (below), not
  by walking distance: a resident's link worker is their PCN's, wherever the practice is.
- **PTAL filter** (gap finder and pilot finder): *only neighbourhoods with PTAL 2 or lower*
  keeps the rows, map areas and pilot candidates whose PTAL 2015 band is 0, 1a, 1b or 2; ranks
  and percentiles stay London-wide.
- **Housing association households beyond walking reach** (Housing associations page): the
  Census counts households per LSOA, not addresses, so an LSOA's housing association households
  are counted beyond reach of a theme in proportion to its residents beyond reach (households x
  the share of its residents, in Output Areas, with no place of the theme within the catchment);
  your uploaded homes are measured from their own locations, on the streets where mapped.
- **Pilot finder priority** = 40% need percentile + 40% (1 - access percentile) + 20% percentile
  of housing association households (Census; your homes under *mine only*), among LSOAs with a
  gap of at least the threshold; each candidate's reason shows the sum for its first LSOA.
"""
)

st.header("Pilot planner and closures")
st.markdown(
    """
- **The problem.** The maximal covering location problem (Church & ReVelle 1974): choose at
  most N candidate sites so that the most people of the target group have a chosen site within
  the walking catchment. People are the 26,369 Census 2021 Output Areas at their
  population-weighted centres; a site reaches an Output Area when the walking distance is within
  the catchment, measured exactly as for the Gap finder (on the streets where mapped, else the
  straight line x the detour). With *count only people not yet served* on, Output Areas with a
  place of the theme within the catchment (anywhere in London, bundled and/or yours) count as
  reached already.
- **Whom to reach.** Residents (Census 2021 TS001 per Output Area); residents of
  neighbourhoods in England's most deprived 10% / 20% (IMD 2025 decile 1 / 1-2 of the LSOA
  2021); residents aged 65+ (TS007A), disabled residents (TS038) and housing association
  households (TS054) are published per LSOA only, so each LSOA's count is shared over its Output
  Areas in proportion to their residents. Deprivation is IoD 2025 on LSOA 2021 only.
- **Candidate sites.** Bundled places of the chosen categories, your uploaded services, or any
  Output Area centre (measured as a place: on the streets where mapped, else straight line x
  detour); only sites in the planning area (the sidebar's boroughs or ICB), and only people in
  it count. *Link-worker style support* has no place in open data, so nobody counts as served.
- **Solver.** HiGHS (branch-and-cut, through scipy and highspy) after exact reductions
  (people nobody can reach, identical rows merged, dominated sites dropped); with thousands of
  candidates first an LP bound by column generation and reduced-cost fixing. The answer is
  *proved optimal*, or, when the time limit is reached, the best plan found with the proved
  bound and the gap. The tests check it against brute force and PySAL's spopt. The greedy
  choice adds the site reaching most new people each step; the gap finder's comparison places
  the best candidate inside each of the top N neighbourhoods by the Gap finder's rank.
- **The map.** Each site's dashed circle has radius catchment / detour: the straight-line
  reach; where the street network is used the reach is measured on the streets, so the
  Output Areas a site newly reaches (orange points) are the exact answer.
- **What a closure costs.** People lose out when every place of the theme within their
  catchment closes. One place at a time, the loss is its *sole coverage*; the N places that
  matter most together are solved exactly (the covering interdiction problem, Church, Scaparra
  & Middleton 2004). Only places in the area close; people anywhere in London count.
"""
)

st.header("Link workers where patients live")
st.markdown(
    """
Social prescribing link workers are employed by Primary Care Networks (PCNs), so a resident's
access to one follows their GP registration, not the walking distance to a practice.

1. **PCN → practice**: each PCN's link-worker FTE (NHS England, PCN Workforce, **November
   2025**) is shared among its London practices in proportion to their registered patients
   (practice list, **December 2025**).
2. **Practice → neighbourhood**: each practice's FTE is shared over the LSOAs where its patients
   live in proportion to its patients there (Patients Registered at a GP Practice, LSOA file,
   **July 2023**, LSOA 2011 codes). Patients with no known LSOA keep their share ("residence
   unknown"); patients living outside London take theirs with them.
3. **Neighbourhood**: the FTE serving its residents is the sum over the practices its residents
   are registered with; per 10,000 residents uses Census 2021 (LSOA 2021) or mid-2020 (LSOA
   2011) population. LSOA 2011 figures move to LSOA 2021 through the ONS exact-fit lookup:
   shared by Census 2021 population where an LSOA split, summed where LSOAs merged. A borough's
   figure is the sum of its neighbourhoods'.

**The vintages differ**: where patients live is July 2023, the practice → PCN map and list
sizes December 2025 and the FTE November 2025. Practices opened since July 2023 are not in the
July 2023 file, so where their patients live is not known and their FTE is not placed (not
spread over other practices); practices merged since keep their July 2023 patients.

**Unknown, not zero.** A PCN with no workforce record has unknown FTE. A neighbourhood's FTE
counts known FTE only, so it is a lower bound wherever some residents are with such a PCN; the
pages show the share of its registered residents concerned beside it. Nothing is filled in.
Practices in no PCN have no PCN link workers. Link workers employed by practices, councils or
charities are not in the PCN workforce data.
"""
)
reg = common.registration_measure()
if reg is not None:
    f = reg.figures
    missing = reg.not_found
    st.markdown(
        f"**With the bundled data**: {f['practices_found']:,} of the {f['practices']:,} London "
        f"practices are in the July 2023 file. Of {f['fte_total']:.2f} FTE known, "
        f"{f['fte_placed']:.2f} are placed: {f['fte_london_lsoas']:.2f} on residents of London "
        f"neighbourhoods, {f['fte_outside_london']:.2f} on patients living outside London and "
        f"{f['fte_residence_unknown']:.3f} on patients whose neighbourhood is not known; "
        f"{f['fte_not_placed']:.2f} FTE are not placed (the practices below)."
    )
    st.dataframe(
        missing.reset_index()[
            ["practice_code", "name", "pcn_name", "lw_fte_allocated", "what_happens"]
        ]
        .fillna({"pcn_name": "in no PCN"})
        .rename(
            columns={
                "practice_code": "Practice code",
                "name": "Practice not in the July 2023 file",
                "pcn_name": "PCN",
                "lw_fte_allocated": "Its share of the PCN's FTE",
                "what_happens": "What happens to it",
            }
        )
        .round(4),
        hide_index=True,
        width="stretch",
        column_config={
            "PCN": st.column_config.TextColumn(width="medium"),
            "What happens to it": st.column_config.TextColumn(width="large"),
        },
    )

st.header("Walking on the streets, and the detour factor")
streets = common.streets()
if streets is None:
    st.warning("The street network is not installed; run `python -m geo build`.")
else:
    rep = streets.report
    net = rep["network"]
    reach = rep["pairs_in_reach_network_vs_straight_x_detour"]
    bands = rep["median_by_distance"]
    all_places = rep["all_places_within_2km"]["all"]
    overall = rep["nearest_per_category"]["all"]
    st.markdown(
        f"""
**The network.** OpenStreetMap extract of {", ".join(rep["covered_borough_names"])} (2021; ©
OpenStreetMap contributors, ODbL 1.0), read with pyosmium: {net["ways_walkable"]:,} of its
{net["ways_read"]:,} `highway` ways are walkable (footways, paths, steps, pedestrian streets,
living streets and roads people may walk; not motorways; not ways tagged `foot=no`, or
`access=no` / `access=private` without a `foot` tag allowing it; cycle tracks only with `foot`
access). The largest connected piece has {net["nodes"]:,} nodes and {net["length_km"]:,.0f} km
of ways (edges at most 50 m). Shortest paths are Dijkstra's (`scipy.sparse.csgraph`); each end
joins the nearest node in a straight line (at most {rep["snap_limit_m"]:g} m). A pair is
measured on the network when both ends lie in a borough the extract covers completely
({rep["oas_covered"]:,} Output Areas, {rep["residents_covered"]:,} residents); everywhere else,
and across the borough boundary, it is the straight line x the detour factor.

**The detour factor**, measured on that network: for each of the {overall["oas"]:,} Output Areas
and each kind of place, the nearest place of that kind by straight line within 2 km, walking
distance on the network divided by the straight distance ({overall["pairs"]:,} pairs). Median
**{rep["detour_default"]:.3f}** (the default detour), middle half
{overall["q25"]:.2f}-{overall["q75"]:.2f}, 10th-90th percentile {overall["p10"]:.2f}-{overall["p90"]:.2f}. Measured
over *all* places within 2 km instead of the nearest of each kind, the median is
{all_places["median"]:.3f}: the ratio **falls with distance** (median {bands["0-100 m"]["median"]:.2f}
under 100 m, {bands["400-600 m"]["median"]:.2f} at 400-600 m, {bands["1000-1200 m"]["median"]:.2f}
at 1-1.2 km, {bands["1200-1600 m"]["median"]:.2f} at 1.2-1.6 km). So one factor understates
reach at long catchments: in Camden, straight line x {rep["detour_default"]:.3f} puts
{reach["1600"]["straight_x_detour"]:,} Output Area-place pairs within 1,600 m where the network
finds {reach["1600"]["network"]:,} ({1 - reach["1600"]["straight_x_detour"] / reach["1600"]["network"]:.0%}
fewer), and {reach["800"]["straight_x_detour"]:,} within 800 m against
{reach["800"]["network"]:,} on the network. Short trips are the ones whose nearest place is
close, so the median of the nearest is the factor used; change it in the settings.
"""
    )
    st.dataframe(
        detour_table(rep, {k: v["label"] for k, v in CATEGORIES.items()}),
        hide_index=True,
        width="stretch",
        column_config={"Median": st.column_config.NumberColumn(format="%.3f")},
    )
    st.caption(
        "Detour = walking distance on the street network / straight-line distance, Output Area "
        "centroid to the nearest place of each kind (a park at its nearest edge point). Pairs: "
        "Output Area-place pairs measured (Jobcentre Plus: only the Output Areas with an office "
        "within 2 km)."
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
