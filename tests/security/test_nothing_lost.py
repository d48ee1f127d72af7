"""Nothing lost: two co-authors editing one story, in the admin and through the API; the second
save is refused naming the first, and the refused text is still there to copy."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from selectolax.lexbor import LexborHTMLParser

from audit.models import Event
from stories.models import Story
from tests.api.conftest import client_for
from tests.factories import SourceFactory, make_story
from tests.security.conftest import login

FIRST = "Cranes arrived on Friday [@port-annual]."
THEIRS = "Three cranes arrived on Friday, the port said [@port-annual]."
MINE = "Three electric cranes arrived on Friday, two years late [@port-annual]."


@pytest.fixture
def story(writer, co_author):
    SourceFactory(key="port-annual")
    return make_story(writer, title="Harbour cranes arrive", body=FIRST,
                      sources=["port-annual"], authors=[co_author])


def change_form(client, story) -> dict:
    """The change form's fields as the browser would send them back."""
    html = client.get(reverse("admin:stories_story_change", args=[story.pk])).content.decode()
    tree = LexborHTMLParser(html)
    data = {}
    for node in tree.css("form#story_form input, form#story_form textarea, "
                         "form#story_form select"):
        name = node.attributes.get("name")
        if not name or node.attributes.get("type") in ("submit", "checkbox"):
            continue
        if node.tag == "textarea":
            data[name] = node.text()
        elif node.tag == "select":
            chosen = [o.attributes.get("value") for o in node.css("option")
                      if "selected" in o.attributes]
            data[name] = chosen if "multiple" in node.attributes else (chosen[:1] or [""])[0]
        else:
            data[name] = node.attributes.get("value") or ""
    return data


def test_second_admin_save_is_refused_naming_the_first_and_keeping_the_text(
        client, story, writer, co_author):
    login(client, writer)
    mine = change_form(client, story)
    login(client, co_author)
    theirs = change_form(client, story)
    theirs["body"] = THEIRS
    saved = client.post(reverse("admin:stories_story_change", args=[story.pk]), theirs)
    assert saved.status_code == 302
    login(client, writer)
    mine["body"] = MINE
    refused = client.post(reverse("admin:stories_story_change", args=[story.pk]), mine)
    assert refused.status_code == 400
    html = refused.content.decode()
    tree = LexborHTMLParser(html)
    errors = " ".join(n.text() for n in tree.css(".errornote, .errorlist"))
    assert "Co Author saved a newer version" in errors
    revision = Story.objects.get(pk=story.pk).latest_revision
    assert revision.created_at.strftime("%H:%M") in errors
    assert tree.css_first("textarea[name=body]").text().strip() == MINE
    assert Story.objects.get(pk=story.pk).body == THEIRS


def test_second_api_save_answers_412_with_the_refused_text(story, writer, co_author):
    mine, theirs = client_for(writer), client_for(co_author)
    etag = mine.get(f"/api/v1/stories/{story.pk}/")["ETag"]
    ok = theirs.patch(f"/api/v1/stories/{story.pk}/", {"body": THEIRS}, format="json",
                      HTTP_IF_MATCH=theirs.get(f"/api/v1/stories/{story.pk}/")["ETag"])
    assert ok.status_code == 200
    refused = mine.patch(f"/api/v1/stories/{story.pk}/", {"body": MINE, "title": "Mine"},
                         format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 412
    body = refused.json()
    assert "Co Author saved a newer version" in body["detail"]
    assert body["refused"] == {"body": MINE, "title": "Mine"}
    assert body["etag"] == ok["ETag"]
    assert Story.objects.get(pk=story.pk).body == THEIRS


def test_failed_validation_in_the_admin_keeps_the_text(client, story, writer):
    login(client, writer)
    data = change_form(client, story)
    data.update(title="", body=MINE)
    response = client.post(reverse("admin:stories_story_change", args=[story.pk]), data)
    assert response.status_code == 400
    tree = LexborHTMLParser(response.content.decode())
    assert tree.css_first("textarea[name=body]").text().strip() == MINE


def test_deleting_a_user_in_the_audit_trail_is_refused_and_deactivation_offered(
        client, admin_user, story, writer):
    assert Event.objects.filter(actor=writer).exists()
    client.force_login(admin_user)
    url = reverse("admin:auth_user_delete", args=[writer.pk])
    page = client.get(url).content.decode()
    assert "audit event" in page and "deactivate" in page.lower()
    confirmed = client.post(url, {"post": "yes"})
    assert confirmed.status_code == 403  # refused before anything is deleted
    assert get_user_model().objects.filter(pk=writer.pk, is_active=True).exists()
    client.post(url, {"deactivate": "1"})
    writer.refresh_from_db()
    assert writer.is_active is False
    assert Event.objects.filter(action="user_deactivate", details__user="writer").exists()


@pytest.mark.parametrize("change", [{"title": ""}, {"base_revision": "0" * 64}])
def test_a_refused_save_of_a_published_story_with_its_address_cleared_keeps_the_text(
        client, writer, reviewer, editor, change):
    from tests.public.helpers import publish_story

    story = publish_story(writer, reviewer, editor, sources=[SourceFactory(key="port-annual")],
                          body=FIRST)
    login(client, writer)
    data = change_form(client, story)
    data.update(slug="", body=MINE, **change)  # a published story keeps its address anyway
    response = client.post(reverse("admin:stories_story_change", args=[story.pk]), data)
    assert response.status_code == 400
    tree = LexborHTMLParser(response.content.decode())
    assert tree.css_first("textarea[name=body]").text().strip() == MINE
    assert f'href="/stories/{story.slug}/"' in response.content.decode()  # "View on site"
