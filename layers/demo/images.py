"""Small synthetic equirectangular panoramas: sky and ground gradients, hills, a sun and some sheds."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw

SIZE = (1024, 512)
THUMB_SIZE = (256, 128)


def panorama_jpeg(seed: int) -> tuple[bytes, bytes]:
    """(image, thumbnail) as JPEG bytes; the same seed gives the same picture."""
    rng = np.random.default_rng(seed)
    w, h = SIZE
    horizon = h // 2
    t = np.linspace(0, 1, horizon)[:, None]
    sky = (1 - t) * np.array([70, 130, 200]) + t * np.array([200, 225, 245])
    g = np.linspace(0, 1, h - horizon)[:, None]
    ground = (1 - g) * np.array([120, 150, 90]) + g * np.array([80, 95, 60])
    column = np.vstack([sky, ground]).astype(np.uint8)
    img = Image.fromarray(np.repeat(column[:, None, :], w, axis=1), "RGB")
    draw = ImageDraw.Draw(img)
    # Hills along the horizon; the outline wraps around so the panorama's seam is invisible.
    x = np.arange(w + 1)
    ridge = (
        horizon
        - 25
        - 20 * np.sin(2 * np.pi * x / w * 3 + rng.uniform(0, 6))
        - 10 * np.sin(2 * np.pi * x / w * 7 + rng.uniform(0, 6))
    )
    draw.polygon(
        [(0, horizon + 5), *zip(x.tolist(), ridge.tolist(), strict=True), (w, horizon + 5)],
        fill=(90, 120, 95),
    )
    sx, sy = rng.uniform(0, w), rng.uniform(40, horizon - 80)
    draw.ellipse([sx - 18, sy - 18, sx + 18, sy + 18], fill=(255, 240, 190))
    for _ in range(int(rng.integers(4, 9))):
        bx, bw, bh = rng.uniform(0, w - 120), rng.uniform(40, 120), rng.uniform(20, 70)
        base = horizon + rng.uniform(5, 40)
        shade = int(rng.integers(150, 230))
        draw.rectangle([bx, base - bh, bx + bw, base], fill=(shade, shade, shade + 10), outline=(60, 60, 70))
        draw.polygon(
            [(bx - 4, base - bh), (bx + bw / 2, base - bh - 12), (bx + bw + 4, base - bh)],
            fill=(70, 110, 160),
        )
    return _jpeg(img, 82), _jpeg(img.resize(THUMB_SIZE, Image.Resampling.LANCZOS), 80)


def _jpeg(img: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()
