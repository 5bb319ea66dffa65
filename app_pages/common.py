"""Shared UI: cached data, the sidebar selection kept in the URL, sources, local map assets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import folium
import folium.plugins
import geopandas as gpd
import pandas as pd
import streamlit as st

from geo.analysis import gapview as gv
from geo.analysis import provision, registration, walkaccess
from geo.analysis.selection import MEASURE_LABELS, Selection, from_query, icb_boroughs
from geo.data import io
from geo.data.directory import CATEGORIES, NO_OPEN_DATA
from geo.data.indicators import DOMAINS, EXTRA_INDICATORS, INDICATOR_LABELS, VINTAGES
from geo.data.themes import THEMES

ALL_THEMES = "All themes"
ASSETS = "/app/static/vendor"

SOURCES_SHORT = (
    "Boundaries: ONS and London Datastore (Census 2011/2021 LSOAs, boroughs). "
    "Deprivation: English Indices of Deprivation 2025 and 2019, MHCLG. Population and "
    "households: ONS Census 2021 (LSOA 2021), mid-2020 estimates and Census 2011 (LSOA 2011). "
    "Services: NHS England (GP practices, PCNs, link workers, Dec/Nov 2025; where patients "
    "live, July 2023), NHS England ODS (pharmacies, March 2025), Arts Council England "
    "(libraries, 2023), GLA (community centres, 2022), OS Open Greenspace (parks, 2019), "
    "OpenStreetMap contributors (places of worship, 2019, ODbL), DWP (Jobcentre Plus, 2016), "
    "Give Food (givefood.org.uk; food banks, 2024), Co-operatives UK (credit unions, 2023, "
    "ODC-By 1.0). Public transport: TfL PTAL 2015. Where people live: ONS Output Area "
    "population-weighted centroids and Census 2021 (TS001). Walking network: OpenStreetMap "
    "contributors (Camden, 2021, ODbL). "
    "Contains National Statistics data © Crown copyright and database right. Contains Ordnance "
    "Survey data © Crown copyright and database right. Open Government Licence v3.0."
)


def use_local_assets() -> None:
    """Point folium at the vendored Leaflet files so maps draw without a CDN."""
    folium.Map.default_js = [("leaflet", f"{ASSETS}/leaflet/leaflet.js")]
    folium.Map.default_css = [("leaflet_css", f"{ASSETS}/leaflet/leaflet.css")]
    cluster_js = [("markerclusterjs", f"{ASSETS}/markercluster/leaflet.markercluster.js")]
    cluster_css = [
        ("markerclustercss", f"{ASSETS}/markercluster/MarkerCluster.css"),
        ("markerclusterdefaultcss", f"{ASSETS}/markercluster/MarkerCluster.Default.css"),
    ]
    for cls in (folium.plugins.MarkerCluster, folium.plugins.FastMarkerCluster):
        cls.default_js = cluster_js
        cls.default_css = cluster_css


def per_session(slot: str, key: tuple, compute: Callable[[], Any]) -> Any:
    """The value kept in ``st.session_state[slot]`` for ``key``, computed when the key changes."""
    held = st.session_state.get(slot)
    if held is not None and held[0] == key:
        return held[1]
    value = compute()
    st.session_state[slot] = (key, value)
    return value


def keep_widgets(defaults: dict[str, Any]) -> None:
    """Widget values kept across page switches.

    Streamlit forgets a widget's key when its page is not drawn, so each key has a ``_key``
    copy: a missing key is restored from its copy (else ``defaults``), then the copy is updated.
    """
    for key, value in defaults.items():
        if key not in st.session_state:
            st.session_state[key] = st.session_state.get(f"_{key}", value)
        st.session_state[f"_{key}"] = st.session_state[key]


@st.cache_data(show_spinner="Loading neighbourhoods…")
def lsoas(vintage: str, web: bool = False) -> gpd.GeoDataFrame:
    """LSOAs with deprivation (cached per vintage)."""
    return io.load_lsoas(vintage, web=web)


@st.cache_data(show_spinner=False)
def boroughs(vintage: str, web: bool = False) -> gpd.GeoDataFrame:
    """Boroughs with summaries (cached per vintage)."""
    return io.load_boroughs(vintage, web=web)


@st.cache_data(show_spinner=False)
def manifest() -> dict:
    return io.load_manifest()


@st.cache_data(show_spinner=False)
def postcodes() -> pd.DataFrame | None:
    return io.load_postcodes()


# --------------------------------------------------------------------------------------------
# bundled data (services, parks, link workers): shared read-only across sessions
# --------------------------------------------------------------------------------------------
MODE_KEY = "data_mode"


def _load(loader: Callable[[], Any]) -> Any:
    """``loader()`` (an ``io.load_*`` function), or None when that bundled layer is missing or
    unreadable: the pages then say that no bundled data is installed."""
    try:
        return loader()
    except io.DataError:
        return None


@st.cache_resource(show_spinner="Loading the service directory…")
def bundled_directory() -> gpd.GeoDataFrame | None:
    """The bundled services and parks as points (:func:`geo.analysis.provision.bundled_directory`).

    Shared by every session (cache_resource): callers must not modify it.
    """
    services = _load(io.load_services)
    if services is None:
        return None
    return provision.bundled_directory(
        services, _load(io.load_parks), categories=CATEGORIES, no_open_data=NO_OPEN_DATA
    )


@st.cache_resource(show_spinner=False)
def park_edges() -> gpd.GeoDataFrame | None:
    return _load(io.load_park_edges)


@st.cache_resource(show_spinner=False)
def bundled_supply() -> gpd.GeoDataFrame | None:
    """The bundled directory for access measures (parks as their edge points)."""
    directory = bundled_directory()
    return None if directory is None else provision.access_supply(directory, park_edges())


@st.cache_resource(show_spinner=False)
def link_workers() -> pd.DataFrame | None:
    return _load(io.load_link_workers)


def gp_practices() -> gpd.GeoDataFrame | None:
    """The bundled GP practices (with PCN and link-worker columns), or None."""
    directory = bundled_directory()
    if directory is None:
        return None
    return directory[directory["category"].eq("gp_practice").to_numpy()]


@st.cache_resource(show_spinner="Placing link workers where patients live…")
def registration_measure() -> registration.RegistrationMeasure | None:
    """Link workers by GP registration (:func:`geo.analysis.registration.measure`), bundled
    data only; None when a bundled table is missing. Shared read-only across sessions."""
    gps = gp_practices()
    pcns = link_workers()
    reg = _load(io.load_registrations)
    if gps is None or pcns is None or reg is None:
        return None
    return registration.measure(gps, pcns, reg, lsoas("iod2025"), lsoas("iod2019"))


def lw_by_registration(vintage: str) -> pd.DataFrame | None:
    """The link-worker measure by registration on the vintage's LSOAs, or None."""
    m = registration_measure()
    return None if m is None else m.lsoas(vintage)


