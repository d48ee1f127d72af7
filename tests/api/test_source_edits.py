"""Editing a library source over the API: an ETag to read, If-Match to send, 412 when stale."""

import datetime

import pytest

from audit.models import Event
from sources.models import Health, Source
from tests.api.conftest import client_for
from tests.factories import SourceFactory

URL = "/api/v1/sources/port-annual/"


def test_source_detail_sends_its_etag_in_the_header_and_the_body(writer):
    SourceFactory(key="port-annual")
    response = client_for(writer).get(URL)
    assert response.status_code == 200
    assert response["ETag"] == response.json()["etag"]
    assert response["ETag"].startswith('"')


def test_source_patch_with_the_current_etag_saves_and_answers_the_new_etag(writer):
    SourceFactory(key="port-annual")
    client = client_for(writer)
    etag = client.get(URL)["ETag"]
    response = client.patch(URL, {"outlet": "Port Authority"}, format="json",
                            HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["outlet"] == "Port Authority"
    assert response["ETag"] == response.json()["etag"] != etag


def test_two_editors_of_one_source_the_later_stale_save_is_refused_with_412(writer, editor):
    SourceFactory(key="port-annual", title="Annual report")
    mine, theirs = client_for(writer), client_for(editor)
    read_by_both = mine.get(URL)["ETag"]
    assert theirs.get(URL)["ETag"] == read_by_both
    assert theirs.patch(URL, {"title": "Annual report 2024 (corrected)"}, format="json",
                        HTTP_IF_MATCH=read_by_both).status_code == 200

    response = mine.patch(URL, {"title": "Annual report, my wording"}, format="json",
                          HTTP_IF_MATCH=read_by_both)

    assert response.status_code == 412
    body = response.json()
    assert "Desk Editor saved this source" in body["detail"]
    assert "Nothing was saved" in body["detail"]
    assert body["etag"] == response["ETag"] != read_by_both
    assert body["refused"] == {"title": "Annual report, my wording"}
    assert mine.get(URL).json()["title"] == "Annual report 2024 (corrected)"
    refusals = Event.objects.filter(action="source_update.denied")
    assert refusals.count() == 1
    assert refusals.get().details["refused"] == "stale"


def test_source_patch_after_a_412_with_the_etag_it_named_saves(writer, editor):
    SourceFactory(key="port-annual")
    stale = client_for(writer).get(URL)["ETag"]
    client_for(editor).patch(URL, {"outlet": "Port"}, format="json", HTTP_IF_MATCH=stale)
    refused = client_for(writer).patch(URL, {"author": "A. Writer"}, format="json",
                                       HTTP_IF_MATCH=stale)
    response = client_for(writer).patch(URL, {"author": "A. Writer"}, format="json",
                                        HTTP_IF_MATCH=refused["ETag"])
    assert response.status_code == 200
    assert response.json()["outlet"] == "Port"
    assert response.json()["author"] == "A. Writer"


def test_source_patch_without_if_match_is_saved_as_the_contract_allows(writer):
    SourceFactory(key="port-annual", outlet="Port")
    client_for(writer).get(URL)
    response = client_for(writer).patch(URL, {"outlet": "Elsewhere"}, format="json")
    assert response.status_code == 200
    assert client_for(writer).get(URL).json()["outlet"] == "Elsewhere"


def test_source_patch_with_if_match_star_overwrites_deliberately(writer):
    SourceFactory(key="port-annual")
    response = client_for(writer).patch(URL, {"outlet": "Port"}, format="json",
                                        HTTP_IF_MATCH="*")
    assert response.status_code == 200


def test_a_link_check_does_not_make_an_editors_etag_stale(writer):
    source = SourceFactory(key="port-annual")
    client = client_for(writer)
    etag = client.get(URL)["ETag"]
    Source.objects.filter(pk=source.pk).update(health=Health.BROKEN)
    source.refresh_from_db()
    source.health = Health.OK
    source.save(update_fields=["health", "health_checked_at", "updated_at"])
    response = client.patch(URL, {"outlet": "Port"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200


def test_a_weak_or_listed_if_match_is_read_like_the_story_endpoint(writer):
    SourceFactory(key="port-annual")
    client = client_for(writer)
    etag = client.get(URL)["ETag"]
    response = client.patch(URL, {"outlet": "Port"}, format="json",
                            HTTP_IF_MATCH=f"W/{etag}, \"other\"")
    assert response.status_code == 200



def test_a_source_date_not_typed_as_yyyy_mm_dd_is_refused_with_the_admins_message(writer):
    response = client_for(writer).post("/api/v1/sources/", {
        "key": "port-annual", "url": "https://port.example.org/a", "title": "Annual report",
        "published_on": "07/12/2026"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["published_on"] == ["Enter a date as YYYY-MM-DD."]


def test_if_match_star_inside_a_list_overwrites_nothing(writer):
    SourceFactory(key="port-annual", outlet="Port")
    response = client_for(writer).patch(URL, {"outlet": "Elsewhere"}, format="json",
                                        HTTP_IF_MATCH='*, "0000"')
    assert response.status_code == 412
    assert Source.objects.get(key="port-annual").outlet == "Port"


@pytest.mark.parametrize("typed", ["20261207", "2026-W49-1", "2026-341", "９９９９-01-01",
                                   "2026-12-07T00:00", "2026-12-07\x00", "\u200f2026-12-07"])
def test_a_source_date_in_another_iso_form_or_other_digits_is_refused_as_the_admin_does(
        writer, typed):
    response = client_for(writer).post("/api/v1/sources/", {
        "key": "port-annual", "url": "https://port.example.org/a", "title": "Annual report",
        "published_on": typed}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["published_on"] == ["Enter a date as YYYY-MM-DD."]
    assert not Source.objects.filter(key="port-annual").exists()


def test_a_source_date_patched_in_another_form_is_refused_and_the_date_kept(writer):
    SourceFactory(key="port-annual", published_on=datetime.date(2026, 5, 2))
    response = client_for(writer).patch(URL, {"published_on": "20261207"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["published_on"] == ["Enter a date as YYYY-MM-DD."]
    assert client_for(writer).get(URL).json()["published_on"] == "2026-05-02"


def test_a_source_date_typed_as_yyyy_mm_dd_is_saved(writer):
    response = client_for(writer).post("/api/v1/sources/", {
        "key": "port-annual", "url": "https://port.example.org/a", "title": "Annual report",
        "published_on": "2026-12-07"}, format="json")
    assert response.status_code == 201
    assert response.json()["published_on"] == "2026-12-07"
