"""Headless Chromium (selenium) for the demo page's browser tests; skips when it is missing."""

import contextlib
import shutil
import socket
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def chromium(profile: Path):
    """Headless Chromium with a fresh profile folder (Chromium as root needs --no-sandbox)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    if not (browser and driver):
        pytest.skip("chromium/chromedriver not installed (`make browser` installs them as root "
                    "with apt-get)")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
                "--window-size=1400,1000", f"--user-data-dir={profile}"):
        options.add_argument(arg)
    return webdriver.Chrome(options=options, service=Service(driver))


@contextlib.contextmanager
def demo_page(run_dir, tmp_path: Path, timeout_s: int = 120):
    """The demo page of `run_dir` served on a free loopback port and open in headless Chromium:
    yields (driver, wait); the browser and the server are closed afterwards."""
    from selenium.webdriver.support.ui import WebDriverWait

    from pse_tf.demo import serve

    port = free_port()
    app = serve(run_dir, port=port, block=False)
    driver = None
    try:
        driver = chromium(tmp_path / "chromium-profile")
        driver.get(f"http://127.0.0.1:{port}/")
        yield driver, WebDriverWait(driver, timeout_s)
    finally:
        if driver is not None:
            driver.quit()
        app.close()


def generate(driver, wait, words: str):
    """Type `words` into the page's text box, press Generate and wait for the gallery; returns
    the text box."""
    from selenium.webdriver.common.by import By

    box = wait.until(lambda d: d.find_element(By.CSS_SELECTOR, "#words textarea, #words input"))
    box.send_keys(words)
    driver.find_element(By.ID, "generate").click()
    wait.until(lambda d: len(d.find_elements(By.CSS_SELECTOR, "#gallery img")) >= 8)
    return box
