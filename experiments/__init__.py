"""Experiments layer: the ``bitplane`` command line, sweeps, reports and reproductions."""

__all__: list[str] = []
