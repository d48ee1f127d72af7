import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image as PILImage

from audit.models import Event
from stories import services
from stories.models import Image, Revision, Story
from tests.factories import SourceFactory, make_story

BODY = "Cranes arrived on Monday [@port-cranes]. Traffic rose 6% in May [@port-traffic, p. 2]."


def login(client, user):
    # Newsroom users work in the admin as staff (seed_demo sets the flag too).
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)


@pytest.fixture
def library(db):
    return [
        SourceFactory(key="port-traffic", title="Port traffic statistics for May"),
        SourceFactory(key="port-cranes", title="Harbour board minutes on the new cranes"),
    ]


@pytest.fixture
def story(writer, library):
    return make_story(writer, title="Cranes lift harbour traffic", body=BODY,
                      sources=["port-traffic"])


def add_data(**fields):
    data = {
        "title": "Cranes lift harbour traffic", "slug": "", "dek": "", "body": BODY,
        "source_entries-TOTAL_FORMS": "0", "source_entries-INITIAL_FORMS": "0",
        "source_entries-MIN_NUM_FORMS": "0", "source_entries-MAX_NUM_FORMS": "1000",
        "_continue": "Save and continue editing",
    }
    data.update(fields)
    return data


def with_sources(data, *rows):
    """rows: (source, number) pairs for the source-list inline."""
    data["source_entries-TOTAL_FORMS"] = str(len(rows))
    for i, (source, number) in enumerate(rows):
        data[f"source_entries-{i}-source"] = str(source.pk)
        data[f"source_entries-{i}-number"] = str(number)
    return data


def change_form_data(response):
    """What the browser would send back from a change form, untouched."""
    data = {}
    form = response.context["adminform"].form
    for name in form.fields:
        value = form[name].value()
        if value is not None:
            data[name] = [str(v) for v in value] if isinstance(value, list) else value
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[f"{formset.prefix}-{name}"] = management[name].value()
        for sub in formset.forms:
            for name in sub.fields:
                value = sub[name].value()
                if value not in (None, False):
                    data[sub.add_prefix(name)] = value
    data["_continue"] = "Save and continue editing"
    return data


def change_url(story):
    return reverse("admin:stories_story_change", args=[story.pk])


def test_writer_creates_story_with_citation_in_add_form(client, writer, library):
    traffic, cranes = library
    login(client, writer)

    response = client.post(reverse("admin:stories_story_add"),
                           with_sources(add_data(), (traffic, 1)))

    assert response.status_code == 302
    story = Story.objects.get(title="Cranes lift harbour traffic")
    revision = story.latest_revision
    assert revision.number == 1
    assert list(story.authors.all()) == [writer]
    assert [c.text for c in revision.claims.order_by("ordinal")] == [
        "Cranes arrived on Monday", "Traffic rose 6% in May"]
    assert revision.source_keys == ["port-traffic", "port-cranes"]
    assert [e.source.key for e in story.source_entries.all()] == ["port-traffic", "port-cranes"]


def test_add_form_orders_source_list_by_number(client, writer, library):
    traffic, cranes = library
    login(client, writer)

    client.post(reverse("admin:stories_story_add"),
                with_sources(add_data(body="No citations yet."), (traffic, 2), (cranes, 1)))

    story = Story.objects.get()
    assert story.latest_revision.source_keys == ["port-cranes", "port-traffic"]


def test_change_form_shows_claims_panel_with_numbers_and_titles(client, writer, story):
    login(client, writer)

    response = client.get(change_url(story))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Claims &amp; sources" in page
    assert "Cranes arrived on Monday" in page
    assert "[2]</span> Harbour board minutes on the new cranes" in page
    assert "[1]</span> Port traffic statistics for May, p. 2" in page


def test_change_form_shows_errors_with_line_and_column(client, writer, library):
    story = make_story(writer,
                       body="Fine claim [@port-traffic].\n\nBad [@no-such-key]. Open [@port")
    login(client, writer)

    response = client.get(change_url(story))

    page = response.content.decode()
    assert 'class="problem problem-error"' in page
    assert "Line 3, column 5" in page
    assert "no-such-key" in page
    unterminated = next(e for e in story.latest_revision.errors if e["text"].startswith("[@port"))
    assert f"Line {unterminated['line']}, column {unterminated['column']}" in page


