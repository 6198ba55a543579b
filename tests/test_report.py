import os
import re
import shutil
from html.parser import HTMLParser

import pytest
from conftest import DATA

from boiler.formats import Page, read_lines_txt
from boiler.report import render_report, summarise

NEWS = read_lines_txt((DATA / "handmade_news.lines.txt").read_text(encoding="utf-8"))
TRICKY = ["<script>window.injected = 1</script> & a headline \"quoted\"", "", "A long line of the article, with words, "
          "enough of them to read as text, and a full stop at the end of it all."]


class _Lines(HTMLParser):
    """Collects the text of each ``.line`` element's ``.text`` span, and whether scripts other than ours appear."""

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self.scripts = 0
        self._in_text = False

    def handle_starttag(self, tag, attrs):
        cls = dict(attrs).get("class", "")
        if tag == "script":
            self.scripts += 1
        if tag == "span" and cls == "text":
            self._in_text = True
            self.texts.append("")

    def handle_endtag(self, tag):
        if tag == "span":
            self._in_text = False

    def handle_data(self, data):
        if self._in_text:
            self.texts[-1] += data


def _report(labeler, pages):
    rows = labeler.explain_pages([p.lines for p in pages])
    return render_report(list(zip(pages, rows)), model="test-model"), rows


def test_every_line_is_in_the_report_escaped(small_labeler):
    page = Page(lines=TRICKY, id="tricky<1>")
    doc, rows = _report(small_labeler, [NEWS, page])
    parser = _Lines()
    parser.feed(doc)
    assert parser.texts == NEWS.lines + TRICKY
    assert parser.scripts == 1  # only the report's own filter script; the page's <script> is text
    assert "tricky&lt;1&gt;" in doc


def test_summary_counts_and_explanations(small_labeler):
    rows = small_labeler.explain_pages([NEWS.lines])[0]
    s = summarise(rows)
    results = small_labeler.label(NEWS.lines)
    assert [r.result.label for r in rows] == [r.label for r in results]
    assert [r.result.reason for r in rows] == [r.reason for r in results]
    assert s.lines_kept == sum(r.is_body is True for r in results)
    assert s.lines_dropped == sum(r.is_body is False for r in results)
    assert s.lines == len(NEWS.lines)
    judged = [r for r in rows if r.result.is_body is not None]
    assert all(r.groups and 0 <= r.p_own <= 1 for r in judged)
    assert all(abs(r.groups[0].effect) >= abs(r.groups[-1].effect) for r in judged)


def test_lines_against_gold_are_marked(small_labeler):
    wrong_gold = [("-" if lab == "+" else "+" if lab == "-" else lab) for lab in
                  (r.label for r in small_labeler.label(NEWS.lines))]
    page = Page(lines=NEWS.lines, labels=wrong_gold, id="flipped")
    doc, _ = _report(small_labeler, [page])
    judged = sum(1 for lab in wrong_gold if lab != " ")
    assert doc.count('data-wrong="1"') == judged
    assert re.search(rf"wrong</th><td>{judged}<", doc)


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def browser():
    found = _chromium()
    if not found:
        if os.environ.get("CI"):
            raise RuntimeError("CI must have Debian's chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("chromium and chromedriver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1200,900"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(found[1]), options=options)
    yield driver
    driver.quit()


def test_report_renders_in_a_real_browser(small_labeler, browser, tmp_path):
    from io import BytesIO

    from PIL import Image, ImageStat
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    pages = [NEWS, Page(lines=TRICKY, id="tricky")]
    doc, rows = _report(small_labeler, pages)
    path = tmp_path / "report.html"
    path.write_text(doc, encoding="utf-8")
    browser.get(path.as_uri())
    lines = browser.find_elements(By.CSS_SELECTOR, ".lines .line")
    assert len(lines) == len(NEWS.lines) + len(TRICKY)
    assert all(el.is_displayed() and el.size["height"] > 0 for el in lines)
    texts = [el.find_element(By.CSS_SELECTOR, ".text").get_attribute("textContent") for el in lines]
    assert texts == NEWS.lines + TRICKY
    assert browser.execute_script("return window.injected === undefined")  # the page's <script> is shown, not run

    # hovering a judged line shows its reason
    k = next(i for i, r in enumerate(rows[0]) if r.result.is_body is not None)
    tip = lines[k].find_element(By.CSS_SELECTOR, ".tip")
    assert not tip.is_displayed()
    ActionChains(browser).move_to_element(lines[k]).perform()
    assert tip.is_displayed() and rows[0][k].result.reason in tip.text

    # the filter hides chrome lines
    browser.find_element(By.CSS_SELECTOR, ".filters input[value=chrome]").click()
    chrome = [el for el, r in zip(lines, rows[0] + rows[1]) if r.result.is_body is False]
    assert chrome and not any(el.is_displayed() for el in chrome)
    browser.find_element(By.CSS_SELECTOR, ".filters input[value=chrome]").click()

    shot = Image.open(BytesIO(browser.get_screenshot_as_png())).convert("RGB")
    stat = ImageStat.Stat(shot)
    assert max(stat.stddev) > 10, "the screenshot is blank"
    colours = shot.getcolors(maxcolors=1 << 20) or []
    assert len(colours) > 50


def test_an_html_pages_report_shows_each_lines_tag_path(small_model, small_html_model):
    from boiler.html import parse_html
    from boiler.labeler import Labeler

    hp = parse_html("<html><body><nav class='menu'><a href='/'>Home</a></nav>"
                    "<article><p>A long enough sentence of the story for the reader to see.</p></article></body></html>")
    page = Page(hp.lines, source="p.html")
    rows = Labeler(small_model, html_model=small_html_model).explain_mixed([hp.lines], [hp])
    html = render_report(list(zip([page], rows)), model="test-model")
    assert "&lt;html &gt; body &gt; nav.menu &gt; a&gt;" in html
    assert "article &gt; p&gt;" in html
