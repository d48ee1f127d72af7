"""Figures: uploaded, edited and deleted here, audited, their phone and desktop variants made
on commit.

The admin's image form calls these; a figure is shared by every story placing it, so an edit
started from an older version (someone saved it meanwhile) is refused, naming who and when.
"""

from functools import partial

from audit import queueing
from audit.errors import ActionDenied, InvalidInput, validated
from audit.services import audit_record, audited
from audit.stale import StaleEdit
from audit.submissions import submission_once
from audit.text import shown_fields

from .. import tasks
from ..models import Image
from ..permissions import is_editor, is_writer


class StaleImage(StaleEdit):
    """The figure was saved by someone else since the editor opened it (HTTP 412); names who
    and when, from the audit trail."""

    action = "image_update"

    def __init__(self, image: Image, *, lost_version: bool = False):
        self.image = image
        super().__init__(image, what="image", label=f"image:{image.pk}",
                         actions=("image_upload", "image_update"), about={"image": image.pk},
                         lost_version=lost_version)


def _ensure_writer(user, action: str) -> None:
    if not is_writer(user):
        raise ActionDenied(action, "Only newsroom staff can upload or edit figures.", actor=user)


def _measure(image: Image) -> None:
    image.width, image.height = image.file.width, image.file.height


# Text shown beside other text (a page's caption line, an alt attribute, the admin's lists).
_SHOWN = ("alt", "caption", "credit")


def _stored(image: Image, name: str) -> str:
    """A field as the version reads it: the file's name, the credited source's id."""
    return str(image.serializable_value(name) or "")


def _queue_variants(image: Image) -> None:
    queueing.on_commit(tasks.make_image_variants, image.pk)


@audited("image_upload")
def image_upload(*, user, file, alt: str, caption: str = "", credit: str = "",
                 credit_source=None, submission: str | None = None) -> Image:
    """Store a new figure (`file` as images.prepared_upload made it) with its alt text; its
    sized variants are made once the upload commits. A repeat of `submission` (the add form's
    token) answers the first figure, marked replayed, and stores nothing."""
    _ensure_writer(user, "image_upload")
    fields = shown_fields({"alt": alt, "caption": caption, "credit": credit}, _SHOWN)
    return submission_once(submission, action="image_upload", actor=user, model=Image,
                           make=partial(_upload, user, file, credit_source, fields))


def _upload(user, file, credit_source, fields: dict) -> Image:
    image = Image(file=file, credit_source=credit_source, uploaded_by=user, **fields)
    validated(image)
    _measure(image)
    image.save()
    audit_record(action="image_upload", actor=user, details={
        "image": image.pk, "file": image.file.name, "alt": image.alt})
    _queue_variants(image)
    return image


@audited("image_update")
def image_update(*, image_id: int, user, base_version: str | None = None, **fields) -> Image:
    """Edit a figure (any of Image.EDITED; a new `file` replaces the picture, the old file
    kept for pages that place it); refuse it if someone saved since `base_version`.

    `base_version` is the `Image.version` the editor opened; "" (a form that lost it) is
    refused like a stale one, None skips the check.
    """
    _ensure_writer(user, "image_update")
    image = Image.objects.select_for_update().get(pk=image_id)
    unknown = set(fields) - set(Image.EDITED)
    if unknown:
        raise InvalidInput({name: ["This field cannot be set."] for name in unknown})
    if base_version is not None and base_version != image.version:
        raise StaleImage(image, lost_version=not base_version)
    fields = shown_fields(fields, _SHOWN)
    before = {name: _stored(image, name) for name in fields}
    for name, value in fields.items():
        setattr(image, name, value)
    validated(image)
    if "file" in fields and image.file and _stored(image, "file") != before["file"]:
        _measure(image)  # a new picture (a kept one would be read back from storage)
    image.save()
    changed = {name: [before[name], _stored(image, name)] for name in fields
               if before[name] != _stored(image, name)}
    if changed:
        audit_record(action="image_update", actor=user,
                     details={"image": image.pk, "changed": changed})
    if "file" in changed:
        _queue_variants(image)
    return image


@audited("image_delete")
def image_delete(*, image_id: int, user) -> None:
    """Take a figure out of the library (editors only). Its files stay in storage: a page
    already published may still show them; a story that places it again gets the engine's
    unknown-image error."""
    if not is_editor(user):
        raise ActionDenied("image_delete", "Only editors can delete figures.", actor=user)
    image = Image.objects.select_for_update().get(pk=image_id)
    details = {"image": image.pk, "file": image.file.name, "alt": image.alt}
    image.delete()
    audit_record(action="image_delete", actor=user, details=details)
