"""Figures are uploaded and edited through one service: audited once, variants made on
commit, a stale edit refused naming who saved meanwhile and when."""

import pytest
from django.urls import reverse

from audit.models import Event
from stories import services, tasks
from stories.images import prepared_upload
from stories.models import Image
from tests.factories import UserFactory
from tests.stories.test_image_edits import change_url, opened_form, signed_in
from tests.stories.test_uploads import image_bytes, upload


def png(width=800, height=450, colour="navy"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return prepared_upload(SimpleUploadedFile("quay.png", image_bytes(width, height,
                                                                      colour=colour)))


def test_an_upload_in_the_admin_is_audited_once_as_image_upload(client, writer):
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    image = Image.objects.get()
    events = Event.objects.filter(action="image_upload")
    assert [(e.actor, e.details["image"], e.details["alt"]) for e in events] == [
        (writer, image.pk, "The quay")]
    assert events.get().details["file"] == image.file.name


def test_an_edit_in_the_admin_is_audited_once_with_what_changed(client, writer):
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    image = Image.objects.get()
    response = client.post(change_url(image), {**opened_form(client, image),
                                               "caption": "The east quay in 2026."})
    assert response.status_code == 302
    event = Event.objects.get(action="image_update")
    assert (event.actor, event.details) == (writer, {
        "image": image.pk, "changed": {"caption": ["", "The east quay in 2026."]}})


def test_an_image_saved_unchanged_writes_no_event(client, writer):
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    image = Image.objects.get()
    assert client.post(change_url(image), opened_form(client, image)).status_code == 302
    assert not Event.objects.filter(action="image_update").exists()


def test_a_stale_image_save_names_who_saved_meanwhile_and_is_audited_once(
        client, writer, editor):
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    image = Image.objects.get()
    theirs = signed_in(editor)
    mine, their_form = opened_form(client, image), opened_form(theirs, image)
    theirs.post(change_url(image), {**their_form, "alt": "Cranes at dusk"})

    page = client.post(change_url(image), {**mine, "alt": "My alt"}).content.decode()

    saved = Event.objects.get(action="image_update", actor=editor).at
    from django.utils import timezone
    assert (f"Desk Editor saved this image (image:{image.pk}) at "
            f"{timezone.localtime(saved):%d %b %Y %H:%M}, after you opened it.") in page
    denied = Event.objects.filter(action="image_update.denied")
    assert [(e.actor, e.details["refused"]) for e in denied] == [(writer, "stale")]


def test_image_upload_queues_the_variants_on_commit(writer, django_capture_on_commit_callbacks,
                                                    monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.make_image_variants, "delay", lambda *args: queued.append(args))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        image = services.image_upload(user=writer, file=png(1600, 900), alt="The quay")
    assert queued == []
    for callback in callbacks:
        callback()
    assert queued == [(image.pk,)]
    assert (image.width, image.height, image.uploaded_by) == (1600, 900, writer)


def test_image_update_replacing_the_file_measures_it_and_queues_variants_again(
        writer, django_capture_on_commit_callbacks):
    image = services.image_upload(user=writer, file=png(), alt="The quay")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        image = services.image_update(image_id=image.pk, user=writer,
                                      base_version=image.version, file=png(1600, 900, "red"))
    assert len(callbacks) == 1
    assert (image.width, image.height) == (1600, 900)
    assert list(Event.objects.get(action="image_update").details["changed"]) == ["file"]


def test_image_update_from_a_lost_version_is_refused(writer):
    image = services.image_upload(user=writer, file=png(), alt="The quay")
    with pytest.raises(services.StaleImage, match="did not say which version of the image"):
        services.image_update(image_id=image.pk, user=writer, base_version="", alt="Mine")
    image.refresh_from_db()
    assert image.alt == "The quay"


@pytest.mark.parametrize("service", ["upload", "update"])
def test_someone_outside_the_newsroom_cannot_upload_or_edit_a_figure(writer, service):
    outsider = UserFactory(username="outsider", is_staff=True)
    image = services.image_upload(user=writer, file=png(), alt="The quay")
    with pytest.raises(services.ActionDenied):
        if service == "upload":
            services.image_upload(user=outsider, file=png(), alt="Theirs")
        else:
            services.image_update(image_id=image.pk, user=outsider, base_version=None,
                                  alt="Theirs")
    assert Event.objects.filter(action=f"image_{service}.denied", actor=outsider).count() == 1


def test_a_writer_reads_image_events_in_the_audit_trail(client, writer):
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    page = client.get(reverse("admin:audit_event_changelist"), {"action": "image_upload"})
    assert page.status_code == 200
    assert "image_upload" in page.content.decode().split('id="result_list"')[1]


def test_deleting_a_figure_in_the_admin_is_audited_once_and_keeps_its_file(client, writer,
                                                                          editor):
    from django.core.files.storage import default_storage

    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    image = Image.objects.get()
    desk = signed_in(editor)
    response = desk.post(reverse("admin:stories_image_delete", args=[image.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Image.objects.exists()
    event = Event.objects.get(action="image_delete")
    assert (event.actor, event.details) == (editor, {
        "image": image.pk, "file": image.file.name, "alt": "The quay"})
    assert default_storage.exists(image.file.name)  # a published page may still show it


def test_deleting_selected_figures_audits_each_once(client, writer, editor):
    upload(client, writer, "quay.png", image_bytes(800, 450), alt="The quay")
    upload(client, writer, "dock.png", image_bytes(800, 450), alt="The dock")
    desk = signed_in(editor)
    desk.post(reverse("admin:stories_image_changelist"), {
        "action": "delete_selected", "post": "yes",
        "_selected_action": list(Image.objects.values_list("pk", flat=True))})
    assert not Image.objects.exists()
    assert sorted(Event.objects.filter(action="image_delete").values_list(
        "details__alt", flat=True)) == ["The dock", "The quay"]


def test_a_writer_cannot_delete_a_figure(writer):
    image = services.image_upload(user=writer, file=png(), alt="The quay")
    with pytest.raises(services.ActionDenied):
        services.image_delete(image_id=image.pk, user=writer)
    assert Image.objects.filter(pk=image.pk).exists()
    assert Event.objects.filter(action="image_delete.denied", actor=writer).count() == 1


def test_an_uploaded_figures_alt_caption_and_credit_keep_no_control_or_open_direction_control(
        writer):
    image = services.image_upload(user=writer, file=png(), alt="The quay\x07 \u202eat dusk",
                                  caption="Cranes\x1b unloading \u2067", credit="Port\x00 board")
    image.refresh_from_db()
    assert (image.alt, image.caption, image.credit) == (
        "The quay at dusk", "Cranes unloading ", "Port board")
    assert Event.objects.get(action="image_upload").details["alt"] == "The quay at dusk"


def test_an_edited_figures_text_keeps_no_control_or_open_direction_control(writer):
    image = services.image_upload(user=writer, file=png(), alt="The quay")
    services.image_update(image_id=image.pk, user=writer, alt="\u202bThe quay",
                          caption="East\x0c quay", credit="\u2066Port\u2069 board\u202d")
    image.refresh_from_db()
    assert (image.alt, image.caption, image.credit) == (
        "The quay", "East quay", "\u2066Port\u2069 board")
