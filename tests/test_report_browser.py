"""The report as a browser shows it: headless Chromium screenshots at phone and desktop width.

Runs where a Chromium is installed (``.ci/run`` installs Debian's ``chromium``); skipped
otherwise. Each screenshot must exist, have the window's size, and not be blank: the PNG is
decoded with the standard library and must hold many distinct colours, with a fair share
of pixels that are not the background.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from collections import Counter
from pathlib import Path

import pytest

from coopcheck import load_policy, shipped_policies
from coopcheck.presentation.report import write_report

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}
PAGES = ("index.html", "aizu.html", "compare.html")


def find_browser() -> str | None:
    """The first headless-capable Chromium on PATH."""
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


BROWSER = find_browser()
pytestmark = pytest.mark.skipif(
    BROWSER is None, reason="no Chromium on PATH (chromium, chromium-browser or google-chrome); "
                            ".ci/run installs one with apt-get")


def read_png(path: Path, max_rows: int | None = None) -> tuple[int, int, list[bytes]]:
    """(width, height, rows of RGB(A) bytes) of an 8-bit RGB or RGBA PNG, non-interlaced.

    Only the first ``max_rows`` rows are unfiltered when given (pure Python is slow).
    """
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + length
    assert header is not None, "no IHDR chunk"
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG format {header}"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(min(height, max_rows or height)):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            for i in range(stride):
                line[i] = (line[i] + prev[i]) & 0xFF
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        else:
            assert kind == 0, f"bad filter type {kind}"
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def colour_stats(rows: list[bytes], bpp: int) -> tuple[int, float]:
    """(distinct colours, share of pixels that are not the most common colour)."""
    counts: Counter = Counter()
    for row in rows:
        counts.update(row[i:i + 3] for i in range(0, len(row), bpp))
    total = sum(counts.values())
    return len(counts), 1 - counts.most_common(1)[0][1] / total


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("browser-report")
    write_report([load_policy(c) for c in shipped_policies()], out, baseline="kuruko")  # its diffs are quick
    return out


def screenshot_command(page: Path, size: tuple[int, int], target: Path, profile: Path) -> list[str]:
    """Chromium's command line for one headless screenshot (own profile, so runs can overlap)."""
    width, height = size
    return [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--force-device-scale-factor=1", "--no-first-run", "--disable-extensions",
            f"--user-data-dir={profile}", f"--window-size={width},{height}", f"--screenshot={target}",
            page.resolve().as_uri()]


@pytest.fixture(scope="module")
def shots(report, tmp_path_factory) -> dict[tuple[str, str], tuple[Path, str]]:
    """Every page at every size, taken in parallel: (page, size) -> (PNG path, browser output)."""
    folder = tmp_path_factory.mktemp("shots")
    running = {}
    for page in PAGES:
        for size, dims in SIZES.items():
            target = folder / f"{Path(page).stem}-{size}.png"
            cmd = screenshot_command(report / page, dims, target, folder / f"profile-{Path(page).stem}-{size}")
            running[(page, size)] = (target, subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                                              stderr=subprocess.STDOUT, text=True))
    out = {}
    for key, (target, proc) in running.items():
        try:
            output, _ = proc.communicate(timeout=180)
        except subprocess.TimeoutExpired:
            proc.kill()
            output, _ = proc.communicate()
        out[key] = (target, output)
    return out


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("page", PAGES)
def test_page_renders(shots, page, size):
    target, output = shots[(page, size)]
    assert target.exists(), f"no screenshot of {page} at {size}:\n{output[-2000:]}"
    width, height, rows = read_png(target, max_rows=240)
    assert (width, height) == SIZES[size]
    bpp = len(rows[0]) // width
    colours, ink = colour_stats(rows, bpp)
    assert colours >= 32, f"{page} at {size} looks blank: {colours} colours"
    assert ink >= 0.02, f"{page} at {size} is almost all background ({ink:.1%} other pixels)"


def test_read_png_decodes_known_image(tmp_path):
    """The decoder against a PNG built here: 2x2 RGB, four filter types."""
    pixels = [[(255, 0, 0), (0, 255, 0)], [(0, 0, 255), (255, 255, 255)]]
    raw = b""
    for y, row in enumerate(pixels):
        flat = bytes(v for px in row for v in px)
        if y == 0:
            raw += b"\x01" + flat[:3] + bytes((flat[i] - flat[i - 3]) & 0xFF for i in range(3, 6))
        else:
            up = bytes(v for px in pixels[0] for v in px)
            raw += b"\x02" + bytes((flat[i] - up[i]) & 0xFF for i in range(6))

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    path = tmp_path / "t.png"
    path.write_bytes(png)
    width, height, rows = read_png(path)
    assert (width, height) == (2, 2)
    assert rows == [bytes((255, 0, 0, 0, 255, 0)), bytes((0, 0, 255, 255, 255, 255))]
    assert colour_stats(rows, 3) == (4, 0.75)
