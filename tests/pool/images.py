"""Small images made on the spot for the photo tests: a phone-like JPEG with EXIF GPS and
camera data, files that only pretend to be images, and a PNG whose header claims more
pixels than any portrait has."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

#: an SVG that would run script if a browser rendered it as a page
SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script></svg>')
HTML = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
CAMERA = "PhoneMakerCo"
GPS = {1: "N", 2: (29.0, 42.0, 51.0), 3: "E", 4: (120.0, 14.0, 33.0)}


def jpeg_with_exif(width: int = 800, height: int = 400, *, orientation: int = 6) -> bytes:
    """A JPEG carrying a phone's EXIF: maker and model, GPS position, a rotation flag, a comment."""
    img = Image.new("RGB", (width, height), (200, 120, 60))
    img.paste((30, 60, 200), (0, 0, width // 2, height // 2))  # a corner that shows the rotation
    exif = Image.Exif()
    exif[0x010F] = CAMERA
    exif[0x0110] = "Model X 12"
    exif[0x0112] = orientation
    exif[0x8825] = GPS
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif, comment=b"taken at home")
    return out.getvalue()


def plain(fmt: str, size: tuple[int, int] = (300, 300), mode: str = "RGB",
          color: tuple[int, ...] = (10, 150, 90)) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, color).save(out, fmt)
    return out.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """A valid little PNG whose header says ``width``×``height`` (a decompression bomb's shape)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + chunk(b"IEND", b""))


def truncated_jpeg() -> bytes:
    """A JPEG cut off half way: the signature is right, the pixels are not all there."""
    data = plain("JPEG", (400, 400))
    return data[: len(data) // 2]


def jpeg_then_html() -> bytes:
    """JPEG magic followed by a page: passes a signature check, fails decoding."""
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + HTML * 20


def open_image(data: bytes) -> Image.Image:
    img = Image.open(io.BytesIO(data))
    img.load()
    return img
