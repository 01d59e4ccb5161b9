"""Database values as JSON values: numbers stay numbers, dates become ISO strings."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any


def json_value(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        exponent = v.as_tuple().exponent  # 'n', 'N' or 'F' for NaN and infinity: those become floats
        whole = isinstance(exponent, int) and exponent >= 0 and v == v.to_integral_value()
        return int(v) if whole else float(v)
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    return v
