"""Tests of simulation.outputs.animation: GIF frames, the MP4 writer's errors, ``run.py animate``."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from matplotlib import animation as mpl_animation
from PIL import Image

from simulation.errors import ParameterError, WomsimError
from simulation.outputs import animation


def _bluish(a: np.ndarray) -> np.ndarray:
    return (a[..., 2] - a[..., 0] > 60) & (a[..., 2] > 120)


pytestmark = pytest.mark.usefixtures("fresh_layout_cache")


def test_gif_has_one_frame_per_week_and_they_differ(tmp_path):
    out = tmp_path / "anim" / "spread.gif"
    path = animation.animate({"n_consumers": 120}, 1, out, steps=6, fps=5, progress=False)
    assert path == out and out.exists()
    with Image.open(out) as im:
        assert im.n_frames == 7  # weeks 0..6
        frames = []
        for k in range(im.n_frames):
            im.seek(k)
            frames.append(np.asarray(im.convert("RGB")).astype(int))
        assert im.info.get("loop") == 0
    assert all(f.shape == frames[0].shape for f in frames)
    assert all(np.abs(a - b).sum() > 0 for a, b in itertools.pairwise(frames))
    assert np.abs(frames[0] - frames[-1]).mean() > 0.5  # the network changed colour
    assert _bluish(frames[-1]).sum() > _bluish(frames[0]).sum()
    assert (frames[0] == 255).all(axis=2).mean() > 0.5  # a white background, not grey
    meta = json.loads((tmp_path / "anim" / "spread.gif.json").read_text())
    assert meta["seed"] == 1 and meta["params"]["n_consumers"] == 120 and meta["frames"] == 7
    assert meta["strategies"] == ["broadcast", "dialogue"]
    assert "matplotlib" in meta["provenance"]["versions"]


def test_mp4_without_ffmpeg_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setattr(mpl_animation.writers, "is_available", lambda name: False)
    out = tmp_path / "a.mp4"
    with pytest.raises(WomsimError, match=r"ffmpeg is missing.*\.gif"):
        animation.animate({"n_consumers": 50}, 0, out, steps=2, progress=False)
    assert not out.exists()
    with pytest.raises(WomsimError, match="unknown animation format"):
        animation.animate({"n_consumers": 50}, 0, tmp_path / "a.avi", steps=2, progress=False)


def test_mp4_on_this_machine(tmp_path):
    if mpl_animation.writers.is_available("ffmpeg"):
        pytest.skip("ffmpeg is installed here: the missing-ffmpeg error cannot occur")
    with pytest.raises(WomsimError, match="ffmpeg"):
        animation.animate({"n_consumers": 50}, 0, tmp_path / "a.mp4", steps=2, progress=False)


def test_main_animate(tmp_path, capsys):
    out = tmp_path / "cli.gif"
    assert animation.main_animate({"n_consumers": "80"}, 2, str(out), 3, 4, False) == 0
    assert str(out) in capsys.readouterr().out
    with Image.open(out) as im:
        assert im.n_frames == 4
    # the steps parameter is the default length when set
    out2 = tmp_path / "cli2.gif"
    animation.main_animate({"n_consumers": "60", "steps": "2"}, 0, str(out2), None, 4, False)
    with Image.open(out2) as im:
        assert im.n_frames == 3
    with pytest.raises(ParameterError, match="did you mean 'budget'"):
        animation.main_animate({"budjet": "1"}, 0, str(tmp_path / "x.gif"), 2, 4, False)
