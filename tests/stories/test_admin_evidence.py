import pytest
from django.urls import reverse

from sources.models import Snapshot
from tests.factories import SourceFactory, make_story
from tests.stories.test_admin_review import staff, submitted

SOURCE_TEXT = ("Harbour master Mara Lindqvist said the council approved 1.800.000 euros for "
               "dredging. \"It is a turning point for the harbour,\" she said. Silt reduced the "
               "channel by 40 per cent.")
BODY = ("Mara Lindqvist said the council approved €1.8 million, 40% of it for the "
        "channel, calling it “a turning point for the harbour”; Tomas Reyes disagreed [@port].")


@pytest.fixture
def story(writer, db):
    source = SourceFactory(key="port", title="Council minutes", url="https://example.org/m")
    Snapshot.objects.create(source=source, requested_url=source.url, final_url=source.url,
                            status_code=200, content_type="text/html", text=SOURCE_TEXT)
    story = make_story(writer, title="Dredging approved", body=BODY)
    submitted(story, writer)
    return story


def text_url(story, ordinal=1, number=1, **query):
    url = reverse("admin:stories_story_source_text", args=[story.pk, ordinal, number])
    return url + ("?fragment=1" if query.get("fragment") else "")


def test_review_screen_offers_each_claims_source_text_in_place(client, story, reviewer):
    client.force_login(staff(reviewer))
    page = client.get(reverse("admin:stories_story_review", args=[story.pk])).content.decode()
    assert "Show claim 1 in source 1" in page
    assert f'data-src="{text_url(story)}?fragment=1"' in page
    assert "newsroom/evidence.js" in page


def test_source_text_marks_figures_names_and_quotations_in_place(client, story, reviewer):
    client.force_login(staff(reviewer))
    fragment = client.get(text_url(story, fragment=True)).content.decode()
    assert '<mark class="ev ev-name" id="ev-first-1-1"' in fragment
    assert ">Mara Lindqvist</mark>" in fragment
    assert ">1.800.000</mark>" in fragment
    assert ">40 per cent</mark>" in fragment
    assert ">a turning point for the harbour</mark>" in fragment
    assert "<strong>Not found:</strong> Tomas Reyes" in fragment


def test_source_text_page_without_script_jumps_to_the_first_match(client, story, reviewer):
    client.force_login(staff(reviewer))
    response = client.get(text_url(story))
    assert response.status_code == 200
    assert 'id="ev-first-1-1"' in response.content.decode()
    assert "Back to the review" in response.content.decode()


def test_source_text_is_escaped(client, writer, reviewer, db):
    source = SourceFactory(key="x", title="<b>Title</b>", url="https://example.org/x")
    Snapshot.objects.create(source=source, requested_url=source.url, status_code=200,
                            text="<script>alert(1)</script> rose 6%")
    story = make_story(writer, body="It rose 6% [@x].")
    submitted(story, writer)
    client.force_login(staff(reviewer))
    fragment = client.get(text_url(story, fragment=True)).content.decode()
    assert "<script>" not in fragment and "&lt;script&gt;" in fragment
    assert "<b>Title</b>" not in fragment


@pytest.mark.parametrize("ordinal, number", [(1, 2), (9, 1), (1, 0)])
def test_a_source_or_claim_that_is_not_there_is_404(client, story, reviewer, ordinal, number):
    client.force_login(staff(reviewer))
    assert client.get(text_url(story, ordinal, number)).status_code == 404


def test_someone_who_cannot_see_the_story_is_refused(client, story, db):
    from tests.factories import UserFactory

    outsider = staff(UserFactory(username="outsider", roles=[]))
    client.force_login(outsider)
    assert client.get(text_url(story)).status_code in (302, 403)
