"""One line at the bottom: a spinner while busy, then hits and timing, or an error."""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class StatusLine(Static):
    """Shows what the app is doing."""

    DEFAULT_CSS = """
    StatusLine {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
        &.-error { color: $text-error; background: $error-muted; }
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", **kwargs)
        self._busy_text = ""
        self._frame = 0
        self._timer: Timer | None = None
        self.text = ""

    def busy(self, text: str) -> None:
        """Spin with ``text`` until ``done`` or ``error``."""
        self._busy_text = text
        self.remove_class("-error")
        if self._timer is None:
            self._timer = self.set_interval(0.08, self._spin)
        self._spin()

    def done(self, text: str) -> None:
        """Stop spinning and show ``text``."""
        self._stop()
        self.remove_class("-error")
        self._set(Content(text))

    def error(self, text: str) -> None:
        """Stop spinning and show an error."""
        self._stop()
        self.add_class("-error")
        self._set(Content.from_markup("[b]error:[/b] $text", text=text))

    @property
    def is_busy(self) -> bool:
        """True while the spinner turns."""
        return self._timer is not None

    def _spin(self) -> None:
        self._frame = (self._frame + 1) % len(FRAMES)
        self._set(
            Content.from_markup(
                "[$accent]$frame[/] $text", frame=FRAMES[self._frame], text=self._busy_text
            )
        )

    def _stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _set(self, content: Content) -> None:
        self.text = content.plain
        self.update(content)