@st.cache_resource(show_spinner=False)
def icbs() -> pd.DataFrame | None:
    """London's five ICBs (``io.load_icbs``), or None when the table is not installed."""
    return _load(io.load_icbs)


# --------------------------------------------------------------------------------------------
# walking access: Output Areas, the street network, the measured detour (geo.analysis.walkaccess)
# --------------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def oas() -> pd.DataFrame | None:
    """The London Output Areas (where people live); shared read-only."""
    return _load(io.load_oas)


@st.cache_resource(show_spinner=False)
def streets() -> walkaccess.Streets | None:
    """The street network the build made, the area it covers and the measured detour."""
    report = _load(io.load_detour)
    network = _load(io.load_walk_network)
    if report is None or network is None:
        return None
    return walkaccess.streets_context(network, io.load_boroughs("iod2025"), report)


def detour_default() -> float | None:
    """The detour factor measured by the build (None when no street data is installed)."""
    context = streets()
    return None if context is None else context.detour


@st.cache_resource(show_spinner="Measuring walking distances from every Output Area…")
def bundled_model(detour: float, distance: str = "streets") -> walkaccess.AccessModel | None:
    """The bundled directory's access model for one detour (shared read-only, per process)."""
    sup, areas = bundled_supply(), oas()
    if sup is None or areas is None:
        return None
    return walkaccess.bundled_model(
        areas, sup, streets(), _load(io.load_oa_place_network), detour=detour, distance=distance
    )


