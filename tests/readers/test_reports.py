"""Readers report an error on a claim: the flag on the page, the plain form, what is stored."""

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import Event
from stories.models import ErrorReport
from stories.throttles import ReportAddressThrottle, ReportStoryThrottle
from tests.public.helpers import publish_story, republish

pytestmark = pytest.mark.django_db

NOTE = "The port moved 4,100 boxes, not 41,000: see table 2 of the report."


def report_url(story, claim=None):
    url = reverse("story-report", args=[story.slug])
    return f"{url}?claim={claim}" if claim else url


def post(client, story, **fields):
    data = {"claim": 1, "note": NOTE, "suggested_url": "", "email": "", "website": "",
            "revision": story.live_revision.content_hash if story.live_revision else "",
            **fields}
    return client.post(reverse("story-report", args=[story.slug]), data)


def test_each_claim_has_a_report_link_beside_its_superscripts(client, live_story):
    page = client.get(live_story.get_absolute_url()).content.decode()
    for ordinal in (1, 2):
        sup_end = page.index("</sup>", page.index(f'id="claim-{ordinal}"'))
        after = page[sup_end:sup_end + 200]
        assert f'href="{report_url(live_story, ordinal)}"' in after
        assert f'aria-label="Report an error in claim {ordinal}"' in after


def test_the_story_page_stays_cacheable_with_no_form_token(client, live_story):
    response = client.get(live_story.get_absolute_url())
    assert "csrfmiddlewaretoken" not in response.content.decode()
    assert "public" in response["Cache-Control"] and "s-maxage" in response["Cache-Control"]
    assert "csrftoken" not in response.cookies


def test_the_form_page_preselects_the_claim_and_says_how_the_address_is_kept(client,
                                                                             live_story):
    response = client.get(report_url(live_story, 2))
    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="2" checked' in page
    assert "Claim number 2 is true" in page
    assert "until the report is closed, then delete it" in page
    assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]


@pytest.mark.parametrize("claim", ["%C2%B2", "%E2%91%A0"])  # superscript two, circled one
def test_a_claim_number_in_digits_python_cannot_count_opens_the_form_unchosen(client,
                                                                              live_story, claim):
    # str.isdigit() says yes to "²" and "①"; int() does not.
    response = client.get(f"{report_url(live_story)}?claim={claim}")
    assert response.status_code == 200
    assert "\" checked" not in response.content.decode()  # no claim preselected


def test_a_report_is_stored_tied_to_the_claim_revision_and_hash(client, live_story):
    response = post(client, live_story, claim=2, email="Reader@Example.org",
                    suggested_url="https://stats.example.org/table-2")
    assert response.status_code == 302
    assert response["Location"] == reverse("story-report-sent", args=[live_story.slug])
    report = ErrorReport.objects.get()
    assert (report.claim.ordinal, report.revision_id) == (2, live_story.live_revision_id)
    assert report.content_hash == live_story.live_revision.content_hash
    assert report.claim_text == "Claim number 2 is true"
    assert report.note == NOTE and report.email == "reader@example.org"
    assert client.get(response["Location"]).status_code == 200


def test_a_report_is_audited_without_the_readers_words_or_address(client, live_story):
    post(client, live_story, email="reader@example.org")
    event = Event.objects.get(action="report_create")
    assert event.story_id == live_story.pk
    assert event.revision_hash == live_story.live_revision.content_hash
    assert event.details["claim"] == 1 and event.details["reply_wanted"] is True
    assert "reader@example.org" not in str(event.details) and NOTE not in str(event.details)


def test_the_storys_reviewers_hear_of_a_new_report(client, live_story, reviewer,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, live_story).status_code == 302
    assert [m.to for m in mail.outbox if "Reader report" in m.subject] == [[reviewer.email]]


def test_a_report_of_the_version_read_before_a_correction_is_tied_to_that_version(
        client, live_story, writer, reviewer, editor):
    read = live_story.live_revision
    republish(live_story, writer, reviewer, editor, title="Harbour cranes arrive late")
    response = post(client, live_story, revision=read.content_hash)
    assert response.status_code == 302
    assert ErrorReport.objects.get().revision == read


