"""The daily digest: double opt-in, one e-mail a day (batched, never twice), one-click
unsubscribe, and what is kept of an address."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from stories import services, tasks
from stories.models import DigestDelivery, Subscriber
from stories.services import digest
from stories.throttles import SubscribeThrottle
from tests.public.helpers import publish_story

pytestmark = pytest.mark.django_db


def day_of(story) -> str:
    """The local day a story was published on (a test running across midnight stays right)."""
    return timezone.localtime(story.published_at).date().isoformat()


def subscribe(client, email="reader@example.org", **extra):
    return client.post(reverse("digest"), {"email": email, "website": "", **extra})


def link_in(message, name: str) -> str:
    from django.conf import settings

    site = re.escape(settings.NEWSROOM_SITE_URL.rstrip("/"))
    return re.search(site + r"(/digest/" + name + r"/[^/\s]+/)", message.body)[1]


@pytest.fixture
def confirmed(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client)
    client.post(link_in(mail.outbox[-1], "confirm"))
    mail.outbox.clear()
    return Subscriber.objects.get()


def test_subscribing_e_mails_a_confirmation_link_and_sends_nothing_else(
        client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = subscribe(client, email="Reader@Example.org")
    assert response.status_code == 200 and "Check your inbox" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert (subscriber.status, subscriber.email, subscriber.consent_at) == (
        "pending", "reader@example.org", None)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["reader@example.org"]
    assert "/digest/confirm/" in mail.outbox[0].body


def test_opening_the_link_writes_nothing_and_the_button_confirms_with_the_consent_time(
        client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client)
    url = link_in(mail.outbox[0], "confirm")
    page = client.get(url)
    assert page.status_code == 200 and "Yes, send me the daily digest" in page.content.decode()
    assert Subscriber.objects.get().status == "pending"
    assert "You are subscribed" in client.post(url).content.decode()
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "confirmed" and subscriber.consent_at is not None


def test_a_used_confirmation_link_says_so(client, confirmed):
    token = digest.confirmation_token(confirmed)
    for method in (client.get, client.post):
        response = method(reverse("digest-confirm", args=[token]))
        assert response.status_code == 409
        assert "already used" in response.content.decode()


def test_an_expired_confirmation_link_is_refused(client, settings,
                                                 django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client)
    url = link_in(mail.outbox[0], "confirm")
    settings.NEWSROOM_DIGEST_CONFIRM_HOURS = 0
    response = client.post(url)
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert Subscriber.objects.get().status == "pending"


@pytest.mark.parametrize("token", ["garbage", "x" * 500, "<img src=x onerror=alert(1)>",
                                   "eyJzIjoxfQ:1tAAAA:forged"])
def test_a_forged_or_mangled_link_is_refused(client, token, db):
    for name in ("confirm", "unsubscribe"):
        response = client.post(f"/digest/{name}/{quote(token, safe='')}/")
        assert response.status_code == 400, name
        assert "not valid" in response.content.decode()
        assert "<img src=x" not in response.content.decode()


def test_a_second_subscription_replaces_the_first_link(client, settings,
                                                       django_capture_on_commit_callbacks,
                                                       monkeypatch):
    monkeypatch.setattr(digest, "RESEND_AFTER", timedelta(0))
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client)
    with django_capture_on_commit_callbacks(execute=True):
        subscribe(client)
    old, new = link_in(mail.outbox[0], "confirm"), link_in(mail.outbox[1], "confirm")
    assert client.post(old).status_code == 410
    assert client.post(new).status_code == 200


@pytest.mark.parametrize("email, message", [
    ("", "This field is required."),
    ("not-an-address", "Enter a valid e-mail address."),
    ("a@" + "b" * 260 + ".org",
     "The e-mail address has 266 characters; an e-mail address holds at most 254."),
    ("<script>alert(1)</script>@example.org", "Enter a valid e-mail address."),
])
def test_a_malformed_address_is_refused_and_nothing_stored(client, email, message):
    response = subscribe(client, email=email)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert "<script>alert(1)</script>" not in response.content.decode()
    assert not Subscriber.objects.exists()


def test_an_already_confirmed_address_is_told_so(client, confirmed):
    response = subscribe(client, email="READER@example.org")
    assert response.status_code == 400
    assert "already subscribed" in response.content.decode()
    assert Subscriber.objects.count() == 1


def test_a_honeypot_sign_up_is_dropped(client):
    assert subscribe(client, website="http://spam.example").status_code == 200
    assert not Subscriber.objects.exists()


def test_sign_ups_from_one_address_are_throttled(client, monkeypatch):
    monkeypatch.setattr(SubscribeThrottle, "rate", "2/hour", raising=False)
    codes = [subscribe(client, email=f"r{n}@example.org").status_code for n in range(3)]
    assert codes == [200, 200, 429]
    assert Subscriber.objects.count() == 2


def test_the_digest_lists_the_days_stories_with_sources_and_reviewers(confirmed, settings, writer,
                                                                      reviewer, editor):
    story = publish_story(writer, reviewer, editor, title="Cranes arrive", dek="Three of them.")
    assert tasks.send_digest.delay(day_of(story)).get() == 1
    (message,) = mail.outbox
    assert message.to == ["reader@example.org"]
    assert "Cranes arrive" in message.body and "Three of them." in message.body
    assert "2 sources, reviewed by First Reviewer" in message.body
    assert f"{settings.NEWSROOM_SITE_URL}/stories/cranes-arrive/" in message.body
    html, kind = message.alternatives[0]
    assert kind == "text/html" and "Cranes arrive" in html


def test_the_digest_carries_one_click_unsubscribe_headers(client, settings, confirmed, writer,
                                                          reviewer, editor):
    story = publish_story(writer, reviewer, editor, title="Cranes arrive")
    tasks.send_digest.delay(day_of(story))
    message = mail.outbox[0].message()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    site = re.escape(settings.NEWSROOM_SITE_URL.rstrip("/"))
    url = re.fullmatch(r"<" + site + r"(/digest/unsubscribe/[^>]+/)>",
                       message["List-Unsubscribe"])[1]
    # RFC 8058: the mail provider POSTs this body, with no cookie and no CSRF token.
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert subscriber.status == "unsubscribed" and subscriber.email == ""
    assert subscriber.email_hash == digest.email_hash("reader@example.org")
    assert client.post(url).status_code == 200  # twice is fine


def test_nothing_is_sent_twice_when_the_task_reruns(confirmed, writer, reviewer, editor):
    story = publish_story(writer, reviewer, editor, title="Cranes arrive")
    day = day_of(story)
    tasks.send_digest.delay(day)
    tasks.send_digest.delay(day)
    assert tasks.send_digest_batch.delay(day, [confirmed.pk]).get() == 0
    assert len(mail.outbox) == 1
    assert DigestDelivery.objects.get().sent_at is not None


def test_a_batch_that_failed_midway_resends_only_what_was_not_sent(confirmed, writer,
                                                                   reviewer, editor,
                                                                   monkeypatch):
    other = Subscriber.objects.create(email="second@example.org", status="confirmed",
                                      email_hash=digest.email_hash("second@example.org"),
                                      consent_at=timezone.now())
    day = day_of(publish_story(writer, reviewer, editor, title="Cranes arrive"))
    real_send = digest.EmailMultiAlternatives.send

    def send_once(self, *args, **kwargs):
        if self.to == ["second@example.org"]:
            raise OSError("SMTP server went away")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(digest.EmailMultiAlternatives, "send", send_once)
    with pytest.raises(OSError):
        digest.digest_send_batch(day=day, subscriber_ids=[confirmed.pk, other.pk])
    monkeypatch.setattr(digest.EmailMultiAlternatives, "send", real_send)
    assert digest.digest_send_batch(day=day, subscriber_ids=[confirmed.pk, other.pk]) == 1
    assert sorted(m.to[0] for m in mail.outbox) == ["reader@example.org", "second@example.org"]


def test_subscribers_are_sent_in_batches(settings, writer, reviewer, editor, monkeypatch):
    settings.NEWSROOM_DIGEST_BATCH = 2
    for n in range(5):
        Subscriber.objects.create(email=f"r{n}@example.org", status="confirmed",
                                  email_hash=digest.email_hash(f"r{n}@example.org"),
                                  consent_at=timezone.now())
    story = publish_story(writer, reviewer, editor, title="Cranes arrive")
    batches = []
    monkeypatch.setattr(tasks.send_digest_batch, "delay",
                        lambda day, ids: batches.append(ids))
    assert digest.digest_dispatch(day=day_of(story)) == 5
    assert [len(b) for b in batches] == [2, 2, 1]


def test_no_digest_on_a_day_without_stories_nor_to_pending_or_unsubscribed(client, confirmed):
    assert tasks.send_digest.delay().get() == 0
    assert mail.outbox == []


def test_an_unsubscribed_address_gets_nothing(client, confirmed, writer, reviewer, editor):
    services.digest_unsubscribe(token=digest.unsubscribe_token(confirmed))
    story = publish_story(writer, reviewer, editor, title="Cranes arrive")
    tasks.send_digest.delay(day_of(story))
    assert mail.outbox == []


def test_a_retracted_story_is_left_out_of_the_digest(confirmed, writer, reviewer, editor):
    kept = publish_story(writer, reviewer, editor, title="Cranes arrive")
    gone = publish_story(writer, reviewer, editor, title="Ferry strike")
    services.story_retract(story_id=gone.pk, user=editor, reason="Wrong date.")
    tasks.send_digest.delay(day_of(kept))
    assert kept.title in mail.outbox[0].body and "Ferry strike" not in mail.outbox[0].body


def test_the_daily_task_is_on_celerys_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["daily-digest"]
    assert entry["task"] == "stories.tasks.send_digest"
    assert entry["schedule"].hour == {settings.NEWSROOM_DIGEST_HOUR}


def test_the_xss_corpus_as_an_address_is_refused_as_text(client, monkeypatch):
    from tests.security import payloads as P
    from tests.security.html_checks import html_problems

    monkeypatch.setattr(SubscribeThrottle, "rate", "100000/hour", raising=False)
    for payload in P.ALL:
        response = subscribe(client, email=payload)
        assert response.status_code == 400, payload
        assert html_problems(response.content.decode()) == [], payload
    assert not Subscriber.objects.exists()
