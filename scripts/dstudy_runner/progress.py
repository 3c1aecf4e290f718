"""Progress on stderr: one updating line on a terminal, one line per cell
otherwise (or nothing with quiet=True)."""
import shutil
import sys
import time

from .manifest import competing
from .contract import NOT_APPLICABLE


def clock(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """estimates: {cell id: seconds} of the cells to run (the cost model's),
    or None. With them the ETA is their sum over the cells left, scaled by
    how this run's finished cells compare with their estimates (1 until the
    first cell ends); without them, the mean time of the cells run so far
    times the cells left."""

    def __init__(self, total, done=0, failed=0, stream=None, tty=None, quiet=False, estimates=None):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.quiet = quiet
        self.total, self.done, self.failed = total, done, failed
        self.ran, self.ran_seconds = 0, 0.0
        self.estimates = dict(estimates) if estimates else None
        self.estimated_left = sum(self.estimates.values()) if self.estimates else 0.0
        self.estimated_ran, self.ran_estimated_seconds = 0.0, 0.0
        self.t0 = time.monotonic()
        self.cell, self.cell_t0 = None, None

    def eta_seconds(self):
        """Seconds left, or None when nothing tells yet."""
        left = max(self.total - self.done, 0)
        if self.estimates is not None and (left == 0 or self.estimated_left > 0):
            scale = self.ran_estimated_seconds / self.estimated_ran if self.estimated_ran else 1.0
            running = time.monotonic() - self.cell_t0 if self.cell else 0.0
            return max(self.estimated_left * scale - running, 0.0)
        if not self.ran:
            return None
        return self.ran_seconds / self.ran * left

    def _eta(self):
        eta = self.eta_seconds()
        return "?" if eta is None else clock(eta)

    def _line(self):
        line = (f"[{self.done}/{self.total}] {self.failed} failed | "
                f"{clock(time.monotonic() - self.t0)} elapsed | ETA {self._eta()}")
        if self.cell:
            line += f" | {self.cell.id}"
        width = shutil.get_terminal_size((100, 20)).columns
        return line[:max(width - 1, 20)]

    def _draw(self):
        if self.tty and not self.quiet:
            self.stream.write("\r\x1b[K" + self._line())
            self.stream.flush()

    def start(self, cell):
        self.cell, self.cell_t0 = cell, time.monotonic()
        self._draw()

    def tick(self):
        self._draw()

    def note(self, message):
        """A line that stays (a failure, a warning)."""
        if self.tty and not self.quiet:
            self.stream.write("\r\x1b[K")
        print(message, file=self.stream, flush=True)
        self._draw()

    def finish(self, record):
        took = time.monotonic() - self.cell_t0
        self.done += 1
        self.ran += 1
        self.ran_seconds += took
        estimate = self.estimates.get(record["id"]) if self.estimates else None
        if estimate is not None:
            self.estimated_left -= estimate
            self.estimated_ran += estimate
            self.ran_estimated_seconds += took
        failed = record["status"] not in ("ok", NOT_APPLICABLE)
        self.failed += failed
        self.cell = None
        reason = f" ({record['failure']['reason']})" if failed else ""
        if self.quiet:
            return
        if self.tty:
            if failed:
                self.note(f"FAILED{reason} {record['id']}")
        else:
            print(f"[{self.done}/{self.total}] {record['status']}{reason} {record['id']} "
                  f"{record.get('duration_s', 0):.1f}s", file=self.stream, flush=True)
        # Figures taken while another process used the machine are suspect:
        # say so now, not only in the report.
        why = competing(record)
        if why:
            self.note(f"warning: {record['id']} measured beside another process: {why}")
        self._draw()

    def close(self):
        if self.tty and not self.quiet:
            self.stream.write("\r\x1b[K" + self._line() + "\n")
            self.stream.flush()
