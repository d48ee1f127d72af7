"""The corrections desk: editors and the story's reviewers deal with readers' reports."""

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import Event
from sources.models import Source
from stories import services
from stories.models import ErrorReport, ReportStatus
from tests.factories import UserFactory, approved_hash
from tests.public.helpers import approve

pytestmark = pytest.mark.django_db


def report(story, ordinal=1, **fields):
    values = {"note": "The figure in this claim is wrong.", "email": "reader@example.org",
              "suggested_url": "https://stats.example.org/table-2", **fields}
    return services.report_create(slug=story.slug, ordinal=ordinal, **values)


def staff(client, user):
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    client.force_login(user)
    return client


def act(client, r, op, **fields):
    data = {"op": op, **{f"{op}-{k}": v for k, v in fields.items()}}
    return client.post(reverse("admin:stories_errorreport_change", args=[r.pk]), data)


def correct_and_publish(story, writer, reviewer, editor, note="Claim 1 gave the wrong figure."):
    services.story_update(story_id=story.pk, user=writer,
                          body=story.live_revision.body.replace("Claim number 1", "Claim one"))
    services.story_submit(story_id=story.pk, user=writer)
    approve(story, reviewer)
    services.story_publish(story_id=story.pk, user=editor, revision=approved_hash(story),
                           note=note, note_kind="correction")


def test_the_desk_groups_reports_by_story_and_claim_with_the_claims_sources(client, live_story,
                                                                           editor):
    report(live_story, 1)
    report(live_story, 1, note="Also: the date is wrong in this one.")
    report(live_story, 2)
    page = staff(client, editor).get(reverse("admin:stories_errorreport_changelist"))
    text = page.content.decode()
    assert page.status_code == 200
    assert text.count('class="desk-story"') == 1
    assert "Claim 1 <span class=\"desk-n\">(2 reports)" in text
    assert "Claim 2 <span class=\"desk-n\">(1 report)" in text
    assert "Claim number 1 is true" in text and "Port traffic report number" in text


def test_a_reviewer_of_the_story_uses_the_desk_and_others_may_not(client, live_story,
                                                                  second_reviewer, writer):
    r = report(live_story)
    url = reverse("admin:stories_errorreport_change", args=[r.pk])
    assert staff(client, second_reviewer).get(url).status_code == 403
    assert Event.objects.filter(action="report_view.denied").count() == 1
    assert act(client, r, "dismiss", reason="Not an error.").status_code == 403
    assert Event.objects.filter(action="report_view.denied").count() == 2
    staff(client, writer)
    assert client.get(url).status_code == 403
    assert ErrorReport.objects.get().status == ReportStatus.OPEN


def test_a_refused_look_at_a_report_is_recorded_once(client, live_story, second_reviewer):
    r = report(live_story)
    before = Event.objects.count()
    response = staff(client, second_reviewer).get(
        reverse("admin:stories_errorreport_change", args=[r.pk]))
    assert response.status_code == 403
    actions = Event.objects.order_by("id").values_list("action", flat=True)
    assert list(actions)[before:] == ["report_view.denied"]


@pytest.mark.parametrize("object_id", ["abc", "1.5", "²", "1e3"])
def test_a_report_address_that_is_no_number_is_not_found(client, live_story, editor, object_id):
    report(live_story)
    response = staff(client, editor).get(f"/admin/stories/errorreport/{object_id}/change/")
    assert response.status_code == 404


def test_the_storys_reviewer_sees_the_report(client, live_story, reviewer):
    r = report(live_story)
    page = staff(client, reviewer).get(reverse("admin:stories_errorreport_change", args=[r.pk]))
    assert page.status_code == 200
    assert "The figure in this claim is wrong." in page.content.decode()


def test_a_reply_is_e_mailed_to_the_reader_and_audited(client, live_story, editor,
                                                       django_capture_on_commit_callbacks):
    r = report(live_story)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(staff(client, editor), r, "reply",
                       message="Thank you: we are checking table 2.")
    assert response.status_code == 302
    sent = [m for m in mail.outbox if m.to == ["reader@example.org"]]
    assert len(sent) == 1 and "we are checking table 2" in sent[0].body
    assert "Claim number 1 is true" in sent[0].body
    event = Event.objects.get(action="report_reply")
    assert event.actor == editor and event.details["message"].startswith("Thank you")
    assert ErrorReport.objects.get().status == ReportStatus.OPEN


