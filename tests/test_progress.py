"""dlnotes.progress: a live tqdm bar interactively, one summary line in batch builds."""

from __future__ import annotations

import pytest

from dlnotes import progress


def test_yields_every_item_in_both_modes(monkeypatch, capsys):
    for mode in ("", "summary"):
        monkeypatch.setenv("DLNOTES_PROGRESS", mode)
        assert list(progress(range(7), desc="x")) == list(range(7))
        assert list(progress(iter([1, 2, 3]))) == [1, 2, 3]


def test_summary_mode_prints_exactly_one_final_line(monkeypatch, capsys):
    monkeypatch.setenv("DLNOTES_PROGRESS", "summary")
    for _ in progress(range(250), desc="training"):
        pass
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("training") and "250/250" in lines[0] and "100%" in lines[0]


def test_interactive_mode_draws_a_tqdm_bar_on_stderr(monkeypatch, capsys):
    monkeypatch.delenv("DLNOTES_PROGRESS", raising=False)
    for _ in progress(range(5), desc="steps"):
        pass
    out, err = capsys.readouterr()
    assert "steps" in err and "5/5" in err and out == ""


@pytest.mark.parametrize("bad", [3, None, "abc"])
def test_rejects_non_iterables(bad):
    with pytest.raises(TypeError, match="progress: iterable must be an iterable"):
        list(progress(bad))
