import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from sources.models import Source
from stories import services
from stories.models import Story
from tests.factories import SourceFactory, make_story
from tests.stories.test_admin import change_form_data, change_url, login

pytestmark = pytest.mark.django_db

BODY = "Traffic rose 6% in May [@port-traffic]. The cranes arrived [@port-cranes]."


@pytest.fixture
def library(db):
    return {key: SourceFactory(key=key, title=title) for key, title in [
        ("port-traffic", "Port traffic statistics for May"),
        ("port-cranes", "Harbour board minutes on the new cranes"),
        ("port-budget", "Port budget 2026"),
    ]}


@pytest.fixture
def story(writer, library):
    return make_story(writer, title="Cranes lift harbour traffic", body=BODY,
                      sources=["port-cranes", "port-traffic"])


def listed_keys(story):
    return list(Story.objects.get(pk=story.pk).source_entries.order_by("position")
                .values_list("source__key", flat=True))


def test_the_body_is_still_a_plain_textarea_carrying_the_editors_addresses(client, writer,
                                                                           story):
    login(client, writer)
    page = client.get(change_url(story)).content.decode()
    assert '<textarea name="body"' in page
    assert "Traffic rose 6% in May [@port-traffic]." in page
    assert f'data-check-url="/api/v1/stories/{story.pk}/check/"' in page
    assert 'src="/static/stories/editor/editor.js" type="module"' in page


def body_attributes(page: str) -> dict:
    """The body textarea's attributes, as the editor's script reads them."""
    found = {}

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if tag == "textarea" and dict(attrs).get("name") == "body":
                found.update(attrs)

    Parser().feed(page)
    return found


@pytest.mark.parametrize("page", ["change", "add"])
def test_the_body_carries_the_key_rule_the_library_enforces(client, writer, story, page):
    login(client, writer)
    url = change_url(story) if page == "change" else reverse("admin:stories_story_add")
    attrs = body_attributes(client.get(url).content.decode())
    whole, chars = attrs["data-key-pattern"], attrs["data-key-chars"]
    typed = ["new-key", "0", "reuters-wu:2026.v_2", "_x", "-x", ".x", "a b", "a\\b", "é", ""]
    assert [key for key in typed if re.fullmatch(whole, key)] == [
        "new-key", "0", "reuters-wu:2026.v_2"]
    assert [key for key in typed if re.fullmatch(f"[{chars}]*", key)] == [
        "new-key", "0", "reuters-wu:2026.v_2", "_x", "-x", ".x", ""]
    assert int(attrs["data-key-max-length"]) == Source._meta.get_field("key").max_length


def test_a_list_out_of_reading_order_is_noted_on_the_form(client, writer, story):
    login(client, writer)
    page = client.get(change_url(story)).content.decode()
    assert "Readers meet the sources numbered 2, 1" in page
    assert 'name="_renumber"' in page


def test_save_and_renumber_numbers_the_sources_by_first_citation(client, writer, story):
    login(client, writer)
    data = change_form_data(client.get(change_url(story)))
    data.pop("_continue")
    data["_renumber"] = "1"
    data["body"] = BODY + " The budget grew [@port-budget]."

    response = client.post(change_url(story), data, follow=True)

    assert listed_keys(story) == ["port-traffic", "port-cranes", "port-budget"]
    assert "numbered in the order readers first meet them" in response.content.decode()
    assert response.redirect_chain[-1][0] == change_url(story)


def test_saving_a_list_out_of_reading_order_warns_the_writer(client, writer, library):
    story = make_story(writer, title="T", body="A claim [@port-traffic].",
                       sources=["port-traffic"])
    login(client, writer)
    data = change_form_data(client.get(change_url(story)))
    # A new first claim cites a source that joins the list at the end, as number 2.
    data["body"] = "Budget first [@port-budget]. A claim [@port-traffic]."
    response = client.post(change_url(story), data, follow=True)
    assert "Readers meet the sources numbered 2, 1" in response.content.decode()


def test_a_stale_save_tells_the_editor_which_revision_to_merge_with(client, writer,
                                                                    other_writer, story):
    story.authors.add(other_writer)
    login(client, writer)
    data = change_form_data(client.get(change_url(story)))
    services.story_update(story_id=story.pk, user=other_writer, body=BODY + "\n\nTheirs.")
    data["body"] = "Mine."
    response = client.post(change_url(story), data)
    current = Story.objects.get(pk=story.pk).latest_revision.content_hash
    assert response.status_code == 400
    assert f'data-stale-revision="{current}"' in response.content.decode()
