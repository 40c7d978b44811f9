"""Small real images for upload tests: a browser renders them, ``filetype`` sniffs them."""

from __future__ import annotations

import struct
import uuid
import zlib


def png(seed: str = "") -> bytes:
    """A valid 2×2 PNG; ``seed`` (or a random one) goes into a text chunk so blobs differ."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00\xc0\x30\x30\xc0\x30\x30" * 2)
    text = b"Comment\x00" + (seed or uuid.uuid4().hex).encode()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"tEXt", text)
        + chunk(b"IDAT", pixels)
        + chunk(b"IEND", b"")
    )


def webp() -> bytes:
    """The RIFF/WEBP header the sniffer reads (not a decodable picture)."""
    body = b"WEBPVP8 " + struct.pack("<I", 10) + uuid.uuid4().bytes[:10]
    return b"RIFF" + struct.pack("<I", len(body)) + body
