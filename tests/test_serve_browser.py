"""The service's page in a real browser: Japanese renders as glyphs, and the page answers.

Runs where a Chromium is installed (found as tests/test_report_browser.py finds it; ``.ci/run``
installs Debian's ``chromium`` and ``fonts-noto-cjk``); skipped otherwise.

**Glyphs, not boxes.** A character no installed font has is drawn as the font's "missing
glyph" (a hollow box, *tofu*), and every missing character gets the *same* box. So the test
renders, each in its own fixed cell of a grid and in the page's own font stack (its style
sheet), the distinct Japanese characters the page shows, and a control row of code points
no font can have (unassigned ones). In the screenshot, each cell's ink is reduced to a bitmap:

- the control cells must all be one and the same bitmap — the box — which shows how this
  browser draws a missing glyph (and that the comparison can see it);
- no Japanese cell may be that box or be empty, and distinct Japanese characters must give
  distinct bitmaps (per-block placeholder fonts draw one shape for a whole block, so they
  fail this too).

Without a Japanese font every Japanese cell is the control box and the test fails.
"""

from __future__ import annotations

import html.parser
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import pytest

pytest.importorskip("starlette")
uvicorn = pytest.importorskip("uvicorn")

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the report test's helpers, however pytest imports
from test_report_browser import colour_stats, find_browser, read_png  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from coopcheck.serve.app import ServeConfig, create_app  # noqa: E402

BROWSER = find_browser()
pytestmark = [
    pytest.mark.skipif(BROWSER is None, reason="no Chromium on PATH (chromium, chromium-browser or google-chrome); "
                                               ".ci/run installs one with apt-get"),
    pytest.mark.filterwarnings("ignore:.*httpx2"),
]

CELL = 48
COLUMNS = 20
#: Code points no font has: gaps in the Greek block, unassigned since Unicode 1.1.
NO_GLYPH = "\u0378\u0379\u0380\u0381\u0382\u0383\u038b\u038d\u03a2"
LATIN = "AbcdEFghKx"
#: At most this many distinct Japanese characters of the page are rendered.
SAMPLE = 60


def is_japanese(ch: str) -> bool:
    """Hiragana, katakana or a CJK ideograph."""
    return "\u3041" <= ch <= "\u30ff" or "\u4e00" <= ch <= "\u9fff"


class _Text(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


@pytest.fixture(scope="module")
def page() -> tuple[str, str]:
    """The page's HTML and its style sheet, as the service serves them."""
    with TestClient(create_app(ServeConfig())) as c:
        return c.get("/").text, c.get("/static/app.css").text


def _chromium(profile: Path, *flags: str) -> list[str]:
    return [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--force-device-scale-factor=1", "--no-first-run", "--disable-extensions", f"--user-data-dir={profile}",
            *flags]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """The real service (uvicorn) on a free loopback port, for this module's lifetime."""
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(ServeConfig()), host="127.0.0.1", port=port, log_level="warning",
                                        lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=15)
    assert not thread.is_alive(), "the server did not stop"


QUESTION = "/?coop=aizu&action=share&data=purchase_history&recipient=jccu&purpose=delivery&lang=ja"
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}


def _glyph_sample(markup: str) -> list[str]:
    """The distinct Japanese characters the page shows (its text, not its script or style)."""
    parser = _Text()
    parser.feed(markup)
    return list(dict.fromkeys(ch for ch in "".join(parser.text) if is_japanese(ch)))[:SAMPLE]


def _harness(style: str, sample: list[str], folder: Path) -> Path:
    """A page with the service's style sheet and one character per fixed grid cell."""
    spans = "".join(f'<span class="g">&#x{ord(ch):x};</span>' for ch in sample)
    harness = folder / "glyphs.html"
    harness.write_text(
        '<!DOCTYPE html><html lang="ja"><head><meta charset="utf-8"><style>' + style + "</style><style>"
        f"body{{margin:0;background:#fff}}.grid{{display:grid;grid-template-columns:repeat({COLUMNS},{CELL}px);"
        f"grid-auto-rows:{CELL}px}}.g{{display:block;overflow:hidden;font-size:32px;line-height:{CELL}px;"
        f"text-align:center;color:#000}}</style></head><body><div class=\"grid\">{spans}</div></body></html>",
        encoding="utf-8")
    return harness