@pytest.mark.parametrize("fields, field, message", [
    ({"note": ""}, "note", "This field is required."),
    ({"note": "   wrong   "}, "note", "at least 10 characters"),
    ({"note": "x" * 2001}, "note", "a report holds at most 2,000"),
    ({"suggested_url": "javascript:alert(1)"}, "suggested_url", "http:// or https://"),
    ({"suggested_url": "ftp://example.org/x"}, "suggested_url", "http:// or https://"),
    ({"suggested_url": "https://example.org/" + "a" * 2000}, "suggested_url",
     "The link has 2,020 characters; a link holds at most 2,000."),
    ({"suggested_url": "https://stats.example.org:99999/t2"}, "suggested_url", "port"),
    ({"email": "not-an-address"}, "email", "valid e-mail"),
    ({"email": "a@b.c" + "c" * 300}, "email",
     "The e-mail address has 305 characters; an e-mail address holds at most 254."),
    ({"claim": 99}, "claim", "does not exist"),
    ({"claim": "one"}, "claim", "does not exist"),
    ({"revision": "0" * 64}, "revision", "not a version of the story"),
])
def test_bad_reports_are_refused_with_a_message_and_nothing_stored(client, live_story, fields,
                                                                   field, message):
    response = post(client, live_story, **fields)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ErrorReport.objects.exists()
    assert not Event.objects.filter(action="report_create").exists()


def test_a_filled_honeypot_is_thanked_and_dropped(client, live_story):
    response = post(client, live_story, website="https://spam.example")
    assert response.status_code == 302
    assert not ErrorReport.objects.exists()


def test_a_story_that_is_not_published_cannot_be_reported(client, writer):
    from tests.factories import SourceFactory, make_story

    source = SourceFactory()
    draft = make_story(writer, title="Draft", body=f"A claim [@{source.key}].", sources=[source])
    assert client.get(report_url(draft, 1)).status_code == 404
    assert post(client, draft).status_code == 404
    assert client.get(reverse("story-report", args=["no-such-story"])).status_code == 404


def test_a_retracted_story_takes_no_reports(client, live_story, editor):
    from stories import services

    services.story_retract(story_id=live_story.pk, user=editor, reason="The data was wrong.")
    live_story.refresh_from_db()
    assert post(client, live_story).status_code == 409
    page = client.get(live_story.get_absolute_url()).content.decode()
    assert "claim-report" not in page
    assert not ErrorReport.objects.exists()


def test_a_flood_from_one_address_is_throttled(client, live_story, monkeypatch):
    monkeypatch.setattr(ReportAddressThrottle, "rate", "2/hour", raising=False)
    assert [post(client, live_story).status_code for _ in range(3)] == [302, 302, 429]
    refused = post(client, live_story)
    assert "Too many reports from your address" in refused.content.decode()
    assert int(refused["Retry-After"]) > 0
    assert ErrorReport.objects.count() == 2
    other = client.post(reverse("story-report", args=[live_story.slug]),
                        {"claim": 1, "note": NOTE}, REMOTE_ADDR="192.0.2.9")
    assert other.status_code == 302


def test_a_forged_forwarded_for_does_not_escape_the_address_limit(client, live_story,
                                                                  monkeypatch, settings):
    settings.NEWSROOM_TRUSTED_PROXIES = []
    monkeypatch.setattr(ReportAddressThrottle, "rate", "1/hour", raising=False)
    codes = [client.post(reverse("story-report", args=[live_story.slug]),
                         {"claim": 1, "note": NOTE}, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
                         ).status_code for n in range(3)]
    assert codes == [302, 429, 429]


def test_a_flood_on_one_story_from_many_addresses_is_throttled(client, live_story,
                                                               monkeypatch):
    monkeypatch.setattr(ReportStoryThrottle, "rate", "3/hour", raising=False)
    codes = [client.post(reverse("story-report", args=[live_story.slug]),
                         {"claim": 1, "note": NOTE}, REMOTE_ADDR=f"192.0.2.{n}").status_code
             for n in range(1, 5)]
    assert codes == [302, 302, 302, 429]


