"""Uploaded figures: sized variants for phones and desktops, and what the engine needs of them."""

import io
from pathlib import PurePosixPath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image as PILImage

from . import citations
from .models import Image

# Phone and desktop widths; the engine emits `sizes` for a column of at most 800 CSS px.
VARIANT_WIDTHS = (640, 1280)


def variant_name(name: str, width: int) -> str:
    path = PurePosixPath(name)
    return str(path.with_name(f"{path.stem}-{width}w.jpg"))


def image_make_variants(*, image: Image) -> list[str]:
    """Store JPEG copies narrower than the original at each variant width; return their names."""
    made = []
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
                default_storage.delete(name)
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
        caption=image.caption, credit=image.credit, credit_url=credit_url,
    )
