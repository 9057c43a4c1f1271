"""The one exception type that the command line turns into a one-line message."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the command line or an input file: reported in one line, exit code 2."""