def upload_model(detour: float, distance: str = "streets") -> walkaccess.AccessModel | None:
    """The access model of the session's uploaded services, measured once per upload, detour
    and distance (kept in the session only)."""
    mine = st.session_state.get("services")
    areas = oas()
    if mine is None or not len(mine) or areas is None:
        return None
    key = (gv.frame_digest(mine), detour, distance)
    held = st.session_state.get("_upload_model")
    if held is not None and held[0] == key:
        return held[1]
    points = provision.access_supply(provision.combine(None, mine, "mine"), park_edges())
    model = walkaccess.upload_model(areas, points, streets(), detour=detour, distance=distance)
    st.session_state["_upload_model"] = (key, model)
    return model


def access_model(
    mode: str | None, detour: float, distance: str = "streets"
) -> walkaccess.AccessModel | None:
    """The access model of the places the pages use (bundled and/or mine, per the data mode)."""
    mode = mode or data_mode()
    mine = upload_model(detour, distance)
    bundled = bundled_model(detour, distance) if mode == "both" else None
    if bundled is not None and mine is not None:
        key = (id(bundled), id(mine))
        held = st.session_state.get("_combined_model")
        if held is not None and held[0] == key:
            return held[1]
        combined = walkaccess.combine(bundled, mine)
        st.session_state["_combined_model"] = (key, combined, bundled, mine)
        return combined
    return bundled if bundled is not None else mine


@st.cache_data(show_spinner="Measuring need and access across London…")
def bundled_gaps(vintage: str) -> pd.DataFrame | None:
    """The gap table with default settings on the bundled directory (all themes, 800 m, the
    measured detour)."""
    detour = detour_default()
    model = bundled_model(detour) if detour is not None else None
    if model is None:
        return None
    params = gv.GapParams(vintage=vintage, detour=detour)
    table = gv.compute_gaps(lsoas(vintage), model, params)
    return registration.add_registration(table, lw_by_registration(vintage))


def data_mode() -> str:
    """ "both" (bundled and mine) or "mine" (mine only), as chosen in the sidebar."""
    mode = st.session_state.get(MODE_KEY, "both")
    return mode if mode in provision.MODES else "both"


def directory(mode: str | None = None) -> gpd.GeoDataFrame | None:
    """Places to show: bundled and/or the user's services (one point per place).

    Kept in the session for the same upload and mode (combining thousands of uploaded
    services with the bundled places took about 50 ms of every rerun); callers must not
    modify it.
    """
    mode = mode or data_mode()
    mine = st.session_state.get("services")
    memo = st.session_state.get("_directory_memo")
    if memo is not None and memo[0] is mine and memo[1] == mode:
        return memo[2]
    out = provision.combine(bundled_directory(), mine, mode)
    st.session_state["_directory_memo"] = (mine, mode, out)  # holds mine: `is` stays valid
    return out


def supply(mode: str | None = None) -> gpd.GeoDataFrame | None:
    """Places for access measures (parks as edge points), per the data mode."""
    mode = mode or data_mode()
    mine = st.session_state.get("services")
    if mode == "both" and (mine is None or not len(mine)):
        return bundled_supply()
    combined = provision.combine(bundled_directory(), mine, mode)
    return None if combined is None else provision.access_supply(combined, park_edges())


def mode_caption(uses: str = "services") -> bool:
    """State which data the page uses; explain "mine only" without an upload.

    Returns False when there is nothing to use ("mine only" and no upload).
    """
    mode = data_mode()
    mine = st.session_state.get("services" if uses == "services" else "stock")
    n_mine = 0 if mine is None else len(mine)
    bundled_dir = bundled_directory()
    what = "service directory" if uses == "services" else "stock list"
    if mode == "mine" and n_mine == 0:
        st.info(
            f"**Data used: mine only.** You chose *mine only* in the sidebar but have not "
            f"uploaded a {what}, so there is nothing of yours to show here. Upload one under "
            "*Your data*, or choose *Bundled and mine* in the sidebar to use the official "
            "open data bundled with the app.",
            icon=":material/info:",
        )
        return False
    if mode == "mine":
        st.caption(f"**Data used: mine only**: your upload ({n_mine:,} rows), no bundled data.")
    elif bundled_dir is None:
        st.caption(
            "**Data used: bundled and mine**: no bundled directory is installed; "
            + (f"your upload ({n_mine:,} rows)." if n_mine else "no upload yet.")
        )
    else:
        st.caption(
            f"**Data used: bundled and mine**: the bundled open data ({len(bundled_dir):,} "
            "places: GP practices, pharmacies, libraries, community centres, parks, places of "
            "worship, Jobcentre Plus, food banks, credit unions)"
            + (f" plus your upload ({n_mine:,} rows)." if n_mine else "; no upload of yours.")
            + " Switch in the sidebar."
        )
    return True


