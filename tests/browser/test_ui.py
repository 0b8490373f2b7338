"""Browser test of the web UI in real headless Chromium (Debian's chromium + chromium-driver,
driven over WebDriver by selenium): sign up on a fresh instance, create an API key, check that the
secret and SDK variables are shown once, and that a VIEWER gets no create button and is refused by
the server. Screenshots go to $SIGHTLINE_ARTIFACTS (default artifacts/browser).

Run by scripts/browser-test, which installs the browser and starts a fresh server; SIGHTLINE_URL
names it.
"""

import os
import sys

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select, WebDriverWait

BASE = os.environ["SIGHTLINE_URL"].rstrip("/")
ARTIFACTS = os.environ.get("SIGHTLINE_ARTIFACTS", "artifacts/browser")
PASSWORD = "browser-test-password"


def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900"):
        options.add_argument(arg)
    service = Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(service=service, options=options)


def shot(driver, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    driver.save_screenshot(path)
    print(f"  screenshot {path}")


def fill(driver, form_id, fields):
    form = driver.find_element(By.ID, form_id)
    for name, value in fields.items():
        element = form.find_element(By.NAME, name)
        element.clear()
        element.send_keys(value)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def sign_in(driver, email, password):
    driver.get(f"{BASE}/ui/sign-in")
    fill(driver, "sign-in-form", {"email": email, "password": password})
    WebDriverWait(driver, 10).until(ec.url_contains("/ui/project/"))


def test_owner_signs_up_and_creates_a_key(driver):
    driver.get(f"{BASE}/ui/sign-up")
    assert "becomes the owner" in driver.page_source
    shot(driver, "01-sign-up")
    fill(driver, "sign-up-form", {"name": "Owner", "email": "owner@example.com", "password": PASSWORD})
    WebDriverWait(driver, 10).until(ec.url_contains("/ui/project/"))
    assert "Default Project" in driver.page_source
    shot(driver, "02-project-home")
    project_url = driver.current_url.rstrip("/")

    driver.get(f"{project_url}/settings/api-keys")
    driver.find_element(By.NAME, "note").send_keys("browser test")
    driver.find_element(By.ID, "create-key-button").click()
    # htmx swaps the new key in without a page load.
    env = WebDriverWait(driver, 10).until(ec.visibility_of_element_located((By.ID, "created-env")))
    text = env.text
    assert "LANGFUSE_PUBLIC_KEY=\"pk-lf-" in text, text
    assert "LANGFUSE_SECRET_KEY=\"sk-lf-" in text, text
    assert f"LANGFUSE_HOST=\"{BASE}\"" in text, text
    assert "browser test" in driver.find_element(By.ID, "api-keys").text
    shot(driver, "03-api-key-created")
    secret = text.split("LANGFUSE_SECRET_KEY=\"")[1].split("\"")[0]

    driver.refresh()
    assert secret not in driver.page_source, "the secret is shown once"
    return project_url


def test_viewer_cannot_create_keys(driver, project_url):
    # The owner invites a VIEWER on the organization's members page.
    driver.get(project_url)
    driver.find_element(By.CSS_SELECTOR, "#project-switcher summary").click()
    driver.find_element(By.LINK_TEXT, "Organization overview").click()
    driver.find_element(By.LINK_TEXT, "Members").click()
    form = driver.find_element(By.ID, "invite-form")
    form.find_element(By.NAME, "email").send_keys("viewer@example.com")
    Select(form.find_element(By.NAME, "role")).select_by_value("VIEWER")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(driver, 10).until(ec.presence_of_element_located((By.ID, "form-ok")))
    assert "viewer@example.com is invited" in driver.page_source
    shot(driver, "04-members-invited")

    # The viewer signs up with the invited address and sees the project read-only.
    driver.find_element(By.CSS_SELECTOR, "form[action='/ui/sign-out'] button").click()
    driver.get(f"{BASE}/ui/sign-up")
    fill(driver, "sign-up-form", {"name": "Viewer", "email": "viewer@example.com", "password": PASSWORD})
    WebDriverWait(driver, 10).until(ec.url_contains("/ui/project/"))
    assert "VIEWER" in driver.page_source
    driver.get(f"{project_url}/settings")
    assert "API keys</a>" not in driver.page_source
    assert not driver.find_elements(By.ID, "create-key-button")
    shot(driver, "05-viewer-settings")
    driver.get(f"{project_url}/settings/api-keys")
    assert "Forbidden" in driver.page_source
    assert not driver.find_elements(By.ID, "create-key-button")

    # The server refuses the create request itself, even with a valid CSRF token.
    driver.get(f"{project_url}/settings")
    token = driver.find_element(By.NAME, "csrf_token").get_attribute("value")
    status = driver.execute_async_script(
        """
        const [url, token, done] = arguments;
        fetch(url, {method: "POST", headers: {"Content-Type": "application/x-www-form-urlencoded"},
                    body: "note=viewer&csrf_token=" + token})
          .then(r => done(r.status), () => done(-1));
        """,
        f"{project_url}/settings/api-keys",
        token,
    )
    assert status == 403, status


def main():
    driver = browser()
    try:
        print("owner signs up and creates a key")
        project_url = test_owner_signs_up_and_creates_a_key(driver)
        print("a VIEWER cannot create keys")
        test_viewer_cannot_create_keys(driver, project_url)
    finally:
        driver.quit()
    print("browser test passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
