"""If-Match with a list of entity tags (RFC 9110 13.1.1): the edit goes ahead when any of them
is the current one, and is refused (412) when none is, on stories and sources alike."""

from tests.api.conftest import client_for
from tests.factories import SourceFactory

SOURCE = "/api/v1/sources/port-annual/"


def test_a_source_edit_whose_if_match_lists_the_current_tag_second_is_saved(writer):
    SourceFactory(key="port-annual")
    client = client_for(writer)
    etag = client.get(SOURCE)["ETag"]
    response = client.patch(SOURCE, {"outlet": "Port"}, format="json",
                            HTTP_IF_MATCH=f'"0000", {etag}')
    assert response.status_code == 200
    assert response.json()["outlet"] == "Port"


def test_a_source_edit_whose_if_match_lists_no_current_tag_is_refused(writer):
    SourceFactory(key="port-annual", outlet="Harbour")
    response = client_for(writer).patch(SOURCE, {"outlet": "Port"}, format="json",
                                        HTTP_IF_MATCH='"0000", "1111"')
    assert response.status_code == 412
    assert client_for(writer).get(SOURCE).json()["outlet"] == "Harbour"


def test_a_story_edit_whose_if_match_lists_the_current_tag_second_is_saved(make, writer):
    story = make("draft")
    client = client_for(writer)
    etag = client.get(f"/api/v1/stories/{story.pk}/")["ETag"]
    response = client.patch(f"/api/v1/stories/{story.pk}/", {"dek": "Three new cranes."},
                            format="json", HTTP_IF_MATCH=f'"0000", {etag}')
    assert response.status_code == 200
    assert response.json()["dek"] == "Three new cranes."


def test_a_story_edit_whose_if_match_lists_no_current_tag_is_refused(make, writer):
    story = make("draft")
    response = client_for(writer).patch(f"/api/v1/stories/{story.pk}/", {"dek": "Mine."},
                                        format="json", HTTP_IF_MATCH='"0000", "1111"')
    assert response.status_code == 412
