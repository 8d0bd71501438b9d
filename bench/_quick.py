"""``--quick``, shared by every benchmark: the smallest run of each, to prove it works (``make bench-quick``, a fresh
clone's check) in seconds rather than to measure anything. Options given on the command line still win."""

from __future__ import annotations

import argparse
from typing import Any


def parse_args(parser: argparse.ArgumentParser, **smallest: Any) -> argparse.Namespace:
    """Parse the command line; with ``--quick``, ``smallest`` replaces the defaults."""
    sizes = " ".join(f"--{name.replace('_', '-')} {value}" for name, value in smallest.items())
    parser.add_argument("--quick", action="store_true", help=f"the smallest run, to check it works ({sizes})")
    args = parser.parse_args()
    if args.quick:
        parser.set_defaults(**smallest)
        args = parser.parse_args()
    return args
