"""The HTML report renders in a real browser: a headless Chromium screenshot
is not blank. Skipped where Chromium is not installed."""
import shutil
import subprocess
import tempfile

import pytest

from report_helpers import rendered_base

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")
def test_report_screenshot_is_not_blank(tmp_path):
    import matplotlib.image

    page = rendered_base() / "report.html"
    shot = tmp_path / "shot.png"
    subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tempfile.mkdtemp()}",
                    f"--screenshot={shot}", "--window-size=1400,3000", page.as_uri()],
                   capture_output=True, timeout=180)
    assert shot.exists()
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 3000 and pixels.shape[1] >= 1400
    assert pixels[..., :3].std() > 0.05   # text, tables and figures, not one flat colour
    # Some of the page is colour (heatmap squares), not only black on white.
    rgb = pixels[..., :3]
    assert (rgb.max(axis=-1) - rgb.min(axis=-1) > 0.3).mean() > 0.01