def test_no_reply_without_an_address(client, live_story, editor):
    r = report(live_story, email="")
    with pytest.raises(services.InvalidInput, match="no e-mail address"):
        services.report_reply(report_id=r.pk, user=editor, message="Hello")
    assert not Event.objects.filter(action="report_reply").exists()
    assert ErrorReport.objects.get().replied_at is None


def test_dismissing_needs_a_reason_and_erases_the_address(client, live_story, editor):
    r = report(live_story)
    assert act(staff(client, editor), r, "dismiss", reason="").status_code == 400
    assert act(client, r, "dismiss", reason="The source says 41,000.").status_code == 302
    r.refresh_from_db()
    assert (r.status, r.email, r.resolution) == ("dismissed", "", "The source says 41,000.")
    assert r.closed_at is not None
    assert Event.objects.get(action="report_dismiss").details["reason"] == "The source says 41,000."


def test_a_closed_report_refuses_further_actions_with_a_message(client, live_story, editor):
    r = report(live_story)
    services.report_dismiss(report_id=r.pk, user=editor, reason="Not an error.")
    response = act(staff(client, editor), r, "correct")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "already dismissed" in page
    assert Event.objects.filter(action="report_correct.denied").count() == 1


def test_a_refusal_on_a_closed_report_is_in_the_storys_trail(client, live_story, editor):
    r = report(live_story)
    services.report_dismiss(report_id=r.pk, user=editor, reason="Not an error.")
    act(staff(client, editor), r, "dismiss", reason="Still not an error.")
    denied = Event.objects.get(action="report_dismiss.denied")
    assert denied.story_id == live_story.pk


def test_a_correction_opened_from_a_report_is_closed_by_the_published_note(
        client, live_story, writer, reviewer, editor):
    r = report(live_story)
    response = act(staff(client, editor), r, "correct")
    assert response["Location"] == reverse("admin:stories_story_change", args=[live_story.pk])
    assert ErrorReport.objects.get().status == ReportStatus.CORRECTING
    correct_and_publish(live_story, writer, reviewer, editor)
    r.refresh_from_db()
    assert r.status == ReportStatus.CORRECTED and r.email == ""
    assert r.correction.note == "Claim 1 gave the wrong figure."
    event = Event.objects.get(action="report_corrected")
    assert event.details["reports"] == [r.pk] and event.actor == editor
    history = client.get(reverse("story-history", args=[live_story.slug])).content.decode()
    assert "1 reader report led to a correction of this story." in history


def test_reports_left_open_are_not_closed_by_an_unrelated_correction(live_story, writer,
                                                                     reviewer, editor):
    r = report(live_story)
    correct_and_publish(live_story, writer, reviewer, editor, note="A different fix.")
    r.refresh_from_db()
    assert r.status == ReportStatus.OPEN and r.correction is None


def test_a_suggested_url_becomes_a_library_source_with_a_snapshot_queued(
        client, live_story, editor, django_capture_on_commit_callbacks, monkeypatch):
    queued = []
    monkeypatch.setattr("sources.tasks.capture_source.delay", lambda pk: queued.append(pk))
    r = report(live_story)
    with django_capture_on_commit_callbacks(execute=True):
        response = act(staff(client, editor), r, "add_source", title="Port statistics, table 2")
    assert response.status_code == 302
    source = Source.objects.get(url="https://stats.example.org/table-2")
    assert source.title == "Port statistics, table 2" and queued == [source.pk]
    r.refresh_from_db()
    assert r.suggested_source == source
    assert Event.objects.filter(action="source_create", details__key=source.key).exists()
    assert Event.objects.get(action="report_add_source").details["source"] == source.key


def test_a_suggested_url_already_in_the_library_is_reused(live_story, editor):
    existing = Source.objects.create(key="stats-t2", url="https://stats.example.org/table-2",
                                     title="Table 2")
    r = report(live_story)
    assert services.report_add_source(report_id=r.pk, user=editor) == existing


def test_the_desk_shows_hostile_reports_as_text(client, live_story, editor):
    from tests.security import payloads as P
    from tests.security.html_checks import html_problems

    for payload in P.ALL[:40]:
        report(live_story, note=f"Wrong figure: {payload}", email="")
    staff(client, editor)
    page = client.get(reverse("admin:stories_errorreport_changelist") + "?status=all")
    assert html_problems(page.content.decode()) == []
    for r in ErrorReport.objects.all()[:10]:
        detail = client.get(reverse("admin:stories_errorreport_change", args=[r.pk]))
        assert html_problems(detail.content.decode()) == []


