"""A plain-text progress bar on stderr, for the command line (no dependency).

On a terminal the bar is redrawn in place; elsewhere (a pipe, a log file, CI) it writes one
line at each tenth of the work, so logs stay short. Work is counted in arbitrary units
(elements, bytes), which lets long steps weigh more than short ones in the estimate.
"""

from __future__ import annotations

import shutil
import sys
import time
from types import TracebackType
from typing import Optional, TextIO, Type

_WIDTH = 24


def _clock(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    return f"{seconds // 60}:{seconds % 60:02d}"


class Progress:
    """``with Progress(total, "bench") as bar: ... bar.advance(units, "what runs now")``.

    Parameters
    ----------
    total : float
        Units of work in all.
    label : str
        Shown before the bar.
    enabled : bool
        False draws nothing (``--no-progress``).
    delay : float
        Seconds before anything is drawn, so that short runs stay silent.
    stream : text stream, default ``sys.stderr``
    """

    def __init__(self, total: float, label: str, *, enabled: bool = True, delay: float = 0.0,
                 stream: Optional[TextIO] = None) -> None:
        self.total = max(float(total), 1e-12)
        self.label = label
        self.enabled = enabled
        self.delay = delay
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0.0
        self.status = ""
        self._start = time.perf_counter()
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_draw = 0.0
        self._last_tenth = -1
        self._drawn = False
        self._line_len = 0

    def __enter__(self) -> Progress:  # noqa: PYI034 - typing.Self needs Python 3.11
        return self

    def __exit__(self, exc_type: Optional[Type[BaseException]],
                 exc: Optional[BaseException], tb: Optional[TracebackType]) -> None:
        self.close(completed=exc_type is None)

    def set_status(self, status: str) -> None:
        """What runs now (shown after the bar); redraws if due."""
        self.status = status
        self._draw(force=False)

    def advance(self, units: float, status: Optional[str] = None) -> None:
        """Marks `units` more as done."""
        self.done = min(self.total, self.done + units)
        if status is not None:
            self.status = status
        self._draw(force=False)

    def close(self, completed: bool = True) -> None:
        """Draws the final state (100% when `completed`) and ends the line."""
        if not self.enabled:
            return
        if completed:
            self.done = self.total
            self.status = "done"
            if self._drawn or self._elapsed() >= self.delay:
                self._draw(force=True)
        if self._drawn and self._tty:
            self.stream.write("\n")
            self.stream.flush()

    def _elapsed(self) -> float:
        return time.perf_counter() - self._start

    def _line(self) -> str:
        fraction = self.done / self.total
        filled = int(fraction * _WIDTH)
        bar = "#" * filled + "-" * (_WIDTH - filled)
        elapsed = self._elapsed()
        eta = ""
        if 0.02 < fraction < 1:
            eta = f" eta {_clock(elapsed / fraction - elapsed)}"
        return (f"{self.label} [{bar}] {fraction * 100:3.0f}% {_clock(elapsed)}{eta}"
                f"  {self.status}").rstrip()

    def _draw(self, force: bool) -> None:
        if not self.enabled:
            return
        elapsed = self._elapsed()
        if elapsed < self.delay and not force:
            return
        if self._tty:
            if not force and elapsed - self._last_draw < 0.1:
                return
            line = self._line()[: shutil.get_terminal_size().columns - 1]  # no wrapping
            self.stream.write("\r" + line + " " * max(0, self._line_len - len(line)))
            self._line_len = len(line)
        else:
            tenth = int(self.done / self.total * 10)
            if tenth == self._last_tenth:
                return
            self._last_tenth = tenth
            self.stream.write(self._line() + "\n")
        self._last_draw = elapsed
        self._drawn = True
        self.stream.flush()
