"""The site in a real browser (Debian's headless Chromium through Selenium): pages render in
rank order, the search box works without JavaScript, no console errors (CSP included), and
screenshots at phone and desktop widths for a person to look at."""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from aggregator.web.app import make_app
from tests.web.conftest import options

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.support.wait import WebDriverWait  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and DRIVER),
    reason="needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
)
WIDTHS = (390, 1280)


@pytest.fixture(scope="module")
def live(filled: Engine) -> Iterator[str]:
    """The app on a loopback port of its own, for the module's tests."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        make_app(filled, options()), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[webdriver.Chrome]:
    chrome = webdriver.ChromeOptions()
    chrome.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--hide-scrollbars",
        "--lang=en-US",
    ):
        chrome.add_argument(flag)
    chrome.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=chrome, service=webdriver.ChromeService(str(DRIVER)))
    driver.set_page_load_timeout(20)
    yield driver
    driver.quit()


def console_errors(driver: webdriver.Chrome) -> list[str]:
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def shoot(driver: webdriver.Chrome, folder: Path, name: str) -> None:
    for width in WIDTHS:
        driver.set_window_size(width, 900)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(int(height) + 100, 6000))
        driver.save_screenshot(str(folder / f"{name}-{width}.png"))
        overflow = driver.execute_script(
            "return document.documentElement.scrollWidth > window.innerWidth"
        )
        assert not overflow, f"{name} scrolls sideways at {width}px"


def test_front_page_in_rank_order(
    live: str, browser: webdriver.Chrome, filled: Engine, tmp_path: Path
) -> None:
    browser.get(live + "/")
    shown = [
        int(item.get_attribute("data-story") or 0)
        for item in browser.find_elements(By.CSS_SELECTOR, "li.story")
    ]
    api = TestClient(make_app(filled, options())).get("/api/v1/stories?limit=100").json()
    assert shown == [story["id"] for story in api["stories"]][: len(shown)] and shown
    shoot(browser, tmp_path, "front")
    assert console_errors(browser) == []


def test_typing_a_query_shows_results(live: str, browser: webdriver.Chrome, tmp_path: Path) -> None:
    browser.get(live + "/")
    box = browser.find_element(By.CSS_SELECTOR, "form.search input[name=q]")
    box.send_keys("梅雨明け" + Keys.ENTER)
    WebDriverWait(browser, 10).until(lambda driver: "/search?q=" in driver.current_url)
    results = browser.find_elements(By.CSS_SELECTOR, "li.result")
    assert results and "関東甲信" in results[0].text
    assert browser.find_elements(By.CSS_SELECTOR, "p.snippet mark")
    browser.get(live + "/search?q=musk")
    shoot(browser, tmp_path, "search")
    assert console_errors(browser) == []


def test_story_page_lists_coverage(live: str, browser: webdriver.Chrome, tmp_path: Path) -> None:
    browser.get(live + "/?source=ratewatch.ca")
    browser.find_element(By.CSS_SELECTOR, "li.story h2 a").click()
    coverage = browser.find_elements(By.CSS_SELECTOR, "li.coverage")
    assert len(coverage) == 3
    shoot(browser, tmp_path, "story")
    browser.find_element(By.CSS_SELECTOR, "li.coverage p.read a").click()
    WebDriverWait(browser, 10).until(lambda driver: "/articles/" in driver.current_url)
    assert browser.find_elements(By.CSS_SELECTOR, "article.article-page .text p")
    shoot(browser, tmp_path, "article")
    browser.get(live + "/sources/ratewatch.ca")
    shoot(browser, tmp_path, "source")
    assert console_errors(browser) == []
