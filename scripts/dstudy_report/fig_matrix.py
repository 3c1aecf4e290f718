"""The annotated matrix drawing (rows x columns of coloured squares with
their values), used by the comparison figures. Failed cells are grey,
hatched and say FAILED; missing cells stay blank."""
import re
from dataclasses import dataclass

import matplotlib
import matplotlib.pyplot as plt
from matplotlib.patches import Rectangle

from .fig_common import FAILED_COLOUR

GOOD_CMAP = plt.get_cmap("RdYlGn")   # -1/0 = worst (red) .. 1 = best (green)
FAILED_FACE = "#d9d9d9"


@dataclass
class MCell:
    """One square of a matrix: its value text, its score (0 worst .. 1 best),
    or the failure it stands for. An MCell of None is a missing cell."""
    text: str = ""
    score: float = None
    failed: str = None   # failure reason, when the cell failed
    face: str = None     # a colour of its own instead of the colour map's
    outline: bool = False  # drawn with a dark edge (a mark the caption explains)


def _text_colour(rgba):
    r, g, b = rgba[:3]
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def wrap_label(text, width=13):
    """Breaks a long column name after '_' or ' ' so it fits under one square
    without rotating (rotated labels run into the panel below)."""
    lines, line = [], ""
    for part in re.split(r"(?<=[_ ])", str(text)):
        if line and len(line) + len(part) > width:
            lines.append(line)
            line = ""
        line += part
    return "\n".join(lines + [line])


def draw_matrix(ax, rows, cols, grid, cmap=GOOD_CMAP, vmin=0.0, vmax=1.0, show_rows=True, fontsize=None):
    """grid[r][c] is an MCell or None. Failed cells are grey and hatched with
    FAILED written in them; missing cells stay blank."""
    n_r, n_c = len(rows), len(cols)
    ax.set_xlim(0, n_c)
    ax.set_ylim(n_r, 0)
    label_size = fontsize + 0.5 if fontsize else None     # None: the default size
    fontsize = fontsize or (8 if n_c <= 8 else 7)
    norm = matplotlib.colors.Normalize(vmin=vmin, vmax=vmax, clip=True)
    for r in range(n_r):
        for c in range(n_c):
            cell = grid[r][c]
            if cell is None:
                continue
            if cell.failed is not None:
                ax.add_patch(Rectangle((c, r), 1, 1, facecolor=FAILED_FACE, edgecolor="#7f7f7f",
                                       hatch="///", linewidth=0.5))
                ax.text(c + 0.5, r + 0.5, f"FAILED\n{cell.failed}", ha="center", va="center",
                        fontsize=fontsize - 1, color=FAILED_COLOUR, fontweight="bold",
                        bbox=dict(facecolor="white", edgecolor="none", alpha=0.75, pad=0.8))
                continue
            face = matplotlib.colors.to_rgba(cell.face) if cell.face else \
                cmap(norm(cell.score)) if cell.score is not None else (1, 1, 1, 1)
            ax.add_patch(Rectangle((c, r), 1, 1, facecolor=face, edgecolor="white", linewidth=1))
            if cell.outline:
                ax.add_patch(Rectangle((c + 0.06, r + 0.08), 0.88, 0.84, fill=False, edgecolor="#202020",
                                       linewidth=2))
            ax.text(c + 0.5, r + 0.5, cell.text, ha="center", va="center", fontsize=fontsize,
                    color=_text_colour(face))
    ax.set_xticks([c + 0.5 for c in range(n_c)])
    ax.set_xticklabels([wrap_label(c) for c in cols], fontsize=fontsize + 0.5)
    ax.set_yticks([r + 0.5 for r in range(n_r)])
    ax.set_yticklabels(rows if show_rows else [], fontsize=label_size)
    ax.tick_params(length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    return matplotlib.cm.ScalarMappable(norm=norm, cmap=cmap)


def panel_grid(n_panels, panel_w, panel_h, max_width=17.0):
    """Figure and axes for n panels laid out in as few rows as fit max_width."""
    ncols = max(1, min(n_panels, int(max_width // panel_w)))
    nrows = (n_panels + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(panel_w * ncols, panel_h * nrows + 0.9),
                             squeeze=False, layout="constrained")
    flat = [ax for row in axes for ax in row]
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels], ncols
