"""Synthetic avatar pictures, so that simulated worlds have real pixels to hash.

``hydrawatch.synth`` writes ``truth/avatars.csv`` (``avatar_url,image_key``): every avatar URL any
profile used and the opaque key of the picture behind it. A returnee often re-uploads the same
picture, which the platform serves under a new URL. This module is the simulated platform's image
server: :func:`render_avatar` draws a deterministic picture for an image key, and each *variant*
(one upload of it) differs from the others the way real re-uploads do: a different JPEG quality,
a border trimmed by up to a pixel, a resave at another size, a small change of brightness.
:class:`SyntheticAvatarFetcher` serves those pictures by URL.

The pictures are neutral abstract art (a gradient under a dozen or two coloured shapes, no text).
What matters is how PDQ sees them, measured over 200 keys in ``tests/signals/test_media.py``: two
uploads of one picture are about 10 bits apart (95 % under 20, well under the match threshold of
31), two different pictures about 128 apart (the closest pair of 19,900 at 94), as two unrelated
photographs are.

Image key 0 is the platform's default avatar (a grey silhouette), shared by every account that
never uploaded a picture. It is nearly flat, so its PDQ quality is below
:data:`~hydrawatch.signals.media.MIN_QUALITY` and matchers ignore it, as they should.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageEnhance

from hydrawatch.core.errors import BadRecordError

logger = logging.getLogger(__name__)

VERSION = "imagesynth-1"

#: The image key of the platform's default avatar.
DEFAULT_IMAGE_KEY = 0

#: Pictures are drawn at this multiple of the output size and then downsampled, which
#: anti-aliases the shape edges as a camera or editor would.
_SUPERSAMPLE = 2
_RESAMPLE = Image.Resampling.BICUBIC

# Per-upload perturbations. They are those of ordinary re-uploads (a saved copy re-encoded by the
# platform, its border trimmed, its exposure touched) and small on purpose: PDQ reads only the
# lowest 16 x 16 frequencies of a 64 x 64 downsample, and trimming one pixel from each border of
# a 160-pixel picture already flips about 10 of the 256 bits (two pixels: about 22).
# Crops are counted in working pixels (half an output pixel each).
_MAX_CROP = _SUPERSAMPLE
_UPSCALE = (1.0, 1.3)
_BRIGHTNESS = (0.94, 1.06)
_JPEG_QUALITY = (60, 95)
_ORIGINAL_QUALITY = 90


def render_avatar(image_key: int, variant: int = 0, size: int = 160) -> bytes:
    """One upload of the picture ``image_key``, as JPEG bytes of ``size`` x ``size`` pixels.

    The same (image_key, variant, size) always gives the same bytes. Variant 0 is the original
    upload (JPEG quality 90). Every other variant is the picture trimmed by up to one pixel on each
    side, saved at up to 1.3 times the size and scaled back, brightened or darkened by up to 6 %
    and re-encoded at a JPEG quality between 60 and 95, all drawn from a generator seeded by
    (image_key, variant).
    """
    if image_key < 0 or variant < 0:
        raise ValueError(f"image_key and variant must be non-negative integers, got {image_key} and {variant}")
    if size < 32:
        raise ValueError(f"size must be at least 32 pixels (PDQ needs some detail), got {size}")
    picture = _default_picture(size) if image_key == DEFAULT_IMAGE_KEY else _picture(image_key, size)
    if variant == 0:
        return _jpeg(picture.resize((size, size), _RESAMPLE), _ORIGINAL_QUALITY)
    rng = np.random.default_rng([image_key, 2, variant])
    left, top, right, bottom = (int(rng.integers(0, _MAX_CROP + 1)) for _ in range(4))
    trimmed = picture.crop((left, top, picture.width - right, picture.height - bottom))
    saved_side = int(size * rng.uniform(*_UPSCALE))
    resized = trimmed.resize((saved_side, saved_side), _RESAMPLE).resize((size, size), _RESAMPLE)
    brightened = ImageEnhance.Brightness(resized).enhance(float(rng.uniform(*_BRIGHTNESS)))
    return _jpeg(brightened, int(rng.integers(_JPEG_QUALITY[0], _JPEG_QUALITY[1] + 1)))


def _jpeg(picture: Image.Image, quality: int) -> bytes:
    out = io.BytesIO()
    picture.save(out, format="JPEG", quality=quality)
    return out.getvalue()


def _picture(image_key: int, size: int) -> Image.Image:
    """The picture itself at the working resolution: a two-colour gradient at a random angle
    under 12 to 22 ellipses, rectangles and triangles, half of them outlined.

    Enough edges that PDQ's quality metric (the amount of gradient in its 64 x 64 downsample)
    is at least 50 for nearly every key, as it is for most photographs."""
    rng = np.random.default_rng([image_key, 1])
    side = size * _SUPERSAMPLE
    angle = float(rng.uniform(0, 2 * np.pi))
    steps = np.arange(side, dtype=np.float32) / (side - 1)
    along = np.cos(angle) * steps[None, :] + np.sin(angle) * steps[:, None]
    along = (along - along.min()) / max(float(np.ptp(along)), 1e-9)
    colour_a, colour_b = rng.integers(0, 256, (2, 3)).tolist()
    # Python-float scalars and one channel at a time keep this on numpy's fast paths.
    background = np.dstack([(a + along * (b - a)).astype(np.uint8) for a, b in zip(colour_a, colour_b, strict=True)])
    picture = Image.fromarray(background, "RGB")
    draw = ImageDraw.Draw(picture)
    for _ in range(int(rng.integers(12, 23))):
        fill = _colour(rng)
        width, height = rng.uniform(0.08, 0.5, 2) * side
        x0, y0 = rng.uniform(-0.1, 0.9, 2) * side
        box = (float(x0), float(y0), float(x0 + width), float(y0 + height))
        kind = int(rng.integers(0, 3))
        outline = _colour(rng) if rng.uniform() < 0.5 else None
        stroke = int(rng.integers(2, 7))
        if kind == 0:
            draw.ellipse(box, fill=fill, outline=outline, width=stroke)
        elif kind == 1:
            draw.rectangle(box, fill=fill, outline=outline, width=stroke)
        else:
            corners = rng.uniform(0, 1, (3, 2)) * (width, height) + (x0, y0)
            draw.polygon([(float(x), float(y)) for x, y in corners], fill=fill, outline=outline, width=stroke)
    return picture


def _colour(rng: np.random.Generator) -> tuple[int, int, int]:
    red, green, blue = (int(channel) for channel in rng.integers(0, 256, 3))
    return red, green, blue


def _default_picture(size: int) -> Image.Image:
    """The default avatar: a pale silhouette (head and shoulders) on a grey ground."""
    side = size * _SUPERSAMPLE
    picture = Image.new("RGB", (side, side), (204, 214, 221))
    draw = ImageDraw.Draw(picture)
    figure = (245, 248, 250)
    draw.ellipse((side * 0.33, side * 0.18, side * 0.67, side * 0.52), fill=figure)
    draw.ellipse((side * 0.15, side * 0.58, side * 0.85, side * 1.2), fill=figure)
    return picture


def parse_image_key(value: str) -> int:
    """The integer key behind an ``image_key`` cell of ``truth/avatars.csv``:
    ``default_profile`` -> 0, ``img_<16 hex digits>`` -> that number, a plain integer -> itself."""
    value = value.strip()
    if value == "default_profile":
        return DEFAULT_IMAGE_KEY
    try:
        key = int(value[4:], 16) if value.startswith("img_") else int(value)
    except ValueError:
        key = -1
    if key < 0:
        raise BadRecordError(f"image_key {value!r} is not 'default_profile', 'img_<hex digits>' or a "
                             "non-negative integer; regenerate the world with hydrawatch.synth")
    return key


def url_variant(url: str) -> int:
    """A stable variant number for an upload URL (the same URL always serves the same bytes,
    across processes, unlike Python's salted ``hash``)."""
    return int.from_bytes(hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest(), "big") % 1_000_003 + 1


class SyntheticAvatarFetcher:
    """The simulated platform's image server: ``fetch(url)`` renders the picture behind an avatar
    URL of a synthetic world, as the upload that URL stands for.

    >>> fetcher = SyntheticAvatarFetcher.from_csv(world / "truth" / "avatars.csv")  # doctest: +SKIP
    >>> fetcher.fetch("https://pbs.twimg.com/profile_images/.../abc_normal.jpg")  # doctest: +SKIP
    b'\\xff\\xd8...'
    """

    def __init__(self, image_keys: Mapping[str, int], size: int = 160) -> None:
        self.image_keys = dict(image_keys)
        self.size = size

    @classmethod
    def from_csv(cls, path: str | Path, size: int = 160) -> SyntheticAvatarFetcher:
        """Read ``avatars.csv`` (columns ``avatar_url,image_key``). A malformed row raises
        :class:`~hydrawatch.core.errors.BadRecordError` naming the file and line."""
        path = Path(path)
        keys: dict[str, int] = {}
        with open(path, encoding="utf-8", newline="") as rows:
            reader = csv.DictReader(rows)
            missing = {"avatar_url", "image_key"} - set(reader.fieldnames or ())
            if missing:
                raise BadRecordError(f"{path}: missing column(s) {sorted(missing)}; expected the header "
                                     "'avatar_url,image_key' that hydrawatch.synth writes to truth/avatars.csv")
            for row in reader:
                try:
                    keys[row["avatar_url"]] = parse_image_key(row["image_key"] or "")
                except BadRecordError as error:
                    raise BadRecordError(f"{path}:{reader.line_num}: {error}") from None
        logger.debug("read %d avatar URLs from %s", len(keys), path)
        return cls(keys, size)

    @classmethod
    def from_world(cls, folder: str | Path, size: int = 160) -> SyntheticAvatarFetcher:
        """The fetcher for a world folder written by ``hydrawatch.synth`` (reads ``truth/avatars.csv``)."""
        return cls.from_csv(Path(folder) / "truth" / "avatars.csv", size)

    def fetch(self, url: str) -> bytes | None:
        """The JPEG bytes served at ``url``, or None for a URL the world never used."""
        image_key = self.image_keys.get(url)
        if image_key is None:
            return None
        return render_avatar(image_key, url_variant(url), self.size)

    def __len__(self) -> int:
        return len(self.image_keys)
