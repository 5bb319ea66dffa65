"""``python -m geo gaps``: the gap table on the command line is the Gap finder's (AppTest)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from geo import cli
from geo.cli import gaps as gaps_cli
from geo.data import io

THEME = "Digital inclusion"
CAMDEN = "E09000007"


@pytest.fixture(scope="module")
def cli_csv(tmp_path_factory) -> pd.DataFrame:
    path = tmp_path_factory.mktemp("cli") / "gaps.csv"
    assert cli.main(["gaps", "--theme", THEME, "--csv", str(path)]) == 0
    return pd.read_csv(path, dtype={"lsoa_code": str})


def test_cli_table_equals_the_gap_finder_table(cli_csv):
    """One theme, bundled data, default settings: the page's table and the command's agree."""
    at = AppTest.from_file("../../app.py", default_timeout=120)
    at.run()
    at.switch_page("app_pages/gaps.py")
    at.session_state["theme"] = THEME
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    # the table the page computed (before display rounding) ...
    page = at.session_state["_gaps_table"][1]
    direct, params, _ = gaps_cli.gap_table(theme=THEME)
    assert params.theme == THEME and params.detour == io.load_detour()["detour_default"]
    cols = [c for c in direct.columns if c in page.columns]
    pd.testing.assert_frame_equal(page[cols], direct[cols])
    # ... and the table it shows, against the command's CSV
    shown = at.dataframe[0].value
    assert len(shown) == len(cli_csv) == 4_994
    assert shown.index.tolist() == cli_csv["lsoa_code"].tolist()
    assert shown["London rank"].tolist() == cli_csv["rank"].tolist()
    assert shown["Reason"].tolist() == cli_csv["reason"].tolist()
    assert shown["Gap"].tolist() == cli_csv["gap"].round(3).tolist()
    reach = "Residents with a place within 800 m"
    np.testing.assert_allclose(shown[reach], cli_csv["reach_share"].round(3))
    walk = "Median resident's walk to the nearest place (m)"
    np.testing.assert_allclose(shown[walk], cli_csv["nearest_m"].round(-1))


def test_cli_columns_and_values(cli_csv):
    assert list(cli_csv.columns) == gaps_cli.COLUMNS
    for col in ("lsoa_code", "lsoa_name", "borough_code", "need", "access", "gap", "rank",
                "reach_share", "nearest_m", "reason"):  # fmt: skip
        assert col in cli_csv.columns
    assert cli_csv["rank"].tolist() == list(range(1, 4_995))
    assert cli_csv["reach_share"].between(0, 1).all()
    assert (cli_csv["nearest_m"] > 0).all()
    assert cli_csv["reason"].str.contains(f"{THEME} place within 800 m").all()


def test_top_20_printed_and_borough(capsys):
    assert cli.main(["gaps", "--borough", CAMDEN]) == 0
    out, err = capsys.readouterr()
    assert "All themes" in err and "street network" in err
    rows = [line for line in out.splitlines() if line[:5].strip().isdigit()]
    assert len(rows) == 20
    assert all("Camden" in line for line in rows)


def test_straight_everywhere_differs_in_camden_only():
    streets, _, _ = gaps_cli.gap_table()
    straight, params, model = gaps_cli.gap_table(distance="straight")
    assert params.distance == "straight" and model.network_share == 0
    camden = streets["borough_code"] == CAMDEN
    nearest = streets["nearest_m"].sort_index()
    plain = straight["nearest_m"].sort_index()
    assert not np.allclose(nearest[camden.sort_index()], plain[camden.sort_index()])
    np.testing.assert_allclose(nearest[~camden.sort_index()], plain[~camden.sort_index()])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--theme", "Nonsense"], "unknown theme 'Nonsense'"),
        (["--catchment", "2000"], "at most 1,600 metres"),
        (["--detour", "0.5"], "1 (straight line) or more"),
    ],
)
def test_bad_options_say_what_to_fix(args, message, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["gaps", *args])
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


def test_no_open_data_theme_and_unknown_borough(capsys):
    assert cli.main(["gaps", "--theme", "specialist and supported housing"]) == 2
    assert "no open data" in capsys.readouterr().err
    assert cli.main(["gaps", "--borough", "E09999999"]) == 2
    assert "not a London borough code" in capsys.readouterr().err


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out
    assert "gaps" in cli.COMMANDS