def theme_options() -> list[str]:
    return [ALL_THEMES, *THEMES]


def _init_from_url(borough_codes: set[str], icb_map: dict[str, tuple[str, ...]]) -> None:
    """Seed the widgets from the URL once per session."""
    if st.session_state.get("_url_loaded"):
        return
    sel = from_query(
        st.query_params.to_dict() | {"borough": st.query_params.get_all("borough")},
        borough_codes=borough_codes,
        themes=theme_options(),
        icbs=icb_map,
    )
    st.session_state.update(
        {
            "vintage": sel.vintage,
            "domain": sel.domain,
            "measure": sel.measure,
            "icb": sel.icb,
            "boroughs": list(sel.boroughs),
            "deciles": sel.deciles,
            "theme": sel.theme,
            "_url_loaded": True,
            "_url_warnings": list(sel.warnings),
            # the PCN view's own parameter (the sidebar rewrites the URL before it runs)
            "_pcn": st.query_params.get("pcn"),
            # the Pilot planner's and the closure page's own parameters (plan_*, close_*)
            "_page_query": {
                k: v
                for k, v in st.query_params.to_dict().items()
                if k.startswith(("plan_", "close_"))
            },
        }
    )


# A focus ring on every control that Streamlit draws without one (WCAG 2.4.7): its page links,
# heading anchors, expander headers, table frames and buttons show nothing, or only a faint
# shadow, when reached with the keyboard; selects show a 1 px border; a table's toolbar
# buttons take the focus while the toolbar is transparent. The ring (3 px, the
# theme's primary blue, 8:1 on white) appears with :focus-visible only, so not on mouse clicks.
FOCUS_CSS = """<style>
[data-testid="stSidebar"] a:focus-visible, [data-testid="stMain"] a:focus-visible,
[data-testid="stBottom"] a:focus-visible, button:focus-visible, summary:focus-visible,
[data-testid="stDataFrameResizable"]:focus-visible, [data-testid="stMain"]:focus-visible,
[data-baseweb="select"]:focus-within > div, [data-testid="stSlider"] [role="slider"]:focus-visible,
[data-testid="stFileUploaderDropzone"]:focus-within {
    outline: 3px solid #08519c !important; outline-offset: 2px !important;
}
/* a table's toolbar (columns, download, search, full screen) stays transparent while one of
   its buttons has the keyboard focus: show it */
[data-testid="stElementToolbar"]:focus-within { opacity: 1 !important; }
</style>"""


def focus_style() -> None:
    """Add :data:`FOCUS_CSS` to the page (an element with a style sheet only takes no space)."""
    st.html(FOCUS_CSS)


def page_links(sections: dict[str, list[Any]]) -> None:
    """The app's own page list in the sidebar: a bold section name, then one link per page.

    Used with ``st.navigation(position="hidden")``: Streamlit's sectioned list puts the
    section headings inside its ``<ul>`` as ``<div>`` elements (invalid list markup, WCAG
    1.3.1). ``st.page_link`` switches pages within the session, so uploads are kept.
    """
    with st.sidebar.container(key="spm_pages"):
        for section, section_pages in sections.items():
            st.markdown(f"**{section}**")
            for page in section_pages:
                st.page_link(page)


def accessibility_link(page: Any) -> None:
    """A link to the accessibility statement at the foot of the page (the sidebar's page list
    is folded away on narrow screens)."""
    st.divider()
    st.page_link(page, label="Accessibility statement", icon=":material/accessibility:")


def _icb_chosen(icb_map: dict[str, tuple[str, ...]]) -> None:
    """An ICB was chosen: select its boroughs (all of London when cleared)."""
    st.session_state["boroughs"] = list(icb_map.get(st.session_state.get("icb") or "", ()))


def _boroughs_changed(icb_map: dict[str, tuple[str, ...]]) -> None:
    """Boroughs were changed by hand: the ICB stays only while they are exactly its own."""
    icb = st.session_state.get("icb") or ""
    if icb and set(st.session_state.get("boroughs", [])) != set(icb_map.get(icb, ())):
        st.session_state["icb"] = ""


