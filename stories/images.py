"""Uploaded figures: checked and re-encoded on upload, stored under names nobody else's upload
can take, sized variants for phones and desktops, and what the engine needs of them."""

import io
import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.defaultfilters import filesizeformat
from PIL import Image as PILImage
from PIL import ImageOps, UnidentifiedImageError

from audit.text import shown_text

from . import citations
from .models import Image

# What we serve, by what was uploaded: every upload is decoded and written afresh, so bytes a
# browser could read as something else (an HTML or script tail after the image) never survive.
REENCODE = {"JPEG": ("JPEG", "jpg"), "PNG": ("PNG", "png"), "GIF": ("PNG", "png"),
            "WEBP": ("PNG", "png")}


def prepared_upload(uploaded) -> ContentFile:
    """The uploaded figure re-encoded under a fresh unique name, or ValidationError saying why
    it is refused (too large a file, too many pixels, not an image we serve)."""
    limit = settings.NEWSROOM_MAX_UPLOAD_BYTES
    if uploaded.size > limit:
        raise ValidationError(f"The file is {filesizeformat(uploaded.size)}; a figure can be at "
                              f"most {filesizeformat(limit)}. Export it smaller and upload "
                              "again.")
    pixels = settings.NEWSROOM_MAX_IMAGE_PIXELS
    # Pillow refuses decompression bombs from twice this; the header check below comes first.
    PILImage.MAX_IMAGE_PIXELS = pixels
    try:
        uploaded.seek(0)
        with PILImage.open(uploaded) as probe:
            kind, (width, height) = probe.format, probe.size
            if width * height > pixels:
                raise ValidationError(
                    f"The image is {width:,} × {height:,} pixels; a figure can have at most "
                    f"{pixels / 1_000_000:,.0f} million pixels. Scale it down and upload again.")
            if kind not in REENCODE:
                raise ValidationError(f"{kind or 'This'} files cannot be figures; upload a "
                                      "JPEG, PNG, GIF or WebP image.")
            probe.load()
            image = ImageOps.exif_transpose(probe) if kind == "JPEG" else probe.copy()
    except PILImage.DecompressionBombError as exc:  # over twice the limit: refused at open
        raise ValidationError(
            f"The image has more than {2 * pixels / 1_000_000:,.0f} million pixels; a figure can "
            f"have at most {pixels / 1_000_000:,.0f} million pixels. Scale it down and upload "
            "again.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ValidationError("This file is not an image we can read; upload a JPEG, PNG, GIF "
                              "or WebP image.") from exc
    target, extension = REENCODE[kind]
    buffer = io.BytesIO()
    if target == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=90, optimize=True)
    else:
        image.save(buffer, "PNG", optimize=True)
    return ContentFile(buffer.getvalue(), name=f"{uuid.uuid4().hex}.{extension}")

# Phone and desktop widths; the engine emits `sizes` for a column of at most 800 CSS px.
VARIANT_WIDTHS = (640, 1280)


def variant_name(name: str, width: int) -> str:
    """A variant's name: the original's whole name (extension included) and the width, so two
    originals never share a variant."""
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}.{path.suffix.lstrip('.')}-{width}w.jpg"))


def image_make_variants(*, image: Image) -> list[str]:
    """Store JPEG copies narrower than the original at each variant width; return their names.

    Stored files are never overwritten or deleted: a variant that exists already was made from
    this same original (names are unique per upload) and is kept as it is.
    """
    made = []
    PILImage.MAX_IMAGE_PIXELS = settings.NEWSROOM_MAX_IMAGE_PIXELS
    with image.file.open("rb") as handle, PILImage.open(handle) as original:
        original.load()
        for width in VARIANT_WIDTHS:
            if original.width <= width:
                continue
            height = round(original.height * width / original.width)
            copy = original.convert("RGB").resize((width, height), PILImage.Resampling.LANCZOS)
            buffer = io.BytesIO()
            copy.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
            name = variant_name(image.file.name, width)
            if default_storage.exists(name):
                made.append(name)
                continue
            made.append(default_storage.save(name, ContentFile(buffer.getvalue())))
    return made


def image_info(image: Image) -> citations.ImageInfo:
    """What the citation engine renders for ![alt](image:ID): the file, its variants, credit."""
    candidates = []
    if image.file:
        for width in VARIANT_WIDTHS:
            name = variant_name(image.file.name, width)
            if default_storage.exists(name):
                candidates.append(f"{default_storage.url(name)} {width}w")
        if candidates and image.width:
            candidates.append(f"{image.file.url} {image.width}w")
    credit_url = image.credit_source.url if image.credit_source_id else ""
    return citations.ImageInfo(
        id=str(image.pk), src=image.file.url if image.file else "",
        srcset=", ".join(candidates), width=image.width, height=image.height,
        # Shown on one line with each other: like a title, neither keeps a control character
        # or leaves a direction control open (to reverse the credit after the caption).
        caption=shown_text(image.caption),
        credit=shown_text(image.credit), credit_url=credit_url,
    )
