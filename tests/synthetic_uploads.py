"""Helpers shared by the upload tests (tables, columns, locate, Open Referral).

All data is synthetic and written by the tests themselves ("synthetic" names, invented
postcodes/coordinates).
"""

from __future__ import annotations

import pandas as pd

from geo.uploads import REJECTION_REASONS, summarise_upload

WEST = "E09999991"
EAST = "E09999992"


def synthetic_csv(header: str, *rows: str, encoding: str = "utf-8") -> bytes:
    """A synthetic CSV file's bytes from a header line and data lines."""
    return ("\n".join([header, *rows]) + "\n").encode(encoding)


def check_invariant(df: pd.DataFrame, accepted: pd.DataFrame, rejected: pd.DataFrame) -> None:
    """Every input row is in exactly one output, with its row number."""
    assert len(accepted) + len(rejected) == len(df)
    assert set(accepted.index).isdisjoint(rejected.index)
    assert sorted([*accepted.index, *rejected.index]) == sorted(df.index)
    assert set(rejected["reason"]) <= set(REJECTION_REASONS)
    summary = summarise_upload(accepted, rejected, rows_read=len(df))
    assert summary["accepted"] + summary["rejected"] == len(df)
    assert sum(summary["by_reason"].values()) == len(rejected)


def reasons(rejected: pd.DataFrame) -> dict[int, str]:
    """Row number -> rejection reason."""
    return dict(zip(rejected["row"], rejected["reason"], strict=True))
