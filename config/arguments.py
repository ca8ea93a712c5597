"""Argument types the management commands share; argparse puts the option's name before the message
(``argument --seeds: must be a whole number of at least 1, got '0'``)."""

from __future__ import annotations

from argparse import ArgumentTypeError


def positive_int(text: str) -> int:
    """A whole number of at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ArgumentTypeError(f"must be a whole number of at least 1, got {text!r}")
    return value
