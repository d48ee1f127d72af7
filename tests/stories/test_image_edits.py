"""Two people editing one figure's alt text or caption never overwrite each other unseen: the
form carries the version it opened, and a save started from an older one is refused."""

from django.test import Client
from django.urls import reverse

from stories.models import Image
from tests.sources.test_admin import shown_form
from tests.stories.test_uploads import image_bytes, upload


def change_url(image):
    return reverse("admin:stories_image_change", args=[image.pk])


def opened_form(client, image) -> dict:
    return shown_form(client.get(change_url(image)).content.decode())


def signed_in(user) -> Client:
    client = Client()
    user.is_staff = True
    user.save()
    client.force_login(user)
    return client


def test_the_later_of_two_stale_image_saves_is_refused_keeping_both_changes_in_the_form(
        client, writer, editor):
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    image = Image.objects.get()
    theirs = signed_in(editor)
    mine, their_form = opened_form(client, image), opened_form(theirs, image)
    assert theirs.post(change_url(image), {
        **their_form, "alt": "Cranes on the east quay at dusk"}).status_code == 302

    response = client.post(change_url(image), {**mine, "caption": "The east quay in 2026."})

    assert response.status_code == 400
    page = response.content.decode()
    assert f"Desk Editor saved this image (image:{image.pk}) at " in page
    assert ", after you opened it. Nothing was saved" in page
    shown = shown_form(page)
    assert shown["caption"] == "The east quay in 2026."
    assert shown["alt"] == "Cranes on the east quay at dusk"
    image.refresh_from_db()
    assert (image.alt, image.caption) == ("Cranes on the east quay at dusk", "")

    assert client.post(change_url(image), shown).status_code == 302
    image.refresh_from_db()
    assert (image.alt, image.caption) == ("Cranes on the east quay at dusk",
                                          "The east quay in 2026.")


def test_an_image_field_both_changed_shows_theirs_beside_mine(client, writer, editor):
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    image = Image.objects.get()
    theirs = signed_in(editor)
    mine, their_form = opened_form(client, image), opened_form(theirs, image)
    theirs.post(change_url(image), {**their_form, "alt": "Their alt"})

    response = client.post(change_url(image), {**mine, "alt": "My alt"})

    assert response.status_code == 400
    assert shown_form(response.content.decode())["alt"] == "My alt"
    assert "Saved meanwhile as: “Their alt”" in response.content.decode()


def test_an_image_form_posted_with_a_tampered_version_is_refused(client, writer):
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    image = Image.objects.get()
    for version in ("", "0" * 64, "x" * 100_000, "\x00"):
        response = client.post(change_url(image), {**opened_form(client, image),
                                                    "version": version, "alt": "Mine"})
        assert response.status_code == 400, version[:10]
    image.refresh_from_db()
    assert image.alt == "The quay"


def test_a_credited_source_only_the_other_person_set_is_taken_into_the_form(
        client, writer, editor):
    from tests.factories import SourceFactory

    credited = SourceFactory(key="port-photos", title="Port photo desk")
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    image = Image.objects.get()
    theirs = signed_in(editor)
    mine, their_form = opened_form(client, image), opened_form(theirs, image)
    theirs.post(change_url(image), {**their_form, "credit_source": str(credited.pk)})

    response = client.post(change_url(image), {**mine, "credit": "Photo: Port Authority"})

    assert response.status_code == 400
    shown = shown_form(response.content.decode())
    assert shown["credit_source"] == str(credited.pk)
    assert shown["credit"] == "Photo: Port Authority"
    assert client.post(change_url(image), shown).status_code == 302
    image.refresh_from_db()
    assert (image.credit, image.credit_source_id) == ("Photo: Port Authority", credited.pk)
