"""The lesson's two pictures: size versus quality, and speed versus bits per weight,
each with the learner's model on the left and llama.cpp's Llama 3 8B on the right."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..edition import text
from .experiment import COL
from .published import QUALITY_SOURCE, SPEED_SOURCE, llama3_8b_quality, llama31_8b_speed

__all__ = ["size_vs_quality", "speed_vs_bits"]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------

_KLD_FLOOR = 1e-5  # F16 against itself is 0; log axes need a positive value


def _label_points(ax: plt.Axes, xs: pd.Series, ys: pd.Series) -> None:
    for name, x, y in zip(xs.index, xs, ys):
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=8)


def size_vs_quality(table: pd.DataFrame, model: str) -> Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    ours = table[table.index != "F16"]
    left.scatter(ours[COL["size"]], ours[COL["kld"]].clip(lower=_KLD_FLOOR))
    _label_points(left, ours[COL["size"]], ours[COL["kld"]].clip(lower=_KLD_FLOOR))
    left.set(
        xlabel=text("quant.label_size_mb"),
        ylabel=text("quant.label_kld"),
        yscale="log",
        title=text("quant.title_ours", model=model),
    )
    pub = llama3_8b_quality().drop(index="F16")
    right.scatter(pub["size (GiB)"], pub["KLD"], color="tab:orange")
    _label_points(right, pub["size (GiB)"], pub["KLD"])
    right.set(
        xlabel=text("quant.label_size_gib"),
        ylabel=text("quant.label_kld"),
        yscale="log",
        title=text("quant.title_published"),
    )
    right.text(0.0, -0.18, QUALITY_SOURCE, transform=right.transAxes, fontsize=7)
    fig.suptitle(text("quant.title_quality"))
    return fig


def speed_vs_bits(table: pd.DataFrame, model: str) -> Figure:
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    left.scatter(table[COL["bpw"]], table[COL["tg"]])
    _label_points(left, table[COL["bpw"]], table[COL["tg"]])
    left.set(xlabel=text("quant.label_bpw"), ylabel=text("quant.label_tg"), title=text("quant.title_ours", model=model))
    pub = llama31_8b_speed()
    right.scatter(pub["bits/weight"], pub["gen tok/s"], color="tab:orange")
    _label_points(right, pub["bits/weight"], pub["gen tok/s"])
    right.set(xlabel=text("quant.label_bpw"), ylabel=text("quant.label_tg"), title=text("quant.title_published_speed"))
    right.text(0.0, -0.18, SPEED_SOURCE, transform=right.transAxes, fontsize=7)
    fig.suptitle(text("quant.title_speed"))
    return fig
