"""What an uploaded file really is, and the same file without its metadata.

The type comes from the bytes (the magic number, then Pillow decoding the header), never from
the file's name or the ``Content-Type`` the client sent: a script renamed ``.png`` is refused.
Only the formats every platform Postgate publishes to accepts as they are are taken (JPEG,
PNG, WebP, GIF), so nothing is re-encoded for the platform.

Metadata is removed by dropping the containers' metadata blocks, not by re-encoding: the
pixels stay bit for bit what the author uploaded (no second JPEG generation, an animated GIF
stays animated). Removed: EXIF (GPS position, camera serial number, owner and author, dates),
XMP, IPTC, comments and text chunks. Kept: what decoding needs, and the colour profile. One
exception: a JPEG whose EXIF orientation turns it is re-encoded once, upright, at quality 95,
since dropping the tag alone would show it on its side.
"""

from __future__ import annotations

import io
import struct
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from postgate.errors import ValidationFailed

MIME_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
MAX_PIXELS = 40_000_000  # a decompression bomb is refused before it is decoded
_PIL_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp", "GIF": "image/gif"}


@dataclass(frozen=True)
class ImageInfo:
    """An accepted image: its real type and size in pixels."""

    mime: str
    width: int
    height: int


def sniff(data: bytes) -> str | None:
    """The image type the magic number announces, or None for anything else."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    return None


def inspect(data: bytes) -> ImageInfo:
    """The image's type and size; ValidationFailed (422, field ``file``) for anything else."""
    mime = sniff(data)
    if mime is None:
        raise ValidationFailed(
            "the file is not a JPEG, PNG, WebP or GIF image (judged by its content)", field="file"
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise Image.DecompressionBombError
                found = _PIL_FORMATS.get(image.format or "")
                image.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationFailed(
            "the image has more than {count} pixels", field="file", count=MAX_PIXELS
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, struct.error):
        raise ValidationFailed("the image is damaged and cannot be read", field="file") from None
    if found != mime:
        raise ValidationFailed("the image is damaged and cannot be read", field="file")
    return ImageInfo(mime, width, height)


def strip_metadata(data: bytes, mime: str) -> bytes:
    """``data`` without its metadata blocks (see the module's docstring)."""
    if mime == "image/jpeg":
        return _strip_jpeg(data)
    if mime == "image/png":
        return _strip_png(data)
    if mime == "image/webp":
        return _strip_webp(data)
    if mime == "image/gif":
        return _strip_gif(data)
    raise ValueError(mime)


# --- JPEG: a sequence of marker segments up to the start of scan -------------------------
_JPEG_KEEP = {0xE0: b"JFIF\0", 0xE2: b"ICC_PROFILE\0", 0xEE: b"Adobe"}  # decoding needs these


def _jpeg_keeps(marker: int, segment: bytes) -> bool:
    """Every APPn segment (EXIF, XMP, IPTC, maker notes...) and comment goes, except the
    JFIF header, the ICC colour profile and Adobe's colour transform."""
    if marker == 0xFE:
        return False
    if 0xE0 <= marker <= 0xEF:
        return segment[4:].startswith(_JPEG_KEEP.get(marker, b"\xff\xff"))
    return True


def _strip_jpeg(data: bytes) -> bytes:
    if _jpeg_orientation(data) not in (None, 1):
        return _reencode_upright(data)
    out = bytearray(data[:2])
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValidationFailed("the image is damaged and cannot be read", field="file")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0xDA:  # start of scan: the rest is image data
            out += data[pos:]
            return bytes(out)
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos : pos + 2 + length]
        if _jpeg_keeps(marker, segment):
            out += segment
        pos += 2 + length
    raise ValidationFailed("the image is damaged and cannot be read", field="file")


def _jpeg_orientation(data: bytes) -> int | None:
    with Image.open(io.BytesIO(data)) as image:
        value = image.getexif().get(0x0112)
    return int(value) if isinstance(value, int) else None


def _reencode_upright(data: bytes) -> bytes:
    with Image.open(io.BytesIO(data)) as image:
        upright = ImageOps.exif_transpose(image)
        icc = image.info.get("icc_profile")
    out = io.BytesIO()
    options = {"quality": 95, "icc_profile": icc} if icc else {"quality": 95}
    upright.save(out, "JPEG", **options)
    return out.getvalue()


# --- PNG: chunks; text, EXIF and time chunks go ------------------------------------------
_PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def _strip_png(data: bytes) -> bytes:
    out = bytearray(data[:8])
    pos = 8
    while pos + 12 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        end = pos + 12 + length
        if kind not in _PNG_DROP:
            out += data[pos:end]
        pos = end
        if kind == b"IEND":
            return bytes(out)
    raise ValidationFailed("the image is damaged and cannot be read", field="file")


# --- WebP: RIFF chunks; EXIF and XMP go, and the extended header forgets them ---------------
_WEBP_EXIF_FLAG, _WEBP_XMP_FLAG = 0x08, 0x04


def _strip_webp(data: bytes) -> bytes:
    chunks: list[bytes] = []
    pos = 12
    while pos + 8 <= len(data):
        kind = data[pos : pos + 4]
        (length,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        end = pos + 8 + length + (length & 1)
        chunk = data[pos:end]
        if kind == b"VP8X":
            flags = chunk[8] & ~(_WEBP_EXIF_FLAG | _WEBP_XMP_FLAG)
            chunk = chunk[:8] + bytes([flags]) + chunk[9:]
        if kind not in (b"EXIF", b"XMP "):
            chunks.append(chunk)
        pos = end
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


# --- GIF: blocks; comments and application blocks other than the loop count go ----------


def _strip_gif(data: bytes) -> bytes:
    flags = data[10]
    pos = 13 + (3 * 2 ** ((flags & 7) + 1) if flags & 0x80 else 0)
    out = bytearray(data[:pos])
    while pos < len(data):
        introducer = data[pos]
        if introducer == 0x3B:  # trailer
            out.append(0x3B)
            return bytes(out)
        if introducer == 0x21:  # extension: label, then sub-blocks
            label = data[pos + 1]
            end = _skip_sub_blocks(data, pos + 2)
            block = data[pos:end]
            keep = label in (0xF9, 0x01) or (label == 0xFF and block[3:14] == b"NETSCAPE2.0")
            if keep:
                out += block
            pos = end
        elif introducer == 0x2C:  # image: descriptor, local table, LZW size, sub-blocks
            local = data[pos + 9]
            start = pos + 10 + (3 * 2 ** ((local & 7) + 1) if local & 0x80 else 0) + 1
            end = _skip_sub_blocks(data, start)
            out += data[pos:end]
            pos = end
        else:
            break
    raise ValidationFailed("the image is damaged and cannot be read", field="file")


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    while pos < len(data):
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    raise ValidationFailed("the image is damaged and cannot be read", field="file")
