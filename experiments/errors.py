"""The exception types that the command line turns into one-line messages."""

from __future__ import annotations


class UserError(Exception):
    """A mistake in the command line or an input file: reported in one line, exit code 2."""


class Interrupted(Exception):
    """Ctrl-C during a long run: one line saying what was kept and how to resume, exit code 130."""
