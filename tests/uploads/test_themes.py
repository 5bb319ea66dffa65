"""Tests for geo.uploads.themes: keyword assignment of synthetic service texts to the HA themes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.data.themes import OTHER, THEMES
from geo.uploads.themes import THEME_KEYWORDS, assign_theme


def test_theme_order_and_other_last() -> None:
    assert THEMES == (
        "Employment support",
        "Financial inclusion",
        "Digital inclusion",
        "Health and wellbeing",
        "Safer, stronger communities",
        "Physical environment",
        "Specialist and supported housing",
        "Other",
    )
    assert set(THEME_KEYWORDS) == set(THEMES[:-1])


@pytest.mark.parametrize(
    ("text", "theme"),
    [
        ("Synthetic job club: CV writing and interviews", "Employment support"),
        ("Apprenticeships for young adults", "Employment support"),
        ("Debt and money advice", "Financial inclusion"),
        ("Universal Credit and welfare rights", "Financial inclusion"),
        ("Synthetic food bank", "Financial inclusion"),
        ("Computer classes and free wifi", "Digital inclusion"),
        ("Get online: IT help for beginners", "Digital inclusion"),
        ("Mental health peer support", "Health and wellbeing"),
        ("Walking group to tackle loneliness", "Health and wellbeing"),
        ("Social prescribing link worker", "Health and wellbeing"),
        ("Well-being cafe", "Health and wellbeing"),
        ("Youth club and volunteering", "Safer, stronger communities"),
        ("Tackling ASB and crime on the estate", "Safer, stronger communities"),
        ("Community garden and allotments", "Physical environment"),
        ("Greenspace improvement", "Physical environment"),
        ("Community centre meeting room hire", "Physical environment"),
        ("Sheltered housing scheme", "Specialist and supported housing"),
        ("Supported housing for rough sleepers", "Specialist and supported housing"),
        ("Synthetic knitting circle", OTHER),
        ("", OTHER),
        ("   ", OTHER),
    ],
)
def test_keyword_assignment(text: str, theme: str) -> None:
    assert assign_theme(pd.Series([text])).iloc[0] == theme


@pytest.mark.parametrize("theme", THEMES)
def test_exact_theme_names_map_directly(theme: str) -> None:
    variants = [theme, theme.upper(), f"  {theme.lower()} ", theme.replace(",", "")]
    if " and " in theme:
        variants.append(theme.replace(" and ", " & "))
    assert assign_theme(pd.Series(variants)).tolist() == [theme] * len(variants)


def test_it_is_case_sensitive_but_other_words_are_not() -> None:
    out = assign_theme(pd.Series(["Drop in, it is open to all", "IT support", "DEBT ADVICE"]))
    assert out.tolist() == [OTHER, "Digital inclusion", "Financial inclusion"]


def test_most_hits_win_and_ties_go_to_earlier_theme() -> None:
    out = assign_theme(
        pd.Series(
            [
                "Digital skills: computers, laptops and wifi for job seekers",  # 4 digital, 1 job
                "Job and debt",  # tie: employment listed first
            ]
        )
    )
    assert out.tolist() == ["Digital inclusion", "Employment support"]


def test_words_inside_other_words_do_not_match() -> None:
    # "park" in "parking", "job" in "jobbing" text, "debt" in "indebted" are not keywords
    out = assign_theme(pd.Series(["Parking permits", "Indebtedness statistics"]))
    assert out.tolist() == [OTHER, OTHER]


def test_missing_and_non_text_values_give_other_and_index_kept() -> None:
    s = pd.Series([None, np.nan, 3, "health"], index=["a", "b", "c", "d"])
    out = assign_theme(s)
    assert out.index.tolist() == ["a", "b", "c", "d"]
    assert out.tolist() == [OTHER, OTHER, OTHER, "Health and wellbeing"]
    assert isinstance(out.dtype, pd.CategoricalDtype)
    assert list(out.cat.categories) == list(THEMES)
    assert out.cat.ordered


def test_empty_series() -> None:
    out = assign_theme(pd.Series([], dtype="str"))
    assert len(out) == 0 and list(out.cat.categories) == list(THEMES)


def test_many_repeated_texts_are_fast() -> None:
    s = pd.Series(["Synthetic debt advice", "Synthetic walking group", None] * 100_000)
    out = assign_theme(s)
    assert out.value_counts()[OTHER] == 100_000