def test_a_report_never_appears_on_public_pages(client, live_story, writer, reviewer, editor):
    post(client, live_story, note="SECRET-NOTE is what I say is wrong here.")
    for url in (live_story.get_absolute_url(), reverse("story-history", args=[live_story.slug]),
                reverse("corrections"), reverse("corrections-feed"), "/"):
        assert "SECRET-NOTE" not in client.get(url).content.decode(), url


def test_script_in_every_field_is_stored_as_text_and_never_rendered(client, live_story, editor):
    from tests.security.html_checks import html_problems

    payload = "<script>alert(1)</script><img src=x onerror=alert(2)>"
    response = post(client, live_story, note=payload * 3, email=payload,
                    suggested_url="https://example.org/\"><script>alert(3)</script>")
    assert response.status_code == 400  # the address and the link are not valid
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert html_problems(response.content.decode()) == []
    post(client, live_story, note=payload * 3)
    report = ErrorReport.objects.get()
    assert report.note == payload * 3
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    for url in (reverse("admin:stories_errorreport_changelist"),
                reverse("admin:stories_errorreport_change", args=[report.pk])):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert html_problems(page) == [], url


def test_control_characters_are_removed_from_a_note(client, live_story):
    post(client, live_story, note="A wrong figure\x1b[31m here\u202e, truly.\r\nYes.")
    assert ErrorReport.objects.get().note == "A wrong figure[31m here, truly.\nYes."


def test_a_nul_in_a_note_is_refused_with_a_message(client, live_story):
    response = post(client, live_story, note="A wrong\x00 figure here.")
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()
    assert not ErrorReport.objects.exists()


def test_a_claim_with_html_in_its_text_still_gets_one_link(writer, reviewer, editor, client):
    from tests.factories import SourceFactory

    source = SourceFactory()
    story = publish_story(writer, reviewer, editor, title="Areas",
                          body=f"The yard covers 3 km<sup>2</sup> of land [@{source.key}].",
                          sources=[source])
    page = client.get(story.get_absolute_url()).content.decode()
    assert page.count('class="claim-report"') == 1
    assert page.index('class="claim-report"') > page.index('<sup class="cite">')


def test_the_xss_corpus_through_the_report_form_runs_no_script(client, live_story, editor,
                                                               monkeypatch):
    from tests.security import payloads as P
    from tests.security.html_checks import html_problems

    monkeypatch.setattr(ReportAddressThrottle, "rate", "100000/hour", raising=False)
    monkeypatch.setattr(ReportStoryThrottle, "rate", "100000/hour", raising=False)
    for payload in P.ALL:
        for fields in ({"note": payload}, {"note": f"Wrong: {payload}"},
                       {"suggested_url": payload}, {"email": payload}):
            response = post(client, live_story, **fields)
            assert response.status_code in (302, 400), (payload, fields)
            assert html_problems(response.content.decode()) == [], (payload, fields)
    for url in P.URL_PAYLOADS:
        assert post(client, live_story, suggested_url=url).status_code == 400, url
    editor.is_staff = True
    editor.save()
    client.force_login(editor)
    page = client.get(reverse("admin:stories_errorreport_changelist") + "?status=all")
    assert html_problems(page.content.decode()) == []


TOO_LONG = "Your note has 2,001 characters; a report holds at most 2,000."


def test_a_note_past_the_limit_reads_one_message_on_the_form_over_the_api_and_from_the_service(
        client, live_story):
    from rest_framework.test import APIClient

    from stories import services

    page = post(client, live_story, note="x" * 2001)
    assert page.status_code == 400 and TOO_LONG in page.content.decode()
    api = APIClient().post(f"/api/v1/public/stories/{live_story.slug}/reports/",
                           {"claim": 1, "note": "x" * 2001}, format="json")
    assert api.status_code == 400 and api.json()["errors"]["note"] == [TOO_LONG]
    with pytest.raises(services.InvalidInput) as refused:
        services.report_create(slug=live_story.slug, ordinal=1, note="x" * 2001)
    assert refused.value.message_dict["note"] == [TOO_LONG]


# --- sent twice (a double click, a resend): filed and e-mailed once ----------------------------


def form_token(client, story) -> str:
    page = client.get(report_url(story, 1)).content.decode()
    return page.split('name="submission" value="')[1][:36]