def test_the_digest_page_shows_counts_and_the_next_digest_to_editors_only(client, live_story,
                                                                          editor, reviewer,
                                                                          settings):
    settings.NEWSROOM_DIGEST_HOUR = 24  # "before the send hour" all day: today's digest
    url = reverse("admin:stories_subscriber_changelist")
    assert staff(client, reviewer).get(url).status_code == 403
    page = staff(client, editor).get(url).content.decode()
    assert 'class="count-confirmed">0<' in page
    assert "Harbour cranes arrive" in page and "daily digest" in page
    # The HTML part is shown as its source, not rendered into the admin page (its inline
    # styles broke the admin's CSP and its <body> style restyled the page).
    html_part = page.split('class="digest-html">')[1].split("</pre>")[0]
    assert html_part.startswith("&lt;") and "<h1" not in html_part


def test_an_editor_who_is_not_a_reviewer_of_the_story_still_handles_it(client, live_story):
    other_editor = UserFactory(username="editor2", roles=["Editors"])
    r = report(live_story)
    assert services.report_open_correction(report_id=r.pk, user=other_editor).status == \
        ReportStatus.CORRECTING


def test_publishing_a_correction_opened_from_a_report_starts_from_the_reported_claim(
        client, live_story, writer, reviewer, editor):
    r = report(live_story)
    act(staff(client, editor), r, "correct")
    services.story_update(story_id=live_story.pk, user=writer,
                          body=live_story.live_revision.body.replace("Claim number 1", "Claim one"))
    services.story_submit(story_id=live_story.pk, user=writer)
    approve(live_story, reviewer)
    page = client.get(reverse("admin:stories_story_workflow", args=[live_story.pk]))
    note = page.content.decode().split('name="publish-note"', 1)[1].split("</textarea>", 1)[0]
    assert "An earlier version of this story said: \u201c" in note
    assert r.claim_text.rstrip(".") in note


def test_the_report_page_tells_its_history_in_words(client, live_story, editor):
    r = report(live_story)
    act(staff(client, editor), r, "dismiss", reason="The figure matches table 2.")
    page = client.get(reverse("admin:stories_errorreport_change", args=[r.pk])).content.decode()
    trail = page.split('class="report-trail"', 1)[1].split("</ol>", 1)[0]
    assert "Reported by a reader" in trail and "Dismissed by " in trail
    assert "report_" not in trail and "by system" not in trail


LIMITS = [("reply", "message", 5_000,
           "The reply has 5,001 characters; a reply to a reader holds at most 5,000."),
          ("dismiss", "reason", 2_000,
           "The reason has 2,001 characters; a dismissal reason holds at most 2,000.")]


@pytest.mark.parametrize("op, field, limit, message", LIMITS)
def test_a_desk_text_past_its_limit_reads_the_same_on_the_form_and_over_the_api(
        client, live_story, editor, op, field, limit, message):
    from tests.api.conftest import client_for

    r = report(live_story)
    page = act(staff(client, editor), r, op, **{field: "x" * (limit + 1)})
    assert page.status_code == 400
    assert message in page.text
    api = client_for(editor).post(f"/api/v1/reports/{r.pk}/{op}/", {field: "x" * (limit + 1)},
                                  format="json")
    assert api.status_code == 400
    assert api.json()["errors"][field] == [message]
    assert not Event.objects.filter(action=f"report_{op}").exists()


@pytest.mark.parametrize("op, field, limit, message", LIMITS)
def test_a_desk_text_past_its_limit_is_refused_by_the_service_in_the_same_words(
        live_story, editor, op, field, limit, message):
    r = report(live_story)
    act = {"reply": services.report_reply, "dismiss": services.report_dismiss}[op]
    with pytest.raises(services.InvalidInput) as refused:
        act(report_id=r.pk, user=editor, **{field: "x" * (limit + 1)})
    assert refused.value.message_dict[field] == [message]


def test_the_schema_states_the_desks_report_limits(client):
    schemas = client.get("/api/schema/?format=json").json()["components"]["schemas"]
    assert schemas["ReportReplyInputRequest"]["properties"]["message"]["maxLength"] == 5_000
    assert schemas["DismissInputRequest"]["properties"]["reason"]["maxLength"] == 2_000