@pytest.fixture(scope="module")
def browser_runs(page, server, tmp_path_factory):
    """Every Chromium run of this module, started together: the glyph grid's screenshot, and
    the page at phone width (its DOM too, after the script answered) and at desktop width.
    name -> (screenshot, browser output); "dom" -> (the DOM, browser output)."""
    folder = tmp_path_factory.mktemp("serve-browser")
    markup, style = page
    chars = _glyph_sample(markup)
    sample = chars + list(LATIN) + list(NO_GLYPH)
    rows = -(-len(sample) // COLUMNS)
    runs = {"glyphs": (folder / "glyphs.png", _chromium(
        folder / "p-glyphs", f"--window-size={COLUMNS * CELL},{rows * CELL + 40}",
        f"--screenshot={folder / 'glyphs.png'}", _harness(style, sample, folder).as_uri()))}
    for name, (w, h) in SIZES.items():  # the phone run also dumps the DOM once the script is done
        runs[name] = (folder / f"{name}.png", _chromium(
            folder / f"p-{name}", "--virtual-time-budget=10000", f"--window-size={w},{h}",
            *(["--dump-dom"] if name == "phone" else []), f"--screenshot={folder / f'{name}.png'}", server + QUESTION))
    started = {name: (target, subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
               for name, (target, cmd) in runs.items()}
    out = {"chars": chars, "sample": sample}
    for name, (target, proc) in started.items():
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        out[name] = (target, stdout + stderr)
        if name == "phone":
            out["dom"] = (stdout, stderr)
    return out


def _cells(png: Path, count: int) -> list[bytes]:
    """Each grid cell's ink as a bitmap (1 where the pixel is dark), row by row."""
    rows_needed = -(-count // COLUMNS) * CELL
    width, _, rows = read_png(png, max_rows=rows_needed)
    bpp = len(rows[0]) // width
    out = []
    for i in range(count):
        x0, y0 = (i % COLUMNS) * CELL, (i // COLUMNS) * CELL
        bits = bytearray()
        for y in range(y0, y0 + CELL):
            row = rows[y]
            for x in range(x0, x0 + CELL):
                r, g, b = row[x * bpp:x * bpp + 3]
                bits.append(1 if (r * 299 + g * 587 + b * 114) // 1000 < 160 else 0)
        out.append(bytes(bits))
    return out


def test_the_pages_japanese_renders_as_glyphs_not_boxes(browser_runs):
    chars, sample = browser_runs["chars"], browser_runs["sample"]
    assert len(chars) >= 30, "the page shows little Japanese: the test would prove nothing"
    shot, output = browser_runs["glyphs"]
    assert shot.exists(), output[-2000:]
    cells = _cells(shot, len(sample))
    japanese, latin, boxes = cells[:len(chars)], cells[len(chars):-len(NO_GLYPH)], cells[-len(NO_GLYPH):]

    # the control: code points without a glyph all come out as one and the same box
    assert len(set(boxes)) == 1 and sum(boxes[0]) > 20, "the browser draws missing glyphs in a way this test cannot see"
    assert len(set(latin)) == len(LATIN), "the grid's cells are not where the test reads them"
    box = boxes[0]
    as_box = [ch for ch, cell in zip(chars, japanese) if cell == box]
    assert not as_box, (f"{len(as_box)} of {len(chars)} Japanese characters render as empty boxes (tofu): "
                        f"{''.join(as_box[:20])} — install a Japanese font (Debian: fonts-noto-cjk)")
    blank = [ch for ch, cell in zip(chars, japanese) if sum(cell) < 10]
    assert not blank, f"Japanese characters render as nothing: {''.join(blank)}"
    distinct = len(set(japanese))
    assert distinct >= 0.9 * len(chars), (f"{len(chars)} distinct Japanese characters render as only {distinct} "
                                          "shapes: placeholders, not glyphs")


def test_the_page_asks_and_shows_the_answer(browser_runs):
    """The script reads the question from the URL, asks /v1/explain and /v1/compare, and
    shows the verdict, the clause cited and every co-op's answer."""
    dom, output = browser_runs["dom"]
    assert 'data-state="done"' in dom, (dom + output)[-3000:]
    assert "許可" in dom and "指針2 ◇商品・サービスの提供に関わっての共同利用" in dom and "共同利用" in dom
    assert dom.count("<tr>") >= 6  # the heading and one row per co-op
    assert "不許可" in dom  # kuruko says no


@pytest.mark.parametrize("size", sorted(SIZES))
def test_the_page_renders_at_phone_and_desktop_width(browser_runs, size):
    shot, output = browser_runs[size]
    assert shot.exists(), output[-2000:]
    width, height, rows = read_png(shot, max_rows=300)
    assert (width, height) == SIZES[size]
    colours, ink = colour_stats(rows, len(rows[0]) // width)
    assert colours >= 32 and ink >= 0.05, f"the page looks blank at {size}: {colours} colours, {ink:.1%} ink"
