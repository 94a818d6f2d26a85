"""Images made on the fly for the tests, with the metadata a phone or camera leaves in them
(GPS position, camera serial number, author), so stripping can be checked byte for byte."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, PngImagePlugin

SERIAL = "SN-4242-SECRET"
AUTHOR = "Jeanne Photographe"
GPS_LATITUDE = (48.0, 51.0, 29.59)  # Paris


def _picture(size: tuple[int, int] = (64, 48), colour: str = "#d33") -> Image.Image:
    image = Image.new("RGB", size, colour)
    draw = ImageDraw.Draw(image)
    draw.rectangle((4, 4, size[0] // 2, size[1] // 2), fill="#3a3")
    return image


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "Canon"  # Make
    exif[0x013B] = AUTHOR  # Artist
    exif[0x8298] = AUTHOR  # Copyright
    exif[0xA431] = SERIAL  # BodySerialNumber (normally in the Exif IFD; readable here too)
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2], gps[3], gps[4] = "N", GPS_LATITUDE, "E", (2.0, 21.0, 0.0)
    return exif


def jpeg(*, exif: bool = True, size: tuple[int, int] = (64, 48), orientation: int = 1) -> bytes:
    out = io.BytesIO()
    data = camera_exif()
    if orientation != 1:
        data[0x0112] = orientation
    options = {"exif": data.tobytes(), "comment": f"by {AUTHOR}"} if exif else {}
    _picture(size).save(out, "JPEG", quality=90, **options)
    return out.getvalue()


def png(*, metadata: bool = True) -> bytes:
    out = io.BytesIO()
    info = PngImagePlugin.PngInfo()
    if metadata:
        info.add_text("Author", AUTHOR)
        info.add_itxt("Comment", f"serial {SERIAL}")
    options = {"pnginfo": info, "exif": camera_exif().tobytes()} if metadata else {}
    _picture().save(out, "PNG", **options)
    return out.getvalue()


def webp() -> bytes:
    out = io.BytesIO()
    xmp = f'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>{AUTHOR}</dc:creator></x:xmpmeta>'
    _picture().save(out, "WEBP", lossless=True, exif=camera_exif().tobytes(), xmp=xmp.encode())
    return out.getvalue()


def gif(frames: int = 3) -> bytes:
    out = io.BytesIO()
    pictures = [_picture(colour=c) for c in ("#d33", "#33d", "#3d3")[:frames]]
    pictures[0].save(
        out,
        "GIF",
        save_all=True,
        append_images=pictures[1:],
        duration=100,
        loop=0,
        comment=f"by {AUTHOR} {SERIAL}",
    )
    return out.getvalue()


def pixels(data: bytes) -> list[bytes]:
    """Every frame's decoded pixels, to compare before and after stripping."""
    frames = []
    with Image.open(io.BytesIO(data)) as image:
        for index in range(getattr(image, "n_frames", 1)):
            image.seek(index)
            frames.append(image.convert("RGBA").tobytes())
    return frames
