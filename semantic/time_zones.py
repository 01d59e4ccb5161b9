"""Which time zone names crq accepts, for the model's views and for intents alike.

An IANA name that Python and PostgreSQL read the same way. Checking one name loads that zone's file
(microseconds); listing every zone walks the whole tz database (~20 ms), so the list is built only to
suggest a name after a miss, never on the way to an answer or at start-up.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

# PostgreSQL reads these differently from Python (CET and friends are fixed offsets there; posixrules,
# localtime and Factory are files, not zones), so buckets and query ranges would disagree.
MISREAD_ZONES = frozenset(
    {"localtime", "posixrules", "Factory", "CET", "EET", "MET", "WET", "EST", "MST", "HST"}
)
_NOT_ZONES = ("posix/", "right/", "SystemV/")


@cache
def is_time_zone(name: str) -> bool:
    if name in MISREAD_ZONES or name.startswith(_NOT_ZONES):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # unknown, or not a key (a path, empty)
        return False
    return True


@cache
def time_zones() -> frozenset[str]:
    """Every accepted name: for did-you-mean after ``is_time_zone`` said no."""
    return frozenset(
        z for z in available_timezones() if z not in MISREAD_ZONES and not z.startswith(_NOT_ZONES)
    )
