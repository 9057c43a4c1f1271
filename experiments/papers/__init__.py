"""Paper reproductions: each module's ``reproduce(out_dir)`` writes CSV, plots and a summary."""

__all__: list[str] = []
