"""End-to-end fixtures: one local server (local mode, a temporary data dir) and one headless Chromium for the
whole package; a fresh browser context per tab, whose console, page errors and CSP violations fail the test.

Without Chromium the package is skipped, unless E2E_REQUIRE_BROWSER=1 (set by `make e2e`, which installs
Debian's chromium first): then a missing browser fails.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, expect, sync_playwright

from tests.e2e.browser import CHROMIUM, Screenshots, Tab, chromium_missing, launch, open_tab
from tools.local_server.server import LocalServer, Options

expect.set_options(timeout=20_000)


@pytest.fixture(scope="package", autouse=True)
def _chromium() -> None:
    if not chromium_missing():
        return
    reason = f"no Chromium at {CHROMIUM}: `make e2e` installs Debian's chromium and chromium-driver"
    if os.environ.get("E2E_REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    data = tmp_path_factory.mktemp("e2e-server")
    local = LocalServer(Options(port=0, data_dir=data, models="local")).start()
    try:
        yield local
    finally:
        local.stop()


@pytest.fixture(scope="package")
def base_url(server: LocalServer) -> str:
    return server.url


@pytest.fixture(scope="package")
def config(base_url: str) -> dict[str, Any]:
    answer = requests.get(f"{base_url}/config.json", timeout=10)
    answer.raise_for_status()
    return answer.json()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    playwright = sync_playwright().start()
    try:
        chromium = launch(playwright)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="package")
def screenshots(request: pytest.FixtureRequest) -> Iterator[Screenshots]:
    shots = Screenshots()
    yield shots
    if os.environ.get("UPDATE_SCREENSHOTS") == "1" and request.session.testsfailed == 0:
        shots.publish()


@pytest.fixture
def tabs(browser: Browser, server: LocalServer) -> Iterator[Callable[..., Tab]]:
    """Opens tabs, each in its own context (its own sessionStorage: its own signed-in user). At the end, any
    CSP violation, page error or unexpected console error in any of them fails the test."""
    opened: list[Tab] = []

    def open_one(viewport: dict[str, int] | None = None) -> Tab:
        tab = open_tab(browser, viewport)
        opened.append(tab)
        return tab

    yield open_one
    problems = [problem for tab in opened for problem in tab.watch.problems()]
    for tab in opened:
        tab.context.close()
    assert not problems, "the browser reported:\n" + "\n".join(problems)


@pytest.fixture
def tab(tabs: Callable[..., Tab]) -> Tab:
    return tabs()
