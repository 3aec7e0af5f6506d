"""The map's label glyphs, made at build time from the packaged font: signed-distance-field PBF
ranges in the layout MapLibre fetches (``{fontstack}/{start}-{end}.pbf``), written into the static
files so a label never needs a download.

Only the scripts a label writes outside the ideographs are built: Latin (English names, road
numbers such as G324), general punctuation, CJK symbols and full-width forms. Chinese characters
are drawn in the browser from its own font (MapLibre's ``localIdeographFontFamily``, the style's
``LOCAL_IDEOGRAPHS``), which keeps the static files small and the type as the page's own.

Run ``python -m tiles.glyphs OUT_DIR [FONT]`` (scripts/build_frontend.sh and the Dockerfile do).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTSTACK = "geoportal-sans"
# The browser fonts the ideographs are drawn in, in order of preference (Debian's, then Windows',
# macOS' and Android's); the first the browser has wins.
LOCAL_IDEOGRAPHS = "'WenQuanYi Micro Hei', 'Microsoft YaHei', 'PingFang SC', 'Noto Sans CJK SC', sans-serif"
DEFAULT_FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
RANGES = (0, 256, 8192, 12288, 65280)  # starts of the 256-code-point ranges built

SIZE = 24  # MapLibre's glyph em size
BUFFER = 3  # its glyph border
RADIUS = 8.0
CUTOFF = 0.25
SUPERSAMPLE = 4
# MapLibre lines up glyphs it draws itself with server glyphs by this offset of their top; these
# glyphs use the same, so Latin and the locally drawn ideographs share a baseline.
TOP_ADJUSTMENT = 27


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _field(number: int, wire: int, payload: bytes | int) -> bytes:
    key = _varint(number << 3 | wire)
    if wire == 0:
        assert isinstance(payload, int)
        return key + _varint(payload)
    assert isinstance(payload, bytes)
    return key + _varint(len(payload)) + payload


def _zigzag(n: int) -> int:
    return (n << 1) ^ (n >> 63)


def _sdf(mask: np.ndarray) -> np.ndarray:
    """The signed distance field of a supersampled binary mask, at glyph resolution: 191 on the
    outline, rising inside and falling outside over ``RADIUS`` pixels (the fontnik encoding)."""
    h, w = mask.shape[0] // SUPERSAMPLE, mask.shape[1] // SUPERSAMPLE
    edge = mask ^ np.roll(mask, 1, 0) | mask ^ np.roll(mask, 1, 1)
    ey, ex = np.nonzero(edge)
    ys = (np.arange(h) + 0.5) * SUPERSAMPLE
    xs = (np.arange(w) + 0.5) * SUPERSAMPLE
    gy, gx = np.meshgrid(ys, xs, indexing="ij")
    if len(ey):
        d = np.sqrt((gy[..., None] - ey) ** 2 + (gx[..., None] - ex) ** 2).min(axis=-1) / SUPERSAMPLE
    else:
        d = np.full((h, w), RADIUS)
    inside = mask[(gy - 0.5).astype(int), (gx - 0.5).astype(int)]
    signed = np.where(inside, -d, d)
    return np.clip(255 - 255 * (signed / RADIUS + CUTOFF), 0, 255).astype(np.uint8)


def glyph(font: ImageFont.FreeTypeFont, big: ImageFont.FreeTypeFont, code: int) -> bytes:
    """One glyph message: id, bitmap, width, height, left, top, advance."""
    ch = chr(code)
    advance = round(font.getlength(ch))
    x0, y0, x1, y1 = font.getbbox(ch, anchor="ls")
    width, height = max(0, x1 - x0), max(0, y1 - y0)
    parts = [_field(1, 0, code)]
    if width and height:
        pad = BUFFER * SUPERSAMPLE
        canvas = Image.new("L", ((width + 2 * BUFFER) * SUPERSAMPLE, (height + 2 * BUFFER) * SUPERSAMPLE))
        ImageDraw.Draw(canvas).text(
            (pad - x0 * SUPERSAMPLE, pad - y0 * SUPERSAMPLE), ch, font=big, fill=255, anchor="ls"
        )
        parts.append(_field(2, 2, _sdf(np.asarray(canvas) > 127).tobytes()))
    parts += [
        _field(3, 0, width),
        _field(4, 0, height),
        _field(5, 0, _zigzag(x0)),
        _field(6, 0, _zigzag(-y0 - TOP_ADJUSTMENT)),
        _field(7, 0, advance),
    ]
    return b"".join(parts)


def glyph_range(font_path: str, codes: set[int], start: int) -> bytes:
    font = ImageFont.truetype(font_path, SIZE, index=0)
    big = ImageFont.truetype(font_path, SIZE * SUPERSAMPLE, index=0)
    end = start + 255
    glyphs = b"".join(_field(3, 2, glyph(font, big, code)) for code in range(start, end + 1) if code in codes)
    stack = _field(1, 2, FONTSTACK.encode()) + _field(2, 2, f"{start}-{end}".encode()) + glyphs
    return _field(1, 2, stack)


def build(out: Path, font_path: str = DEFAULT_FONT) -> list[Path]:
    from reportlab.pdfbase.ttfonts import TTFontFile

    codes = {c for c in TTFontFile(font_path, subfontIndex=0).charToGlyph if c >= 32}
    folder = out / FONTSTACK
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for start in RANGES:
        path = folder / f"{start}-{start + 255}.pbf"
        path.write_bytes(glyph_range(font_path, codes, start))
        written.append(path)
    return written


if __name__ == "__main__":
    for built in build(Path(sys.argv[1]), *sys.argv[2:3]):
        print(built, built.stat().st_size)
