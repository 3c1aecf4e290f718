"""The fixture's report.html in a real browser (headless Chromium): the
recommendations table is on the first screen, every image loads, the page
logs no error, its tables sort, its charts' checkboxes show and hide series,
and it is ready within a few seconds. Skipped only where Chromium is not
installed."""
import time

import pytest

from headless_chromium import BINARY, Browser
from report_helpers import rendered_base

pytestmark = pytest.mark.skipif(
    BINARY is None, reason="chromium is not installed (Debian package 'chromium'; scripts/setup.sh installs it)")

SCREEN = (1366, 768)          # a laptop at 100% zoom
READY_WITHIN_S = 3.0


@pytest.fixture(scope="module")
def page():
    url = (rendered_base() / "report.html").as_uri()
    browser = Browser(*SCREEN)
    start = time.monotonic()
    browser.call("Page.navigate", session=True, url=url)
    browser.wait_for("Page.loadEventFired")
    browser.load_seconds = time.monotonic() - start
    yield browser
    browser.close()


def test_ready_within_a_few_seconds(page):
    assert page.load_seconds < READY_WITHIN_S


def test_recommendations_table_is_on_the_first_screen(page):
    box = page.evaluate("""(() => {
        const t = document.querySelector('table[data-table^="answer"]');
        const r = t.getBoundingClientRect();
        return {top: r.top, height: window.innerHeight, rows: t.tBodies[0].rows.length,
                firstText: t.tBodies[0].rows[0].cells[2].textContent};
    })()""")
    assert box["rows"] >= 1
    assert 0 <= box["top"] < box["height"] - 150, box   # the table and its first row are visible
    assert "tombstone_never" in box["firstText"]


def test_a_workload_links_to_its_figures(page):
    section = page.evaluate("""(async () => {
        const link = document.querySelector('table[data-table^="answer"] a[href^="#w-"]');
        link.click();
        await new Promise(r => setTimeout(r, 200));
        const d = document.getElementById(link.getAttribute('href').slice(1));
        return {tag: d.tagName, open: d.open, images: d.querySelectorAll('img').length,
                charts: d.querySelectorAll('figure.chart > svg').length};
    })()""")
    assert section == {"tag": "DETAILS", "open": True, "images": 3, "charts": 1}


def test_every_image_loads(page):
    images = page.evaluate("""(async () => {
        document.querySelectorAll('details').forEach(d => d.open = true);
        const imgs = Array.from(document.images);
        imgs.forEach(i => { i.loading = 'eager'; });
        await Promise.all(imgs.map(i => i.complete ? null :
            new Promise(r => { i.addEventListener('load', r); i.addEventListener('error', r); })));
        return imgs.map(i => ({src: i.getAttribute('src'), width: i.naturalWidth}));
    })()""")
    assert len(images) >= 10
    assert [i["src"] for i in images if not i["width"]] == []


def test_tables_sort_on_a_click(page):
    values = page.evaluate("""(() => {
        const t = document.querySelector('table[data-table="cells"]');
        const col = Array.from(t.tHead.rows[0].cells).findIndex(th => th.textContent.startsWith('Throughput'));
        t.tHead.rows[0].cells[col].click();
        return Array.from(t.tBodies[0].rows).map(r => r.cells[col].dataset.value)
                    .filter(v => v !== undefined).map(parseFloat);
    })()""")
    assert len(values) > 5 and values == sorted(values)


# Marks drawn on screen, per series: a hidden one has no box.
VISIBLE = """((id) => {
    const chart = document.getElementById(id);
    chart.closest('details').open = true;
    const out = {};
    chart.querySelectorAll('g.mark').forEach(g => {
        const key = g.dataset.alloc + '@' + g.dataset.size;
        const r = g.getBoundingClientRect();
        out[key] = (out[key] || 0) + (r.width > 0 && r.height > 0 ? 1 : 0);
    });
    return out;
})"""


def _visible(page, chart):
    return page.evaluate(f"{VISIBLE}({chart!r})")


def _click(page, chart, kind, value):
    page.evaluate(f"""document.getElementById({chart!r})
        .querySelector('input[data-toggle="{kind}"][value="{value}"]').click()""")


def test_unticking_an_allocator_hides_its_marks(page):
    chart = "chart-steady_churn_u64_quick"
    before = _visible(page, chart)
    assert before["glibc@quick"] == 3 and before["jemalloc@quick"] == 3
    _click(page, chart, "alloc", "jemalloc")
    after = _visible(page, chart)
    assert after["jemalloc@quick"] == 0 and after["glibc@quick"] == 3
    _click(page, chart, "alloc", "jemalloc")
    assert _visible(page, chart) == before


def test_ticking_a_size_shows_its_marks_beside_the_ranking(page):
    chart = "chart-steady_churn_u64_quick"
    assert _visible(page, chart)["glibc@full"] == 0          # hidden until its size is ticked
    _click(page, chart, "size", "full")
    assert _visible(page, chart)["glibc@full"] == 2
    _click(page, chart, "alloc", "glibc")                     # the allocator's box governs them too
    assert _visible(page, chart)["glibc@full"] == 0
    _click(page, chart, "alloc", "glibc")
    _click(page, chart, "size", "quick")
    shown = _visible(page, chart)
    assert shown["glibc@quick"] == shown["jemalloc@quick"] == 0 and shown["glibc@full"] == 2


def test_no_console_errors(page):
    assert page.console_errors() == []
