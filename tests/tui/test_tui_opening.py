"""Opening the knowledge base from the TUI: a first run's progress, quitting before it
ends, and stores that cannot be opened (locked, unreachable, a full disk)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys

import pytest
from textual.widgets import ContentSwitcher

from mlkb import KnowledgeBase, Settings
from mlkb.embed.fake import FakeEmbedder
from tests.tui.tui_helpers import settle, view
from tui import MlkbApp, open_knowledge_base
from tui.screens.browse import BrowseScreen
from tui.widgets.error_view import ErrorView
from tui.widgets.search_bar import SearchBar
from tui.widgets.status_line import StatusLine


def test_first_run_progress_shows_in_the_status_line(small_kb: KnowledgeBase) -> None:
    """The model export and the seeding take half a minute on a first run; the status line
    says so instead of only 'Opening the knowledge base…'."""
    import logging
    import threading

    release = threading.Event()
    handlers = list(logging.getLogger("mlkb").handlers)  # the CLI's own, if a test set it

    def opener() -> KnowledgeBase:
        logging.getLogger("mlkb").info("seeding the new store with %d curated recipes", 242)
        release.wait(10)
        return small_kb

    async def scenario() -> None:
        app = MlkbApp(opener, close_on_exit=False, show_timings=False)
        async with app.run_test() as pilot:
            for _ in range(50):
                await pilot.pause(0.1)
                if "seeding" in app.query_one(StatusLine).text:
                    break
            assert "seeding the new store with 242 curated recipes…" in (
                app.query_one(StatusLine).text
            )
            release.set()
            await settle(pilot)
            assert app.ready and "recipes ·" in app.query_one(StatusLine).text

    try:
        asyncio.run(scenario())
    finally:
        release.set()
    assert logging.getLogger("mlkb").handlers == handlers  # the bridge is gone once open


def test_quitting_while_the_store_opens_does_not_wait_for_it(small_kb: KnowledgeBase) -> None:
    """q during a first run's half minute of model export and seeding ends the app at once;
    the knowledge base that opens after it is closed, not left holding the store."""
    import threading
    import time

    release, closed = threading.Event(), threading.Event()

    class Opened:
        def stats(self) -> dict[str, object]:
            return small_kb.stats()

        def close(self) -> None:
            closed.set()

    def opener() -> Opened:
        release.wait(30)
        return Opened()

    async def scenario() -> None:
        app = MlkbApp(opener, show_timings=False)  # type: ignore[arg-type]
        async with app.run_test() as pilot:
            await pilot.pause(0.2)
            assert not app.ready
            await pilot.press("q")

    try:
        started = time.monotonic()
        asyncio.run(scenario())  # the loop's end waits for workers: the opener is none
        assert time.monotonic() - started < 5  # not the 30 s the opener would take
        assert not closed.is_set()
    finally:
        release.set()
    assert closed.wait(5)


def test_an_unexpected_error_while_opening_shows_in_the_error_view() -> None:
    """Not only mlkb's own errors: a full disk during the model export, say, must not leave
    the app on 'Opening the knowledge base…' for ever."""

    def opener() -> KnowledgeBase:
        raise OSError(28, "No space left on device", "/home/u/.mlkb/models/x.part")

    async def scenario() -> tuple[str, str]:
        app = MlkbApp(opener, show_timings=False)
        async with app.run_test() as pilot:
            await settle(pilot)
            return app.query_one(ContentSwitcher).current or "", app.query_one(StatusLine).text

    view, status = asyncio.run(scenario())
    assert view == "error" and "No space left on device" in status and "x.part" in status


def test_locked_store_shows_an_error_not_a_crash(fake_settings: Settings) -> None:
    holder = KnowledgeBase(fake_settings, embedder=FakeEmbedder(), seed=False)
    try:

        async def scenario() -> None:
            app = MlkbApp(lambda: open_knowledge_base(Settings()))
            async with app.run_test() as pilot:
                await settle(pilot)
                assert view(app) == "error"
                assert not app.ready
                message = str(app.query_one(ErrorView).render())
                assert "in use by" in message and "mlkb serve" in message
                notes = list(app._notifications)
                assert notes and notes[0].severity == "error"
                await pilot.press("escape", "b")  # browse is off without a store
                assert not isinstance(app.screen, BrowseScreen)
                assert "Press r to try again" in message
                holder.close()  # the other process lets go: r opens the store
                await pilot.press("r")
                await settle(pilot)
                assert view(app) == "welcome" and app.ready
                assert not app.query_one(SearchBar).disabled
            assert app.return_code in (0, None)

        asyncio.run(scenario())
    finally:
        holder.close()


def test_unreachable_server_shows_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("MLKB_API_URL", f"http://127.0.0.1:{port}")

    async def scenario() -> None:
        app = MlkbApp(lambda: open_knowledge_base(Settings()))
        async with app.run_test() as pilot:
            await settle(pilot)
            assert view(app) == "error"
            assert "cannot reach mlkb serve" in app.query_one(StatusLine).text

    asyncio.run(scenario())


def test_cli_has_tui_without_importing_textual() -> None:
    code = (
        "import sys, mlkb.cli; "
        "assert 'textual' not in sys.modules, 'textual imported by mlkb.cli'; "
        "print(sorted(c.name for c in mlkb.cli.app.registered_commands if c.name))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "'tui'" in out.stdout
