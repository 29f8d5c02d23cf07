"""The cache-entry lock: a second install waits, says so, and runs only after the first."""

from __future__ import annotations

import threading
from pathlib import Path

from kansoku.tools.cachelock import entry_lock


def test_a_second_holder_waits_for_the_first_and_says_so(tmp_path: Path) -> None:
    entry = tmp_path / "cache" / "tool-1.0-abc"
    order: list[str] = []
    said: list[str] = []
    first_in = threading.Event()
    waiting = threading.Event()
    release = threading.Event()

    def say(message: str) -> None:
        said.append(message)
        waiting.set()

    def first() -> None:
        with entry_lock(entry, "tool 1.0", order.append):
            order.append("first in")
            first_in.set()
            release.wait(30)
            order.append("first out")

    def second() -> None:
        with entry_lock(entry, "tool 1.0", say):
            order.append("second in")

    one = threading.Thread(target=first)
    one.start()
    assert first_in.wait(30)
    two = threading.Thread(target=second)
    two.start()
    assert waiting.wait(30), "the second holder never said it was waiting"
    assert "second in" not in order, "the second holder got the lock while the first held it"
    release.set()
    one.join(30)
    two.join(30)
    assert order == ["first in", "first out", "second in"]
    assert said == ["[tool 1.0] another install is building it; waiting"]
    assert (entry.parent / ".tool-1.0-abc.lock").exists()
