"""Commissioners' geographies and the new indicators, run headless with AppTest on the bundled
data: the ICB choice, the PCN view (TOWER NETWORK PCN), PTAL and link workers by registration
on the map (issue 18)."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from geo.analysis import registration
from geo.data import io
from tests.conftest import ROOT

TIMEOUT = 180
TOWER_NETWORK = "U37286"  # TOWER NETWORK PCN, Tower Hamlets
NORTH_EAST = "QMF"


def _app(**query) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _query(at: AppTest) -> dict[str, str]:
    return {k: v if isinstance(v, str) else ",".join(v) for k, v in at.query_params.items()}


def _map_script(at: AppTest) -> str:
    maps = [c for c in at.get("component_instance") if "folium" in c.proto.component_name]
    args = json.loads(maps[0].proto.json_args)
    return args["script"] + (args.get("feature_group") or "")


def test_icb_choice_filters_the_overview_and_is_kept_in_the_url():
    at = _app()
    assert not at.exception
    icbs = io.load_icbs()
    boroughs = icbs.loc[NORTH_EAST, "borough_codes"].split("; ")
    at.sidebar.selectbox(key="icb").select(NORTH_EAST).run()
    assert not at.exception, [e.value for e in at.exception]
    assert sorted(at.session_state["boroughs"]) == sorted(boroughs)
    lsoas = io.load_lsoas("iod2025")
    n = int(lsoas["borough_code"].isin(boroughs).sum())
    assert _metric(at, "Neighbourhoods shown") == f"{n:,}"
    assert _query(at) == {"icb": NORTH_EAST}
    # removing one borough by hand leaves the ICB
    at.sidebar.multiselect(key="boroughs").unselect(boroughs[0]).run()
    assert at.session_state["icb"] == ""
    assert _query(at) == {"borough": ",".join(boroughs[1:])}
    # clearing the ICB goes back to all London
    at.sidebar.selectbox(key="icb").select(NORTH_EAST).run()
    at.sidebar.selectbox(key="icb").select("").run()
    assert _metric(at, "Neighbourhoods shown") == "4,994"


def test_icb_link_selects_its_boroughs_on_every_page():
    at = _app(icb="QKK")
    assert not at.exception
    boroughs = set(io.load_icbs().loc["QKK", "borough_codes"].split("; "))
    assert set(at.session_state["boroughs"]) == boroughs
    for page in ("app_pages/borough.py", "app_pages/gaps.py", "app_pages/pcn.py"):
        at.switch_page(page).run()
        assert not at.exception, (page, [e.value for e in at.exception])
        assert _query(at).get("icb") == "QKK"
    # the PCN view lists only the PCNs South East London commissions
    options = at.main.selectbox[0].options
    pcns = io.load_link_workers()
    codes = {o[o.rindex("(") + 1 : -1] for o in options}
    assert codes and set(pcns.loc[list(codes), "icb_code"]) == {"QKK"}


def test_pcn_view_of_tower_network_pcn():
    at = _app(pcn=TOWER_NETWORK)
    at.switch_page("app_pages/pcn.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.header[0].value == f"TOWER NETWORK PCN ({TOWER_NETWORK})"
    pcns = io.load_link_workers()
    row = pcns.loc[TOWER_NETWORK]
    assert _metric(at, "Link-worker FTE (November 2025)") == f"{row.lw_fte:.2f}"
    assert _metric(at, "FTE per 10,000 registered patients") == f"{row.lw_per_10k:.2f}"
    assert _metric(at, "Practices") == str(row.n_practices)
    practices = at.dataframe[0].value
    assert sorted(practices.index) == sorted(row.practice_codes.split("; "))
    assert set(practices["Borough"]) == {"Tower Hamlets"}
    # where its patients live: from the July 2023 file, shares of each LSOA's patients
    hoods = at.dataframe[1].value
    assert len(hoods) == 15 and hoods["Patients of this PCN"].is_monotonic_decreasing
    assert hoods["% of registered residents"].between(0, 100).all()
    assert set(hoods["Borough"]) == {"Tower Hamlets"}
    assert "IMD decile" in hoods.columns and "Gap (services, default settings)" in hoods.columns
    reg = io.load_registrations()
    mine = reg[reg["practice_code"].isin(practices.index)]
    assert _metric(at, "Patients in July 2023") == f"{mine['patients'].sum():,.0f}"
    # the map of where its patients live, with its practices
    script = _map_script(at)
    assert "share of the neighbourhood" in script
    assert "TOWER NETWORK PCN" in script or "Link workers per 10,000 patients" in script
    assert _query(at)["pcn"] == TOWER_NETWORK
    labels = [b.label for b in at.get("download_button")]
    assert any("report of this PCN" in label for label in labels)


def test_pcn_view_of_a_pcn_without_a_workforce_record_says_unknown():
    pcns = io.load_link_workers()
    code = "U01096"  # the cross-border PCN: its record is under the East of England region
    assert not pcns.loc[code, "has_workforce_record"]
    at = _app(pcn=code)
    at.switch_page("app_pages/pcn.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert _metric(at, "Link-worker FTE (November 2025)") == "unknown"
    assert any("no London workforce record" in i.value for i in at.info)


def test_pcn_view_unknown_code_warns():
    at = _app(pcn="U99999")
    at.switch_page("app_pages/pcn.py").run()
    assert not at.exception
    assert any("Unknown PCN code 'U99999'" in w.value for w in at.warning)
    assert not at.metric


@pytest.mark.parametrize(
    ("indicator", "phrase"),
    [
        ("ptal", "Public transport access (PTAL 2015)"),
        ("lw_per_10k", "Link workers per 10,000 residents (by registration)"),
    ],
)
def test_new_map_indicators(indicator, phrase):
    at = _app(indicator=indicator, borough="E09000030")
    assert not at.exception, [e.value for e in at.exception]
    script = _map_script(at)
    assert phrase in script
    if indicator == "ptal":
        assert "not TfL" in script and "PTAL 1b (very poor)" in script
    else:
        assert "lower bound" in script


def test_services_page_lists_the_new_categories():
    at = _app()
    at.switch_page("app_pages/services.py").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Known gaps" in d.value.columns)
    labels = set(table.iloc[:, 0])
    assert {"Food banks", "Credit unions (registered offices)"} <= labels
    text = " ".join(m.value for m in at.markdown)
    assert "Citizens Advice" in text  # financial inclusion: covered only in part
    no_data = text[text.index("Themes with no open data") : text.index("Themes covered only")]
    assert "Specialist and supported housing" in no_data
    assert "Financial inclusion" not in no_data


def test_compare_boroughs_by_registration():
    at = _app(indicator="lw_per_10k")
    at.session_state["compare_boroughs"] = True
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    col = "Link-worker FTE per 10,000 residents (by registration)"
    assert len(table) == 33 and table[col].is_monotonic_decreasing  # sorted by it
    lsoas = io.load_lsoas("iod2025")
    svc = io.load_services()
    m = registration.measure(
        svc[svc["category"].eq("gp_practice")],
        io.load_link_workers(),
        io.load_registrations(),
        lsoas,
        io.load_lsoas("iod2019"),
    )
    fte = m.lsoa21["lw_fte"].groupby(lsoas["borough_code"]).sum()
    pop = lsoas["population"].groupby(lsoas["borough_code"]).sum()
    expected = (10_000 * fte / pop).round(2)
    assert table[col].to_dict() == expected.reindex(table.index).to_dict()
