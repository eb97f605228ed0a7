"""Selenium helpers for the web UI tests (headless Debian chromium + chromedriver)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, StaleElementReferenceException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / ".build" / "screenshots"
CHROMIUM = os.environ.get("STOA_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("STOA_CHROMEDRIVER", "/usr/bin/chromedriver")
WAIT = 15.0
PASSWORD = "correct horse battery"


def server_env(**extra: str) -> dict[str, str]:
    """Environment for a `stoa serve` under a browser test: the UI from STOA_TEST_WEB_DIR
    when set (live files during UI work), else the copy built into the binary. Rate limits
    are off because the scenarios sign in and up several times within seconds."""
    env = {"STOA_RATE_LIMIT": "off", **extra}
    web_dir = os.environ.get("STOA_TEST_WEB_DIR")
    if web_dir:
        env["STOA_WEB_DIR"] = web_dir
    return env


def make_driver(width: int = 1280, height: int = 900) -> WebDriver:
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        pytest.fail(f"chromium ({CHROMIUM}) and chromedriver ({CHROMEDRIVER}) are needed: apt-get install chromium chromium-driver")
    os.environ.setdefault("SE_AVOID_STATS", "true")
    opts = Options()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", "--lang=en-US", "--force-prefers-reduced-motion"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    return driver


def wait(driver: WebDriver, cond, timeout: float = WAIT, message: str = ""):
    # The UI re-renders lists freely: an element that went stale mid-check is simply checked again.
    return WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)).until(cond, message)


def css(driver: WebDriver, selector: str):
    return driver.find_element(By.CSS_SELECTOR, selector)


def wait_css(driver: WebDriver, selector: str, timeout: float = WAIT, visible: bool = True):
    def find(d):
        for el in d.find_elements(By.CSS_SELECTOR, selector):
            if not visible or el.is_displayed():
                return el
        return False

    return wait(driver, find, timeout, f"no {'visible ' if visible else ''}element matches {selector!r}")


def wait_text(driver: WebDriver, selector: str, text: str, timeout: float = WAIT):
    def has(d):
        for el in d.find_elements(By.CSS_SELECTOR, selector):
            if text in el.text:
                return el
        return False

    return wait(driver, has, timeout, f"{text!r} never appeared in {selector!r}")


def wait_path(driver: WebDriver, predicate, timeout: float = WAIT) -> str:
    wait(driver, lambda d: predicate(d.execute_script("return location.pathname + location.search")), timeout,
         "the page never reached the expected address")
    return driver.execute_script("return location.pathname + location.search")


def path(driver: WebDriver) -> str:
    return driver.execute_script("return location.pathname")


def screenshot(driver: WebDriver, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    target = SCREENSHOTS / f"{name}.png"
    time.sleep(0.25)  # let toasts/transitions settle so the picture shows the steady state
    driver.save_screenshot(str(target))
    return target


def no_alert(driver: WebDriver) -> bool:
    try:
        driver.switch_to.alert
    except NoAlertPresentException:
        return True
    return False


def session_cookie(driver: WebDriver) -> str:
    cookies = {c["name"]: c["value"] for c in driver.get_cookies()}
    value = cookies.get("better-auth.session_token") or cookies.get("__Secure-better-auth.session_token")
    assert value, f"no session cookie in the browser (cookies: {sorted(cookies)})"
    return "better-auth.session_token=" + value


def register(driver: WebDriver, base: str, name: str, email: str, password: str = PASSWORD) -> None:
    driver.get(base + "/register")
    wait_css(driver, "input[name=name]").send_keys(name)
    css(driver, "input[name=email]").send_keys(email)
    css(driver, "input[name=password]").send_keys(password)
    css(driver, "form.auth-form button[type=submit]").click()
    wait_css(driver, ".composer-input")


def browser_errors(driver: WebDriver) -> list[str]:
    """Severe console messages (uncaught exceptions, failed module loads), minus expected
    HTTP errors that the scenarios provoke on purpose (401 after revocation, 404s)."""
    out = []
    for entry in driver.get_log("browser"):
        if entry.get("level") != "SEVERE":
            continue
        msg = entry.get("message", "")
        if "the server responded with a status of" in msg:
            continue
        # Parsing hostile HTML in the sanitiser makes Chrome report the handler attributes and
        # <style> it saw to the page's CSP (nothing runs: the test checks that separately).
        if "/assets/sanitize.js" in msg and "violates the following Content Security Policy" in msg:
            continue
        out.append(msg)
    return out