def test_the_report_form_page_carries_a_fresh_token_and_the_cached_story_page_none(
        client, live_story):
    assert form_token(client, live_story) != form_token(client, live_story)
    assert 'name="submission"' not in client.get(live_story.get_absolute_url()).content.decode()


def test_a_report_form_sent_twice_is_filed_and_e_mailed_once(
        client, live_story, django_capture_on_commit_callbacks):
    token = form_token(client, live_story)
    with django_capture_on_commit_callbacks(execute=True):
        answers = [post(client, live_story, submission=token) for _ in range(2)]
    sent = reverse("story-report-sent", args=[live_story.slug])
    assert [(a.status_code, a["Location"]) for a in answers] == [(302, sent)] * 2
    assert ErrorReport.objects.count() == 1
    assert Event.objects.filter(action="report_create").count() == 1
    assert len([m for m in mail.outbox if "Reader report" in m.subject]) == 1


def test_two_report_forms_with_their_own_tokens_are_two_reports(client, live_story):
    for _ in range(2):
        post(client, live_story, submission=form_token(client, live_story))
    assert ErrorReport.objects.count() == 2


def test_a_refused_report_frees_its_token_for_the_corrected_one(client, live_story):
    token = form_token(client, live_story)
    assert post(client, live_story, note="Too short", submission=token).status_code == 400
    assert post(client, live_story, submission=token).status_code == 302
    assert ErrorReport.objects.count() == 1


def api_report(client, story, **headers):
    return client.post(f"/api/v1/public/stories/{story.slug}/reports/",
                       {"claim": 1, "note": NOTE}, content_type="application/json", **headers)


def test_api_a_report_resent_with_the_same_idempotency_key_is_filed_and_e_mailed_once(
        client, live_story, django_capture_on_commit_callbacks):
    key = "8a6f4c1e-0f55-4a4e-9d59-6a0f2b7c3d11"
    with django_capture_on_commit_callbacks(execute=True):
        first, again = (api_report(client, live_story, HTTP_IDEMPOTENCY_KEY=key)
                        for _ in range(2))
    assert (first.status_code, again.status_code) == (201, 201), again.json()
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert ErrorReport.objects.count() == 1
    assert len([m for m in mail.outbox if "Reader report" in m.subject]) == 1


def test_api_a_report_sent_twice_without_a_key_is_two_reports(client, live_story):
    assert [api_report(client, live_story).status_code for _ in range(2)] == [201, 201]
    assert ErrorReport.objects.count() == 2


def test_api_a_reports_idempotency_key_on_another_story_is_refused(client, live_story, writer,
                                                                   reviewer, editor):
    other = publish_story(writer, reviewer, editor, title="Another story")
    key = "8a6f4c1e-0f55-4a4e-9d59-6a0f2b7c3d12"
    assert api_report(client, live_story, HTTP_IDEMPOTENCY_KEY=key).status_code == 201
    again = api_report(client, other, HTTP_IDEMPOTENCY_KEY=key)
    assert again.status_code == 400 and "already sent" in str(again.json())
    assert ErrorReport.objects.count() == 1


LONG_FIELDS = {
    "suggested_url": ("https://example.org/" + "a" * 1981,
                      "The link has 2,001 characters; a link holds at most 2,000."),
    "email": ("a@example.org" + "g" * 242,
              "The e-mail address has 255 characters; an e-mail address holds at most 254."),
}


@pytest.mark.parametrize("field", list(LONG_FIELDS))
def test_a_link_or_address_past_its_limit_reads_one_message_everywhere(client, live_story,
                                                                       field):
    from rest_framework.test import APIClient

    from stories import services

    value, message = LONG_FIELDS[field]
    page = post(client, live_story, **{field: value})
    assert page.status_code == 400 and message in page.content.decode()
    api = APIClient().post(f"/api/v1/public/stories/{live_story.slug}/reports/",
                           {"claim": 1, "note": NOTE, field: value}, format="json")
    assert api.status_code == 400 and api.json()["errors"][field] == [message]
    with pytest.raises(services.InvalidInput) as refused:
        services.report_create(slug=live_story.slug, ordinal=1, note=NOTE, **{field: value})
    assert refused.value.message_dict[field] == [message]
