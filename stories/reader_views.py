"""The readers' pages: report an error in a claim, the public corrections log and its feed,
the daily digest's sign-up, confirmation and one-click unsubscribe, and the page-view ping.

Forms live at their own never-cached addresses (they carry a CSRF token), so the story page
itself holds only static links and stays cacheable. GET never writes.
"""

import hashlib
import re

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import condition, require_http_methods, require_POST, require_safe

from audit.forms import is_row_id

from . import pages, reader_selectors, selectors, services
from .caching import public_page
from .feeds import ReaderFeed, public_feed
from .models import Claim, Story
from .reader_forms import ReportForm, SubscribeForm
from .services.digest import BadLink, subscriber_for_confirmation, subscriber_for_unsubscribe
from .services.reports import StoryRetracted
from .throttles import REPORT_THROTTLES, PageViewThrottle, SubscribeThrottle, refused
from .views import render_page

THROTTLED = ("Too many reports from your address just now. Please try again in {minutes} "
             "minute(s).")


def _throttled(request, template: str, context: dict, wait: int, message: str):
    response = render_page(request, template, {
        **context, "refusal": message.format(minutes=max(1, round(wait / 60)))}, status=429)
    response["Retry-After"] = str(wait)
    return response


def _add_errors(form, exc) -> None:
    """A service's field errors on the form; a hidden field's show with the form's own."""
    for name, errors in exc.message_dict.items():
        visible = name in form.fields and not form.fields[name].widget.is_hidden
        form.add_error(name if visible else None, errors)


# --- report an error ----------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def story_report(request, slug):
    """The plain report form (works without JavaScript): GET ?claim=K preselects a claim."""
    page = selectors.story_page(slug)
    if page is None:
        raise Http404("No published story at this address.")
    claims = list(Claim.objects.filter(revision=page.revision).only("ordinal", "text"))
    context = {"page": page, "story": page.story, "revision": page.revision, "claims": claims}
    if page.story.retracted_at:
        return render_page(request, "stories/report_form.html", {
            **context, "refusal": "This story was retracted, so it takes no more reports."},
            status=409)
    if request.method != "POST":
        initial = {"revision": page.revision.content_hash}
        wanted = request.GET.get("claim", "")
        if is_row_id(wanted) and any(c.ordinal == int(wanted) for c in claims):
            initial["claim"] = int(wanted)
        context["form"] = ReportForm(initial=initial, claims=claims)
        context["chosen"] = initial.get("claim")
        return render_page(request, "stories/report_form.html", context)
    form = ReportForm(request.POST, claims=claims)
    context["form"] = form
    wait = refused(request, REPORT_THROTTLES, slug=slug)
    if wait is not None:
        return _throttled(request, "stories/report_form.html", context, wait, THROTTLED)
    if form.is_bot:
        return redirect("story-report-sent", slug=slug)
    if not form.is_valid():
        return render_page(request, "stories/report_form.html", context, status=400)
    data = form.cleaned_data
    try:
        services.report_create(slug=slug, ordinal=data["claim"], note=data["note"],
                               suggested_url=data["suggested_url"], email=data["email"],
                               content_hash=data["revision"],
                               submission=request.POST.get("submission"))
    except (Story.DoesNotExist, Claim.DoesNotExist):
        form.add_error("claim", "This claim is not in the version of the story you read; "
                       "reload the story and report again.")
        return render_page(request, "stories/report_form.html", context, status=400)
    except StoryRetracted as exc:
        return render_page(request, "stories/report_form.html",
                           {**context, "refusal": str(exc)}, status=409)
    except services.InvalidInput as exc:
        _add_errors(form, exc)
        return render_page(request, "stories/report_form.html", context, status=400)
    return redirect("story-report-sent", slug=slug)


@require_safe
def story_report_sent(request, slug):
    page = selectors.story_page(slug)
    if page is None:
        raise Http404("No published story at this address.")
    return render_page(request, "stories/report_sent.html", {"story": page.story,
                                                             "revision": page.revision})


# --- the public corrections log -----------------------------------------------------------


def _log(request):
    found = getattr(request, "_newsroom_log", None)
    if found is None:
        found = request._newsroom_log = reader_selectors.corrections_log()
    return found


def _log_etag(request):
    return pages.corrections_etag(_log(request))


# No Last-Modified: entries are dated to the second, and a second entry in the same second
# would leave the date of a page that changed as it was.
@require_safe
@public_page
@condition(etag_func=_log_etag)
def corrections(request):
    return render_page(request, "stories/corrections.html", {"entries": _log(request)})


