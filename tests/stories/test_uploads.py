"""Hostile and careless uploads cost nothing: no overwrite of anyone's figures, bounded size and
pixels with a clear refusal, and only re-encoded image bytes are ever served."""

import io

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from PIL import Image as PILImage

from stories.images import variant_name
from stories.models import Image
from tests.factories import UserFactory


def image_bytes(width, height, kind="PNG", colour="navy", mode="RGB") -> bytes:
    buffer = io.BytesIO()
    PILImage.new(mode, (width, height), colour if mode == "RGB" else 1).save(buffer, kind)
    return buffer.getvalue()


def upload(client, user, name, data, content_type="image/png", alt="A figure"):
    """Upload through the admin as `user`; what runs on commit (the variants) runs too."""
    user.is_staff = True
    user.save()
    client.force_login(user)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("admin:stories_image_add"), {
            "file": SimpleUploadedFile(name, data, content_type=content_type), "alt": alt,
            "caption": "", "credit": "", "credit_source": ""})


def stored(image: Image) -> list[bytes]:
    names = [image.file.name] + [variant_name(image.file.name, w) for w in (640, 1280)]
    return [default_storage.open(n).read() for n in names if default_storage.exists(n)]


def test_two_writers_uploading_photo_png_and_photo_jpg_keep_each_others_figures(client, writer,
                                                                                other_writer):
    assert upload(client, writer, "photo.png", image_bytes(1600, 900, colour="navy")
                  ).status_code == 302
    first = Image.objects.get()
    before = stored(first)
    assert len(before) == 3  # the original and two variants

    assert upload(client, other_writer, "photo.jpg", image_bytes(1600, 900, "JPEG", "red"),
                  content_type="image/jpeg").status_code == 302
    second = Image.objects.exclude(pk=first.pk).get()

    assert stored(first) == before
    assert {variant_name(first.file.name, 640), first.file.name}.isdisjoint(
        {variant_name(second.file.name, 640), second.file.name})


def test_the_same_file_name_uploaded_twice_is_stored_twice(client, writer):
    upload(client, writer, "chart.png", image_bytes(700, 400, colour="navy"))
    upload(client, writer, "chart.png", image_bytes(700, 400, colour="red"))
    first, second = Image.objects.order_by("pk")
    assert first.file.name != second.file.name
    assert stored(first) != stored(second)


def test_replacing_a_figures_file_keeps_the_old_file_a_published_page_may_use(client, writer):
    upload(client, writer, "quay.png", image_bytes(800, 450))
    image = Image.objects.get()
    old = image.file.name
    client.post(reverse("admin:stories_image_change", args=[image.pk]), {
        "file": SimpleUploadedFile("quay.png", image_bytes(800, 450, colour="red"),
                                   content_type="image/png"),
        "alt": "A figure", "caption": "", "credit": "", "credit_source": "",
        "version": image.version})  # as the change form opened it
    image.refresh_from_db()
    assert image.file.name != old
    assert default_storage.exists(old)


def test_a_file_over_the_size_limit_is_refused_saying_the_limit(client, writer, settings):
    settings.NEWSROOM_MAX_UPLOAD_BYTES = 2_000
    response = upload(client, writer, "big.png", image_bytes(300, 300, "BMP"),
                      content_type="image/png")
    assert response.status_code == 400
    assert "a figure can be at most 2.0\xa0KB" in response.text
    assert not Image.objects.exists()


def test_a_decompression_bomb_is_refused_from_its_header_in_well_under_a_second(
        client, writer):
    import time

    bomb = image_bytes(13_000, 13_000, mode="1")  # about 20 KB on disk, 169 megapixels
    started = time.monotonic()
    response = upload(client, writer, "bomb.png", bomb)
    assert time.monotonic() - started < 1.0
    assert response.status_code == 400
    assert "a figure can have at most 40 million pixels" in response.text
    assert not Image.objects.exists()


def test_an_image_over_the_pixel_limit_is_refused_naming_its_size(client, writer, settings):
    settings.NEWSROOM_MAX_IMAGE_PIXELS = 100_000
    response = upload(client, writer, "wide.png", image_bytes(400, 400))
    assert response.status_code == 400
    assert "The image is 400 × 400 pixels" in response.text


def test_an_image_html_polyglot_is_stored_as_image_bytes_only(client, writer):
    polyglot = image_bytes(64, 64) + b"<html><script>alert(document.cookie)</script></html>"
    assert upload(client, writer, "cat.png", polyglot).status_code == 302
    data = stored(Image.objects.get())[0]
    assert b"<script" not in data
    assert data.startswith(b"\x89PNG")
    assert Image.objects.get().file.name.endswith(".png")


@pytest.mark.parametrize(("name", "data"), [
    ("notes.png", b"not an image at all"),
    ("page.png", b"<html><body>hello</body></html>"),
    ("truncated.png", image_bytes(200, 200)[:120]),
])
def test_something_that_is_not_a_readable_image_is_refused_with_a_message(client, writer, name,
                                                                         data):
    response = upload(client, writer, name, data)
    assert response.status_code == 400
    assert "not an image we can read" in response.text


def test_an_image_kind_we_do_not_serve_is_refused_naming_it(client, db):
    editor = UserFactory(username="upload-editor", roles=["Editors"])
    response = upload(client, editor, "scan.tiff", image_bytes(50, 50, "TIFF"),
                      content_type="image/tiff")
    assert response.status_code == 400
    assert "TIFF files cannot be figures" in response.text


def test_an_uploaded_figure_opens_where_django_serves_media(client, writer, settings):
    settings.NEWSROOM_SERVE_MEDIA = True
    upload(client, writer, "quay.png", image_bytes(80, 40))
    image = Image.objects.get()
    response = client.get(image.file.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")


@pytest.mark.parametrize("path", ["../newsroom/settings.py", "..%2fnewsroom%2fsettings.py",
                                  "/etc/passwd"])
def test_media_serving_never_leaves_the_media_folder(client, settings, path):
    settings.NEWSROOM_SERVE_MEDIA = True
    response = client.get(f"/media/{path}")
    assert response.status_code in (400, 404)


def test_media_is_left_to_the_front_server_in_production(client, writer, settings):
    upload(client, writer, "quay.png", image_bytes(80, 40))
    settings.NEWSROOM_SERVE_MEDIA = False
    assert client.get(Image.objects.get().file.url).status_code == 404
