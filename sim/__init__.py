"""sim layer: filled in by its own issue (see ARCHITECTURE.md)."""

__all__: list[str] = []
