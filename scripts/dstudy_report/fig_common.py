"""What every figure shares: the Agg backend, where and in which formats a
figure is saved, and one marker per allocator (the same in every figure)."""
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402

plt.rcParams.update({
    "figure.dpi": 100, "savefig.dpi": 100, "font.size": 9, "axes.titlesize": 10,
    "svg.fonttype": "none", "svg.hashsalt": "dstudy",  # stable SVG output
})

FAILED_COLOUR = "#7f0000"
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf")


@dataclass(frozen=True)
class FigureDir:
    """Where figures go and in which formats (PNG always; SVG on request)."""
    path: Path
    formats: tuple = ("png",)


@dataclass
class FigureFile:
    name: str       # file stem, unique in the report
    group: str      # the (size, workload, kv) section it belongs to, as text
    title: str
    caption: str
    files: dict = field(default_factory=dict)   # format -> Path

    @property
    def png(self):
        return self.files["png"]

    def pixel_size(self):
        """(width, height) of the PNG, read from its header."""
        with open(self.png, "rb") as f:
            head = f.read(24)
        return struct.unpack(">II", head[16:24])


def slug(text):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", str(text)).strip("_") or "x"


def allocator_styles(allocators):
    """{allocator: (marker, colour)}: allocators are marks, the same in every figure."""
    return {a: (MARKERS[i % len(MARKERS)], COLOURS[i % len(COLOURS)]) for i, a in enumerate(allocators)}


def _frozen_extent(fig):
    """Lays fig out once, freezes that layout and returns what to save (inches):
    the figure plus the legends and titles placed outside it. Saving with
    bbox_inches="tight" instead would lay out and measure every artist again
    for each format, which cost more than drawing."""
    fig.draw_without_rendering()
    fig.set_layout_engine("none")
    renderer = fig.canvas.get_renderer()
    extras = list(fig.legends) + [t for t in (fig._suptitle, fig._supxlabel, fig._supylabel) if t]
    boxes = [fig.bbox] + [a.get_window_extent(renderer) for a in extras if a.get_visible()]
    bbox = Bbox.union(boxes).transformed(fig.dpi_scale_trans.inverted())
    return bbox.padded(plt.rcParams["savefig.pad_inches"])


def save(fig, figdir, name, group, title, caption):
    """Writes fig as figures/<name>.<format> for each format, closes it, returns a FigureFile."""
    folder = Path(figdir.path) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    bbox = _frozen_extent(fig)
    files = {}
    for fmt in figdir.formats:
        files[fmt] = folder / f"{name}.{fmt}"
        fig.savefig(files[fmt], bbox_inches=bbox, **({"metadata": {"Date": None}} if fmt == "svg" else {}))
    plt.close(fig)
    return FigureFile(name, group, title, caption, files)


def finish_group_figure(fig, ax, figdir, kind, size, workload, kv, title, caption, legend_loc="best"):
    """The last steps every per-workload figure shares: grid, legend, title,
    then saved as figures/<kind>_<workload>_<kv>_<size> in its page section."""
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, loc=legend_loc)
    ax.set_title(title)
    return save(fig, figdir, f"{kind}_{group_name(size, workload, kv)}", group_key(size, workload, kv),
                title, caption)


def group_key(size, workload, kv):
    """The text that ties a figure to its section of the page."""
    return f"{size}/{workload}/{kv}"


def group_name(size, workload, kv):
    return slug(f"{workload}_{kv}_{size}")