class CorrectionsFeed(ReaderFeed):
    """Every correction, update and retraction, newest first."""

    def title(self):
        return f"{settings.NEWSROOM_SITE_NAME}: corrections"

    def link(self):
        return reverse("corrections")

    def description(self):
        return "Every correction, update and retraction of a published story, newest first."

    def items(self):
        return reader_selectors.corrections_log(limit=50)

    def item_title(self, entry):
        return f"{entry.label}: {entry.story.live_revision.title}"

    def item_description(self, entry):
        import html

        return html.escape(entry.note, quote=False)

    def item_link(self, entry):
        return entry.story.get_absolute_url()

    def item_guid(self, entry):
        return f"{entry.story.get_absolute_url()}#{entry.key}"

    item_guid_is_permalink = False

    def item_pubdate(self, entry):
        return entry.at


corrections_feed = public_feed(CorrectionsFeed())


# --- page views ---------------------------------------------------------------------------

# Crawlers, link previewers and scripts announce themselves; they are not readers.
_BOTS = re.compile(r"bot|crawl|spider|slurp|preview|fetch|curl|wget|python|http|java|"
                   r"headless|scan|monitor|facebookexternalhit|embedly|okhttp|go-http",
                   re.IGNORECASE)


@csrf_exempt  # an anonymous counter: no session state to forge; throttled per address
@require_POST
def story_viewed(request, slug):
    """A page view, pinged by the page's script (so cached pages count too): counted once per
    address, story and hour, without storing the address; bots are not counted."""
    agent = request.META.get("HTTP_USER_AGENT", "")
    if not agent or _BOTS.search(agent) or request.headers.get("Sec-Purpose", "").startswith(
            "prefetch"):
        return HttpResponse(status=204)
    if refused(request, (PageViewThrottle,)) is not None:
        return HttpResponse(status=204)
    story = Story.objects.published().filter(slug=slug, retracted_at__isnull=True).values_list(
        "pk", flat=True).first()
    if story is None:
        raise Http404("No published story at this address.")
    hour = reader_selectors.hour_of(timezone.now())
    seen = hashlib.sha256(f"{request.META.get('REMOTE_ADDR', '')}|{story}|{hour:%Y%m%d%H}|"
                          f"{settings.SECRET_KEY}".encode()).hexdigest()[:32]
    if cache.add(f"reader:seen:{seen}", 1, 3600):
        services.page_view_record(story_id=story)
    return HttpResponse(status=204)


# --- the daily digest ---------------------------------------------------------------------

SUBSCRIBE_THROTTLED = ("Too many sign-ups from your address just now. Try again in {minutes} "
                       "minute(s).")


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def digest(request):
    """Sign up for the daily digest (double opt-in)."""
    if request.method != "POST":
        form = SubscribeForm(initial={"email": request.GET.get("email", "")[:254]})
        return render_page(request, "stories/digest.html", {"form": form})
    form = SubscribeForm(request.POST)
    context = {"form": form}
    wait = refused(request, (SubscribeThrottle,))
    if wait is not None:
        return _throttled(request, "stories/digest.html", context, wait, SUBSCRIBE_THROTTLED)
    if form.is_bot:
        return render_page(request, "stories/digest.html", {"sent": True})
    if not form.is_valid():
        return render_page(request, "stories/digest.html", context, status=400)
    try:
        services.digest_subscribe(email=form.cleaned_data["email"])
    except services.InvalidInput as exc:
        _add_errors(form, exc)
        return render_page(request, "stories/digest.html", context, status=400)
    return render_page(request, "stories/digest.html", {"sent": True})


def _link_refused(request, exc: BadLink):
    return render_page(request, "stories/digest_link.html", {"refusal": str(exc)},
                       status=exc.status)


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def digest_confirm(request, token):
    """The e-mailed link opens a page with one button: mail scanners that follow links
    confirm nothing (GET never writes)."""
    try:
        if request.method == "POST":
            services.digest_confirm(token=token)
            return render_page(request, "stories/digest_link.html", {"confirmed": True})
        subscriber = subscriber_for_confirmation(token)
    except BadLink as exc:
        return _link_refused(request, exc)
    if subscriber.status == "confirmed":
        return _link_refused(request, BadLink(
            "This link was already used: the address is subscribed.", status=409))
    return render_page(request, "stories/digest_link.html", {"confirm": True})


@never_cache
@csrf_exempt  # RFC 8058: mail providers POST "List-Unsubscribe=One-Click" with no session
@require_http_methods(["GET", "HEAD", "POST"])
def digest_unsubscribe(request, token):
    """One-click unsubscribe: POST unsubscribes (the mail provider's button, or ours); GET
    shows the button."""
    try:
        if request.method == "POST":
            services.digest_unsubscribe(token=token)
            return render_page(request, "stories/digest_link.html", {"unsubscribed": True})
        subscriber = subscriber_for_unsubscribe(token)
    except BadLink as exc:
        return _link_refused(request, exc)
    return render_page(request, "stories/digest_link.html", {
        "unsubscribe": True, "already": subscriber.status == "unsubscribed"})