def sidebar_selection() -> Selection:
    """The filters in the sidebar; their values are written back to the URL every run."""
    names = boroughs("iod2025")["borough_name"].sort_values()
    icb_table = icbs()
    icb_map = icb_boroughs(icb_table) if icb_table is not None else {}
    _init_from_url(set(names.index), icb_map)
    for warning in st.session_state.pop("_url_warnings", []):
        st.warning(warning)
    sb = st.sidebar
    sb.header("Show")
    if icb_map:
        short = icb_table["short_name"].to_dict()
        sb.selectbox(
            "Integrated Care Board (ICB)",
            options=["", *sorted(icb_map, key=lambda c: short.get(c, c))],
            format_func=lambda c: short.get(c, c) if c else "All of London",
            key="icb",
            on_change=_icb_chosen,
            args=(icb_map,),
            help="Commissioners: choosing an ICB selects the boroughs it commissions for.",
        )
    else:
        st.session_state["icb"] = ""
    sb.multiselect(
        "Borough",
        options=list(names.index),
        format_func=lambda code: names[code],
        key="boroughs",
        on_change=_boroughs_changed,
        args=(icb_map,),
        placeholder="All of London",
        help="Pick one or more boroughs; the map zooms to them.",
    )
    sb.selectbox(
        "Indicator",
        options=[*DOMAINS, *EXTRA_INDICATORS],
        format_func=INDICATOR_LABELS.get,
        key="domain",
        help="The Index of Multiple Deprivation or one of its seven domains; housing "
        "association households (Census) or link workers per 10,000 patients (NHS England).",
    )
    sb.radio(
        "Measure",
        options=list(MEASURE_LABELS),
        format_func=MEASURE_LABELS.get,
        key="measure",
        horizontal=True,
    )
    sb.slider(
        "Deciles shown (1 = England's most deprived 10%)",
        min_value=1,
        max_value=10,
        key="deciles",
    )
    sb.radio(
        "Deprivation data",
        options=list(VINTAGES),
        format_func=lambda v: VINTAGES[v]["label"],
        key="vintage",
        help="IoD 2025 is the latest; IoD 2019 uses the 2011 neighbourhood boundaries.",
    )
    sb.selectbox("Service theme", options=theme_options(), key="theme")
    sb.radio(
        "Services and homes used",
        options=list(provision.MODES),
        format_func=provision.MODES.get,
        key=MODE_KEY,
        help="Bundled and mine: the official open data bundled with the app plus your "
        "uploads. Mine only: your uploads alone.",
    )
    sel = Selection(
        vintage=st.session_state["vintage"],
        domain=st.session_state["domain"],
        measure=st.session_state["measure"],
        icb=st.session_state.get("icb") or "",
        boroughs=tuple(st.session_state["boroughs"]),
        deciles=tuple(st.session_state["deciles"]),
        theme=st.session_state["theme"],
    )
    st.query_params.from_dict(sel.to_query())
    return sel


def uploads_status() -> None:
    """What the user has uploaded in this session (drawn after the page, so it is current)."""
    sb = st.sidebar
    homes = st.session_state.get("stock")
    services = st.session_state.get("services")
    sb.divider()
    # one element, not three: every element adds to the page's first render (first map paint)
    sb.caption(
        "Your data (kept only in this browser session)  \n"
        + (f"Homes: {len(homes):,}" if homes is not None else "Homes: none uploaded")
        + "  \n"
        + (f"Services: {len(services):,}" if services is not None else "Services: none uploaded")
    )


def number_formats(frame: pd.DataFrame) -> dict:
    """``st.dataframe`` column formats: thousands separators for counts, one decimal for
    percentages (columns whose name starts with "%" or holds "% ")."""
    return {
        c: st.column_config.NumberColumn(
            format="%.1f" if c.startswith("%") or "% " in c else "localized"
        )
        for c in frame.columns
        if pd.api.types.is_numeric_dtype(frame[c])
    }


def sources_caption() -> None:
    """Source, vintage and licence of every layer on the map, under it."""
    uploaded = [
        name
        for key, name in (("stock", "homes"), ("services", "services"))
        if st.session_state.get(key) is not None
    ]
    mine = (
        f" {' and '.join(uploaded).capitalize()}: your upload, kept only in this session."
        if uploaded
        else ""
    )
    st.caption(SOURCES_SHORT + mine + " Details: Data and method page.")
