"""The errors of the local stage."""

from __future__ import annotations


class LocalStageError(Exception):
    """Base of every error the local stage raises on purpose."""


class TemplateError(LocalStageError):
    """A synthesized template uses something the local stage cannot reproduce."""


class PortInUseError(LocalStageError):
    """A port the local stage should listen on is taken."""

    def __init__(self, server: str, port: int, option: str) -> None:
        super().__init__(
            f"Port {port} on 127.0.0.1 is already in use, so the {server} cannot "
            f"start. Stop whatever listens there, or choose another port with "
            f"{option} (0 picks a free one)."
        )
        self.server = server
        self.port = port
        self.option = option
