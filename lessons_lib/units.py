"""Sizes and times printed the way Ollama prints them.

Ports of ollama/ollama `format/bytes.go` (HumanBytes, HumanBytes2) and `format/time.go`
(HumanTime), so that a table in a notebook reads exactly like `ollama list` / `ollama ps`
and our error messages match the ones learners will search for.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone

__all__ = ["human_bytes", "gib", "relative_time"]

# --- user-facing strings (kept together so a Polish edition can translate them) -------------
LESS_THAN_A_SECOND = "Less than a second"
ONE_SECOND = "1 second"
N_SECONDS = "{n} seconds"
ABOUT_A_MINUTE = "About a minute"
N_MINUTES = "{n} minutes"
ABOUT_AN_HOUR = "About an hour"
N_HOURS = "{n} hours"
N_DAYS = "{n} days"
N_WEEKS = "{n} weeks"
N_MONTHS = "{n} months"
N_YEARS = "{n} years"
AGO = "{duration} ago"
FROM_NOW = "{duration} from now"
FOREVER = "Forever"
NEVER = "Never"  # what `ollama list` prints for a zero time

# Decimal units for HumanBytes, binary units for HumanBytes2 (as in format/bytes.go).
_DECIMAL_UNITS = (("TB", 1000**4), ("GB", 1000**3), ("MB", 1000**2), ("KB", 1000))
_BINARY_UNITS = (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))


def human_bytes(n: int) -> str:
    """Ollama's `format.HumanBytes`: "98 MB", "4.7 GB", "43 GB", "999 B"."""
    n = int(n)
    unit, size = next(((u, s) for u, s in _DECIMAL_UNITS if n >= s), ("B", 0))
    if not size:
        return f"{n} B"
    value = n / size
    # Go's int(value) truncates; at 10 and above Ollama drops the decimal entirely.
    if value >= 10:
        return f"{int(value)} {unit}"
    if value != math.trunc(value):
        return f"{value:.1f} {unit}"
    return f"{int(value)} {unit}"


def gib(n: int) -> str:
    """Ollama's `format.HumanBytes2`: one decimal, binary units ("5.3 GiB", "512.0 MiB")."""
    n = int(n)
    for unit, size in _BINARY_UNITS:
        if n >= size:
            return f"{n / size:.1f} {unit}"
    return f"{n} B"


def _go_round(x: float) -> int:
    # Go's math.Round rounds half away from zero; Python's round() rounds half to even.
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def _human_duration(seconds_total: float) -> str:
    seconds = int(seconds_total)  # Go's int() truncates toward zero
    if seconds < 1:
        return LESS_THAN_A_SECOND
    if seconds == 1:
        return ONE_SECOND
    if seconds < 60:
        return N_SECONDS.format(n=seconds)

    minutes = int(seconds_total / 60)
    if minutes == 1:
        return ABOUT_A_MINUTE
    if minutes < 60:
        return N_MINUTES.format(n=minutes)

    hours = _go_round(seconds_total / 3600)
    if hours == 1:
        return ABOUT_AN_HOUR
    if hours < 48:
        return N_HOURS.format(n=hours)
    if hours < 24 * 7 * 2:
        return N_DAYS.format(n=hours // 24)
    if hours < 24 * 30 * 2:
        return N_WEEKS.format(n=hours // 24 // 7)
    if hours < 24 * 365 * 2:
        return N_MONTHS.format(n=hours // 24 // 30)
    return N_YEARS.format(n=int(seconds_total / 3600) // 24 // 365)


def relative_time(dt: datetime, now: datetime | None = None) -> str:
    """The MODIFIED column of `ollama list`: "2 days ago", "About an hour ago", ...

    Naive datetimes are taken as local time, like Go's time.Time from a file's mtime.
    """
    if dt.year == 1:  # Go's zero time.Time; Ollama prints the caller's zero value
        return NEVER
    if now is None:
        now = datetime.now(timezone.utc)
    # Compare aware with aware: a naive value is local wall-clock time.
    if dt.tzinfo is None:
        dt = dt.astimezone()
    if now.tzinfo is None:
        now = now.astimezone()
    delta = (now - dt).total_seconds()
    # Go: int(delta.Hours())/24/365 < -20; Go's integer division truncates toward zero.
    years = int(abs(delta) / 3600) // 24 // 365
    if delta < 0 and -years < -20:
        return FOREVER
    if delta < 0:
        return FROM_NOW.format(duration=_human_duration(-delta))
    return AGO.format(duration=_human_duration(delta))
