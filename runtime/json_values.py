"""Database values as JSON values: numbers stay numbers, dates become ISO strings."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any


def json_value(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return int(v) if v == v.to_integral_value() and v.as_tuple().exponent >= 0 else float(v)
    if isinstance(v, (dt.date, dt.datetime, dt.time)):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    return v
