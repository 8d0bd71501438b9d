"""Opaque public identifiers: what the API, the pages and the public ledger call a row that a bidder can observe
before the opening (its bid, its registration, its objection).

Integer keys come from sequences shared by the whole platform: a bidder that submitted twice could subtract the two
ids of its own bids and learn how many bids others submitted in between — a count that 招标投标法 第22条 keeps
secret. A public id is a short type prefix and 128 random bits (``secrets``), URL-safe: unguessable and ordered by
nothing. The integer keys stay inside (foreign keys, joins); a path that names a row takes only its public id, so an
integer in its place is refused by validation, never resolved (docs/decisions/0014-opaque-public-ids.md).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import Path
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

RANDOM_BYTES = 16  # 128 bits
_RANDOM_CHARACTERS = 22  # base64url of 16 bytes, unpadded
PUBLIC_ID_LENGTH = 32  # the column: a prefix of up to 8 characters, "_", 22 random characters

BID, REGISTRATION, OBJECTION, OPENING_OBJECTION = "bid", "reg", "obj", "oobj"
SOLE_SUPPLIER_OBJECTION = "sobj"  # an objection to a sole supplier's publicity (政府采购法实施条例 第38条)


def new_public_id(prefix: str) -> str:
    """``<prefix>_<22 base64url characters>``, e.g. ``bid_Xq3…``."""
    return f"{prefix}_{secrets.token_urlsafe(RANDOM_BYTES)}"


def public_id_column(prefix: str) -> Mapped[str]:
    """The column of a row's public id, made when the row is."""
    return mapped_column(String(PUBLIC_ID_LENGTH), unique=True, default=lambda: new_public_id(prefix))


def pattern(prefix: str) -> str:
    """The regular expression a public id of this type matches (for path and body validation)."""
    return rf"^{prefix}_[A-Za-z0-9_-]{{{_RANDOM_CHARACTERS}}}$"


def example(prefix: str) -> str:
    """A fixed, well-formed public id for the OpenAPI document's examples."""
    return f"{prefix}_8ZbqFkR0xv3TnW7yLc2HQa"


def path_parameter(prefix: str, what: str) -> Any:
    """A path parameter that takes only a public id of this type: an integer key answers 422, never a row."""
    return Path(
        pattern=pattern(prefix),
        description=f"The {what}'s public id (never its integer key)",
        examples=[example(prefix)],
    )
