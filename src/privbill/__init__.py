"""privbill: privacy-preserving smart-meter billing.

A meter commits to every reading with a Pedersen commitment on ristretto255
and signs the commitments; the household reveals only what billing needs;
the retailer verifies it against the signed commitments.

Two layers, and the documentation says which one you are in:

- the recipes (meters, households, retailers, settlement, consent), which
  keep every lower-level failure inside one clear domain error;
- the low-level group and commitment types, :mod:`privbill.group` and
  :mod:`privbill.pedersen`, for building protocols.

Every error is a :class:`PrivbillError`; see :mod:`privbill.errors`.
"""

from __future__ import annotations

from privbill import group, pedersen
from privbill.errors import (
    BadSignatureError,
    EncodingError,
    OpeningError,
    PrivbillError,
    RangeError,
    VerificationError,
)
from privbill.group import Element, Scalar

__version__ = "0.1.0"

# --- the recipes -----------------------------------------------------------
# Meter, Household, Retailer and friends are exported here as they land:
#     from privbill.meter import Meter
# (keep this block free of heavy imports: dask, matplotlib and the like are
# imported lazily by the modules that need them).

__all__ = [
    "BadSignatureError",
    "Element",
    "EncodingError",
    "OpeningError",
    "PrivbillError",
    "RangeError",
    "Scalar",
    "VerificationError",
    "__version__",
    "group",
    "pedersen",
]
