"""Tests of simulation.outputs.tables: the one renderer of text and Markdown tables, the
mean [lo, hi] cells, and the parameter table of docs/ODD.md."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from simulation.core.params import PARAMETERS
from simulation.outputs.tables import (
    DIGITS,
    HEADLINE_NOTE,
    MISSING,
    RESPONDENTS_HEADER,
    SURVEY_HEADER,
    ci_cell,
    confidence_cells,
    format_confidence,
    format_headline,
    headline_blocks,
    headline_cells,
    lead_sentence,
    parameter_table,
    render_frame,
    render_table,
)
from simulation.research.headline import headline_table, leaders
from simulation.research.summaries import confidence_table


def test_text_columns_are_aligned_under_a_dashed_rule():
    text = render_table(["name", "kind"], [["a", "long value"], ["longer name", "x"]])
    lines = text.splitlines()
    assert lines[0] == "name         kind"
    assert lines[1] == "-----------  ----------"
    assert lines[2] == "a            long value"
    assert lines[3] == "longer name  x"  # no trailing blanks
    assert all(line == line.rstrip() for line in lines)


def test_numbers_are_right_aligned_and_formatted():
    text = render_table(["p", "S1", "n"], [["budget", 0.5, 12], ["quality", -0.1234, 3]])
    lines = text.splitlines()
    assert lines[2] == "budget    0.500  12"
    assert lines[3] == "quality  -0.123   3"
    assert render_table(["x"], [[0.12345]], floatfmt=".2e").splitlines()[2] == "1.23e-01"
    # numpy scalars are numbers too; integers are shown whole
    assert render_table(["x", "k"], [[np.float64(2.0), np.int64(7)]]).splitlines()[2] == "2.000  7"
    # forced alignment
    assert render_table(["a", "b"], [["x", "y"]], right=["b"]).splitlines()[0] == "a  b"


def test_missing_cells_show_a_dash():
    rows = [["a", float("nan")], ["b", None], ["c", math.inf], ["d", 1.0]]
    body = render_table(["k", "v"], rows).splitlines()[2:]
    assert [line.split()[1] for line in body] == [MISSING, MISSING, MISSING, "1.000"]
    md = render_table(["k", "v"], rows, markdown=True).splitlines()
    assert md[2] == "| a | - |" and md[5] == "| d | 1.000 |"


def test_markdown_pipes_escapes_and_width():
    md = render_table(["a", "b"], [["x|y", "two\nlines"], ["", True]], markdown=True)
    lines = md.splitlines()
    assert lines[0] == "| a | b |"
    assert lines[1] == "|---|---|"
    assert lines[2] == "| x\\|y | two lines |"
    assert lines[3] == "|  | True |"


def test_rows_must_match_the_header():
    with pytest.raises(ValueError, match="2 cells, the header 3"):
        render_table(["a", "b", "c"], [[1, 2]])


def test_render_frame_uses_columns_and_leaves_out_the_index():
    df = pd.DataFrame({"strategy": ["hype", "none"], "x": [1.5, np.nan]}, index=[10, 20])
    assert render_frame(df).splitlines() == ["strategy      x", "--------  -----", "hype      1.500",
                                             "none          -"]
    assert render_frame(df, markdown=True).splitlines()[2:] == ["| hype | 1.500 |", "| none | - |"]


def test_ci_cell_digits():
    assert ci_cell(0.5234, 0.5211, 0.5257) == "0.523 [0.521, 0.526]"
    assert ci_cell(12.345, 10.0, 14.69, DIGITS["nps"]) == "12.3 [10.0, 14.7]"
    assert ci_cell(1.0, 0.5, 1.5, DIGITS["incremental_roi"]) == "1.00 [0.50, 1.50]"
    assert ci_cell(float("nan"), float("nan"), float("nan")) == MISSING
    assert DIGITS.get("loyalty", 3) == 3 and DIGITS["profit"] == 1


def _summary() -> pd.DataFrame:
    return pd.DataFrame({"strategy": ["b", "b", "a", "a", "a"], "budget": [0.5, 0.5, 0.5, 2.0, 2.0],
                         "loyalty": [0.1, 0.3, 0.5, 0.6, 0.7], "nps": [10.0, 20.0, np.nan, np.nan, np.nan]})


def test_confidence_cells_and_the_headline_format():
    table = confidence_table(_summary(), ["loyalty", "nps"])
    cells = confidence_cells(table, ["loyalty", "nps", "not_there"], n=True)
    assert list(cells.columns) == ["strategy", "loyalty", "nps", "n"]
    assert cells["strategy"].tolist() == ["b", "a"]  # order of appearance
    assert cells.loc[0, "nps"] == "15.0 [-46.1, 66.5]"  # logit scale of [-100, 100]: t gives [-48.5, 78.5]
    assert cells.loc[1, "nps"] == MISSING and cells["n"].tolist() == [2, 3]
    text = format_confidence(table)
    assert text.splitlines()[0].split() == ["strategy", "loyalty", "nps"]
    assert "0.200 [0.000, 0.999]" in text  # n = 2 in [0, 1]; the t-interval was [-1.071, 1.471]
    md = format_confidence(table, markdown=True).splitlines()
    assert md[0] == "| strategy | loyalty | nps |" and md[3].endswith("| - |")


def test_confidence_table_by_several_columns():
    summary = _summary()
    one = confidence_table(summary, ["loyalty"])
    assert list(one.columns) == ["strategy", "n", "loyalty", "loyalty_lo", "loyalty_hi"]
    two = confidence_table(summary, ["loyalty"], ["budget", "strategy"])
    assert list(two.columns)[:3] == ["budget", "strategy", "n"]
    assert two[["budget", "strategy", "n"]].values.tolist() == [[0.5, "b", 2], [0.5, "a", 1], [2.0, "a", 2]]
    assert two["loyalty"].tolist() == pytest.approx([0.2, 0.5, 0.65])
    cells = confidence_cells(two, ["loyalty"], ["budget", "strategy"])
    assert cells["budget"].tolist() == ["0.5", "0.5", "2.0"]  # group values as written


def test_confidence_table_counts_the_runs_with_a_value():
    table = confidence_table(_summary(), ["nps"], counts=True)
    assert table[["strategy", "n", "nps_n"]].values.tolist() == [["b", 2, 2], ["a", 3, 0]]
    assert "nps_n" not in confidence_table(_summary(), ["nps"]).columns  # opt-in: other tables keep their columns


def _headline_summary() -> pd.DataFrame:
    """Two scenarios x (none, broadcast, dialogue) x 3 replicates, with one undefined SCR."""
    rows = []
    for sc, shift in (("launch", 0.0), ("established", 0.2)):
        for r in range(3):
            for st, v in (("none", 0.1), ("broadcast", 0.3), ("dialogue", 0.2)):
                rows.append({"scenario": sc, "strategy": st, "replicate": r, "seed": r,
                             "market_share_13w": v + shift + 0.01 * r,
                             "scr": np.nan if (sc, st, r) == ("launch", "dialogue", 0) else 0.4 + 0.01 * r,
                             "loyal_share": 0.05, "nps": 10.0 + r, "nps_low": 2.0 + r, "nps_high": 18.0 + r,
                             "nps_respondents": 200.0, "trust": 0.5,
                             "incremental_roi": np.nan if st == "none" else v + r})
    return pd.DataFrame(rows)


def test_headline_cells_show_the_survey_and_the_runs_left_out():
    table = headline_table(_headline_summary(), ["scenario"])
    launch = table[table["scenario"] == "launch"]
    cells = headline_cells(launch, ["market_share_13w", "scr", "nps", "incremental_roi"])
    assert list(cells.columns) == ["strategy", "market_share_13w", "scr", "nps", SURVEY_HEADER, RESPONDENTS_HEADER,
                                   "incremental_roi", "n"]
    row = cells.set_index("strategy")
    assert row.loc["dialogue", "scr"].endswith(" (2/3 runs)")  # one run had no SCR: left out, and said so
    assert "runs)" not in row.loc["broadcast", "scr"]
    assert row.loc["broadcast", SURVEY_HEADER] == "[3.0, 19.0]"  # the mean survey interval
    assert row.loc["broadcast", RESPONDENTS_HEADER] == "200"
    assert row.loc["none", "incremental_roi"] == MISSING and row["n"].tolist() == [3, 3, 3]


def test_lead_sentences_follow_the_numbers():
    base = {"metric": "market_share_13w", "first": "dialogue", "second": "broadcast", "first_mean": 0.3,
            "second_mean": 0.2, "diff": 0.1, "diff_lo": 0.05, "diff_hi": 0.15, "pairs": 10, "separated": True}
    assert lead_sentence(base) == ("market_share_13w: dialogue highest (0.300), ahead of broadcast (0.200) by "
                                   "+0.100 [0.050, 0.150] (paired over 10 replicates)")
    close = {**base, "diff_lo": -0.01, "separated": False}
    assert "not separated" in lead_sentence(close) and "includes 0" in lead_sentence(close)
    tie = {**base, "first_mean": 0.0, "second_mean": 0.0, "diff": 0.0, "diff_lo": 0.0, "diff_hi": 0.0,
           "separated": False}
    assert "share the highest mean (0.000)" in lead_sentence(tie)
    one = {**base, "diff_lo": float("nan"), "diff_hi": float("nan"), "pairs": 1}
    assert "no interval" in lead_sentence(one)


def test_format_headline_one_block_per_scenario():
    summary = _headline_summary()
    table = headline_table(summary, ["scenario"])
    blocks = headline_blocks(table, leaders(summary, ["scenario"]), [{"scenario": "launch"},
                             {"scenario": "established"}], ["Launch: new.", "Established: known."],
                             ["market_share_13w", "scr", "nps"])
    assert [b.title for b in blocks] == ["scenario = launch: mean [95 % CI] over 3 replicates",
                                         "scenario = established: mean [95 % CI] over 3 replicates"]
    # the leaders are computed per scenario: broadcast has the highest share in both here
    assert blocks[0].sentences[0].startswith("market_share_13w: broadcast highest (0.310)")
    assert blocks[1].sentences[0].startswith("market_share_13w: broadcast highest (0.510)")
    md = format_headline(blocks, markdown=True)
    assert md.index("### scenario = launch") < md.index("Launch: new.") < md.index("### scenario = established")
    assert md.count("| strategy | market_share_13w |") == 2 and md.rstrip().endswith("no interval.")
    text = format_headline(blocks)
    assert "###" not in text and HEADLINE_NOTE in text


def test_parameter_table_lists_everything():
    text = parameter_table()
    md = parameter_table(markdown=True)
    for name in PARAMETERS:
        assert name in text and f"| {name} |" in md
    lines = md.splitlines()
    assert lines[0] == "| name | default | allowed | unit | meaning | source |"
    assert len(lines) == len(PARAMETERS) + 2
