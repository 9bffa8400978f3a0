"""Opaque pagination cursors: base64url JSON that only this application reads back."""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aggregator.web.context import BadRequest

__all__ = ["StoryCursor", "decode", "encode", "integer", "story_cursor"]


def encode(fields: dict[str, Any]) -> str:
    raw = json.dumps(fields, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> dict[str, Any]:
    """The fields of ``cursor``; BadRequest when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fields = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("cursor: not a cursor this API returned") from exc
    if not isinstance(fields, dict):
        raise BadRequest("cursor: not a cursor this API returned")
    return fields


@dataclass(frozen=True, slots=True)
class StoryCursor:
    """Where a page of ranked stories ended, and the moment the ranking was computed at."""

    reference: datetime
    score: float
    story_id: int


def story_cursor(cursor: str) -> StoryCursor:
    fields = decode(cursor)
    try:
        found = StoryCursor(
            reference=datetime.fromisoformat(str(fields["r"])),
            score=float(fields["s"]),
            story_id=int(fields["i"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest("cursor: not a story cursor this API returned") from exc
    if not math.isfinite(found.score):
        raise BadRequest("cursor: not a story cursor this API returned")
    return found


def integer(cursor: str, key: str) -> int:
    """An integer field of ``cursor`` (an offset or an id), never negative."""
    try:
        value = int(decode(cursor)[key])
    except (KeyError, TypeError, ValueError) as exc:
        raise BadRequest("cursor: not a cursor this API returned") from exc
    if value < 0 or value > 2**31:
        raise BadRequest("cursor: out of range")
    return value
