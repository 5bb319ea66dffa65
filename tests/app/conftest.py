"""Fixtures of the app's tests: a server and a browser per browser-test module (the harness is
in ``test_browser.py``), and the files a page hands to ``st.download_button`` under AppTest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import test_browser as harness
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage


@pytest.fixture(scope="module")
def app_url():
    """The app served by ``streamlit run`` for the module; skipped without Chromium, failed
    under CI (where ``.ci/run`` installs it)."""
    if not Path(harness.CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is not installed (apt-get install chromium chromium-driver)")
        pytest.skip("Chromium is not installed; .ci/run installs it")
    proc, url = harness.start_server()
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (Debian's) driven by Playwright, one for the module."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=harness.CHROMIUM, args=harness.ARGS)
        yield b
        b.close()


@pytest.fixture
def media(monkeypatch) -> dict[str, bytes]:
    """file id -> bytes of everything the page gives to st.download_button."""
    files: dict[str, bytes] = {}
    original = MemoryMediaFileStorage.load_and_get_id

    def record(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        files[file_id] = path_or_data
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", record)
    return files
