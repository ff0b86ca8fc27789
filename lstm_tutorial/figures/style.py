"""The book's figure style: its colour palette and matplotlib settings, used by every figure."""

from __future__ import annotations

import matplotlib as mpl

__all__ = ["PALETTE", "CYCLE", "MARKERS", "use_book_style"]

# Okabe and Ito's colour-blind-safe palette, in the order the book uses it for curves.
PALETTE = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
CYCLE = [PALETTE[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")]
MARKERS = ["o", "s", "^", "D", "v", "P", "X"]

_BOOK_RC = {
    "figure.figsize": (7.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "savefig.bbox": "tight",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "legend.fontsize": 10,
    "xtick.labelsize": 10,
    "ytick.labelsize": 10,
    "axes.prop_cycle": mpl.cycler(color=CYCLE),
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "grid.linewidth": 0.6,
    "legend.frameon": False,
    "lines.linewidth": 1.8,
    "image.cmap": "viridis",
    "mathtext.fontset": "dejavusans",
}


def use_book_style():
    """A context manager that applies the book's style (fonts, palette, grid) inside a ``with``.

    The settings are restored on exit, so calling a plot function never changes the look of a
    reader's later figures::

        with use_book_style():
            fig, ax = plt.subplots()
    """
    return mpl.rc_context(_BOOK_RC)