def test_change_form_saves_a_new_revision(client, writer, story):
    login(client, writer)
    data = change_form_data(client.get(change_url(story)))
    data["body"] = BODY + "\n\nThe port hired 40 crane drivers [@port-cranes]."

    response = client.post(change_url(story), data)

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.latest_revision.number == 2
    assert story.latest_revision.claims.count() == 3
    assert story.latest_revision.source_keys == ["port-traffic", "port-cranes"]


def test_stale_edit_is_refused_naming_who_saved_and_keeps_text(
        client, writer, other_writer, story):
    story.authors.add(other_writer)
    login(client, writer)
    data = change_form_data(client.get(change_url(story)))
    assert data["base_revision"] == story.latest_revision.content_hash
    services.story_update(story_id=story.pk, user=other_writer, body=BODY + "\n\nTheir edit.")
    data["body"] = "My careful rewrite of the whole story, which must not be lost."

    response = client.post(change_url(story), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "Other Writer saved a newer version of this story" in page
    assert "My careful rewrite of the whole story, which must not be lost." in page
    assert story.revisions.count() == 2


def test_body_over_one_megabyte_is_refused_and_kept(client, writer, story):
    login(client, writer)
    data = change_form_data(client.get(change_url(story)))
    data["body"] = "A long story. " * 80_000 + "THE-END-MARKER"

    response = client.post(change_url(story), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "the limit is 1,000,000 bytes" in page
    assert "THE-END-MARKER" in page
    assert story.revisions.count() == 1


def test_new_story_with_taken_slug_shows_field_error_and_keeps_body(
        client, writer, story):
    login(client, writer)

    response = client.post(reverse("admin:stories_story_add"),
                           add_data(slug=story.slug, body="Draft text to keep."))

    assert response.status_code == 400
    assert "is already the address of another story" in response.content.decode()
    assert "Draft text to keep." in response.content.decode()
    assert Story.objects.count() == 1


def test_a_taken_slug_filled_in_from_the_title_says_which_address_and_what_to_do(
        client, writer, story):
    # The admin fills the slug in from the title as the writer types, so a writer who never
    # touched it read "Story with this Slug already exists."
    login(client, writer)
    response = client.post(reverse("admin:stories_story_add"),
                           add_data(title=story.title, slug=story.slug))
    page = response.content.decode()
    assert f"/stories/{story.slug}/ is already the address of another story" in page
    assert "Story with this Slug already exists" not in page


def test_source_listed_twice_is_a_clear_error(client, writer, library):
    traffic, _ = library
    login(client, writer)

    response = client.post(reverse("admin:stories_story_add"),
                           with_sources(add_data(), (traffic, 1), (traffic, 2)))

    assert response.status_code == 400
    assert "is on the source list twice" in response.content.decode()


def test_writer_does_not_see_another_writers_story_in_the_list(
        client, other_writer, story):
    login(client, other_writer)

    response = client.get(reverse("admin:stories_story_changelist"))

    assert response.status_code == 200
    assert "Cranes lift harbour traffic" not in response.content.decode()


def test_writer_cannot_open_another_writers_story_by_url(client, other_writer, story):
    login(client, other_writer)

    response = client.get(change_url(story))

    assert response.status_code in (302, 403, 404)
    assert "Cranes arrived on Monday" not in response.content.decode()


def test_writer_cannot_preview_another_writers_story(client, other_writer, story):
    login(client, other_writer)

    response = client.get(reverse("admin:stories_story_preview", args=[story.pk]))

    assert response.status_code == 403
    assert Event.objects.filter(action="preview.denied", story=story).exists()


def test_editor_sees_every_story_and_its_preview(client, editor, story):
    login(client, editor)

    listing = client.get(reverse("admin:stories_story_changelist"))
    preview = client.get(reverse("admin:stories_story_preview", args=[story.pk]))

    assert "Cranes lift harbour traffic" in listing.content.decode()
    assert preview.status_code == 200


def test_preview_shows_the_story_as_readers_will(client, writer, story):
    login(client, writer)

    response = client.get(reverse("admin:stories_story_preview", args=[story.pk]))

    page = response.content.decode()
    assert '<article class="story"' in page
    assert ">Cranes lift harbour traffic</h1>" in page
    assert '<span class="source-count">2 Sources</span>' in page
    assert '<li id="source-2"' in page
    assert "Harbour board minutes on the new cranes" in page
    assert 'href="#source-1"' in page
    assert "Preview — not published." in page


def test_restore_creates_a_new_revision_with_the_old_text(client, writer, story):
    first = story.latest_revision
    services.story_update(story_id=story.pk, user=writer, body="Rewritten entirely.")
    login(client, writer)

    response = client.post(
        reverse("admin:stories_story_restore", args=[story.pk, first.pk]),
        {"base_revision": story.revisions.get(number=2).content_hash})

    assert response.status_code == 302
    story.refresh_from_db()
    assert story.latest_revision.number == 3
    assert story.latest_revision.body == BODY
    assert story.latest_revision.restored_from == first


def test_restore_of_the_current_revision_says_so_and_makes_nothing(client, writer, story):
    login(client, writer)
    current = story.latest_revision

    response = client.post(
        reverse("admin:stories_story_restore", args=[story.pk, current.pk]),
        {"base_revision": current.content_hash})

    assert response.status_code == 409
    assert "Revision 1 is already the current text" in response.content.decode()
    assert story.revisions.count() == 1
    assert Event.objects.filter(story=story, action="restore.denied").count() == 1


def test_restore_clicked_twice_makes_one_revision_and_says_why(client, writer, story):
    first = story.latest_revision
    services.story_update(story_id=story.pk, user=writer, body="Rewritten entirely.")
    login(client, writer)
    url = reverse("admin:stories_story_restore", args=[story.pk, first.pk])
    form = {"base_revision": story.revisions.get(number=2).content_hash}

    client.post(url, form)
    response = client.post(url, form)

    assert response.status_code == 409
    assert "Revision 1 is already the current text (revision 3)" in response.content.decode()
    assert story.revisions.count() == 3


def test_revision_list_offers_no_restore_of_the_text_the_story_has(client, writer, story):
    first = story.latest_revision
    services.story_update(story_id=story.pk, user=writer, body="Rewritten entirely.")
    services.story_restore(story_id=story.pk, user=writer, revision_id=first.pk)
    login(client, writer)

    page = client.get(reverse("admin:stories_story_revisions", args=[story.pk])).content.decode()

    row = page[page.index('id="revision-1"'):page.index("</tr>", page.index('id="revision-1"'))]
    assert "Same text as the latest" in row
    assert "Restore this revision" not in row
    assert page.count("Restore this revision") == 1  # revision 2's


def test_restore_form_without_the_revision_seen_is_refused(client, writer, story):
    first = story.latest_revision
    services.story_update(story_id=story.pk, user=writer, body="Rewritten entirely.")
    login(client, writer)

    response = client.post(reverse("admin:stories_story_restore", args=[story.pk, first.pk]))

    assert response.status_code == 412
    assert "Nothing was restored" in response.content.decode()
    assert story.revisions.count() == 2


def test_revision_list_shows_each_revision(client, writer, story):
    services.story_update(story_id=story.pk, user=writer, body="Rewritten entirely.")
    login(client, writer)

    response = client.get(reverse("admin:stories_story_revisions", args=[story.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert story.latest_revision.short_hash in page
    assert "Restore this revision" in page
    assert "Staff Writer" in page


def test_diff_page_shows_changed_lines(client, writer, story):
    first = story.latest_revision
    services.story_update(story_id=story.pk, user=writer, body=BODY + "\n\nA new last line.")
    login(client, writer)

    response = client.get(reverse("admin:stories_story_diff", args=[story.pk]),
                          {"a": first.pk, "b": Revision.objects.get(story=story, number=2).pk})

    page = response.content.decode()
    assert response.status_code == 200
    assert '<tr class="diff-add">' in page
    assert "<ins>A new last line.</ins>" in page


def test_writer_cannot_restore_another_writers_story(client, other_writer, story):
    login(client, other_writer)

    response = client.post(
        reverse("admin:stories_story_restore", args=[story.pk, story.latest_revision.pk]))

    assert response.status_code == 403
    assert story.revisions.count() == 1


def test_editor_changes_the_authors(client, editor, other_writer, story):
    login(client, editor)
    data = change_form_data(client.get(change_url(story)))
    data["authors"] = [str(other_writer.pk)]

    response = client.post(change_url(story), data)

    assert response.status_code == 302
    assert list(story.authors.all()) == [other_writer]


@pytest.mark.parametrize("author", ["9223372036854775808", "99999999999999999999999"])
def test_an_author_id_past_any_row_is_a_form_error_keeping_the_text(client, editor, story,
                                                                     author):
    login(client, editor)
    data = change_form_data(client.get(change_url(story)))
    data.update(authors=[author], body="Typed and kept.")

    response = client.post(change_url(story), data)

    assert response.status_code == 400
    assert f"“{author}” is not a valid value." in response.text
    assert "Typed and kept." in response.text


def test_writer_cannot_change_the_authors(client, writer, other_writer, story):
    login(client, writer)
    data = change_form_data(client.get(change_url(story)))
    assert "authors" not in data
    data["authors"] = [str(other_writer.pk)]

    client.post(change_url(story), data)

    assert list(story.authors.all()) == [writer]


def test_source_autocomplete_finds_library_sources(client, writer, library):
    login(client, writer)

    response = client.get(reverse("admin:autocomplete"), {
        "app_label": "stories", "model_name": "storysource", "field_name": "source",
        "term": "cranes"})

    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == [
        "port-cranes: Harbour board minutes on the new cranes"]


def test_image_upload_records_size_and_shows_the_snippet(client, writer):
    buffer = io.BytesIO()
    PILImage.new("RGB", (40, 30), "navy").save(buffer, format="PNG")
    upload = SimpleUploadedFile("crane.png", buffer.getvalue(), content_type="image/png")
    login(client, writer)

    response = client.post(reverse("admin:stories_image_add"), {
        "file": upload, "alt": "A crane on the quay", "caption": "", "credit": "",
        "credit_source": "", "_continue": "1"})

    assert response.status_code == 302
    image = Image.objects.get()
    assert (image.width, image.height, image.uploaded_by) == (40, 30, writer)
    page = client.get(response["Location"]).content.decode()
    assert f"![A crane on the quay](image:{image.pk})" in page


def test_image_upload_stores_phone_and_desktop_variants(client, writer,
                                                        django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    from stories.images import variant_name

    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), "navy").save(buffer, format="PNG")
    upload = SimpleUploadedFile("quay.png", buffer.getvalue(), content_type="image/png")
    login(client, writer)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:stories_image_add"), {
            "file": upload, "alt": "The quay at dusk", "caption": "", "credit": "",
            "credit_source": ""})

    name = Image.objects.get().file.name
    assert [default_storage.exists(variant_name(name, w)) for w in (640, 1280)] == [True, True]


def test_image_without_alt_text_is_refused(client, writer):
    login(client, writer)

    response = client.post(reverse("admin:stories_image_add"), {
        "file": SimpleUploadedFile("x.png", b"not really", content_type="image/png"),
        "alt": ""})

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_reviewer_sees_a_story_in_review_read_only(client, writer, reviewer, story):
    services.story_submit(story_id=story.pk, user=writer)
    login(client, reviewer)

    response = client.get(change_url(story))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Cranes arrived on Monday" in page
    assert 'name="_save"' not in page
    assert 'name="body"' not in page


def test_change_form_links_to_the_review_and_workflow_pages(client, editor, writer):
    from tests.factories import make_story

    editor.is_staff = True
    editor.save()
    story = make_story(writer, body="A plain paragraph.")
    client.force_login(editor)
    page = client.get(f"/admin/stories/story/{story.pk}/change/").content.decode()
    assert f"/admin/stories/story/{story.pk}/review/" in page
    assert f"/admin/stories/story/{story.pk}/workflow/" in page


def test_sources_export_as_csl_json_from_the_change_form(client, writer):
    from tests.factories import SourceFactory, make_story

    SourceFactory(key="port-board")
    story = make_story(writer, body="Cranes arrived [@port-board].")
    login(client, writer)
    response = client.get(reverse("admin:stories_story_csl", args=[story.pk]))
    assert response.status_code == 200
    assert [(i["id"], i["citation-number"]) for i in response.json()] == [("port-board", 1)]


def test_claims_panel_warns_about_figures_missing_from_the_cited_snapshot(client, writer):
    from sources.models import Snapshot
    from tests.factories import SourceFactory, make_story

    source = SourceFactory(key="port-board")
    Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                            final_url=source.url, text="The board met on Tuesday.")
    story = make_story(writer, body="Throughput rose 17% last year [@port-board].")
    login(client, writer)
    page = client.get(reverse("admin:stories_story_change", args=[story.pk])).content.decode()
    assert "17%" in page and "not found" in page.lower()
