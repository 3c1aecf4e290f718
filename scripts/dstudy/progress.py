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
    def __init__(self, total, done=0, failed=0, stream=None, tty=None, quiet=False):
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty() if tty is None else tty
        self.quiet = quiet
        self.total, self.done, self.failed = total, done, failed
        self.ran, self.ran_seconds = 0, 0.0
        self.t0 = time.monotonic()
        self.cell, self.cell_t0 = None, None

    def _eta(self):
        if not self.ran:
            return "?"
        return clock(self.ran_seconds / self.ran * max(self.total - self.done, 0))

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
        self.done += 1
        self.ran += 1
        self.ran_seconds += time.monotonic() - self.cell_t0
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
