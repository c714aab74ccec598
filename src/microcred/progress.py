"""What a bulk run reports as it goes, in a module of its own so that the command line can draw
its progress bar without importing the issuing machinery first."""

from __future__ import annotations

__all__ = ["Progress"]


class Progress:
    """What a bulk run reports as it goes (the CLI draws a rich progress bar from it)."""

    def start(self, phase: str, total: int) -> None: ...

    def advance(self, amount: int = 1) -> None: ...
