"""The PCN view's list of PCNs (real bundled tables)."""

from __future__ import annotations

from geo.analysis import pcnview
from geo.data import io


def test_pcn_list_least_provision_first_and_unknown_last():
    pcns = io.load_link_workers()
    codes = pcnview.pcn_options(pcns)
    listed = pcnview.pcn_list(pcns, codes, io.load_icbs()["short_name"])
    assert sorted(listed.index) == sorted(codes)
    known = listed["FTE per 10,000 patients"].dropna()
    assert known.is_monotonic_increasing
    unknown = listed[listed["Link-worker FTE"].isna()]
    assert len(unknown) == int((~pcns.loc[codes, "has_workforce_record"]).sum()) > 0
    assert list(listed.index[-len(unknown) :]) == list(unknown.index)  # last, not zero
    assert set(listed["ICB"].dropna()) <= set(io.load_icbs()["short_name"]) | set(pcns["icb_code"])
    tower = pcns.index[pcns["pcn_name"].eq("TOWER NETWORK PCN")][0]
    assert listed.loc[tower, "Practices"] == pcns.loc[tower, "n_practices"]
