"""Evidence in place on the reviewer's screen: a claim's cited snapshot text, with the claim's
figures, names and quotations marked where they are (sources.evidence.locate) and the ones
found nowhere listed. Loaded into the claim's row when the reviewer opens it (evidence.js,
which scrolls to the first match); without script, the link opens the same text as a page."""

import html
from functools import partial

from django.http import Http404, HttpResponse
from django.template.defaultfilters import date as date_filter
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe

from sources.evidence import locate
from sources.models import Snapshot

from .admin_screens import TEMPLATES, screen_context, screen_story

MAX_TEXT_CHARS = 400_000  # a reviewer reads around the matches; the WARC holds the rest
KIND_LABELS = {"figure": "figure", "name": "name", "quote": "quotation"}


def evidence_urls(model_admin) -> list:
    """The admin URL of a claim's cited source text (added to StoryAdmin.get_urls)."""
    wrap = model_admin.admin_site.admin_view
    return [path("<int:story_id>/review/claims/<int:ordinal>/sources/<int:number>/",
                 wrap(partial(source_text_view, model_admin)), name="stories_story_source_text")]


def _e(value) -> str:
    return html.escape(str(value))


def in_place_html(story_id: int, ordinal: int, sources) -> str:
    """The 'show in source' toggles of one claim row: one per cited source with a snapshot."""
    items = []
    for s in sources:
        if not s.snapshot_id or not s.number:
            continue
        url = reverse("admin:stories_story_source_text", args=[story_id, ordinal, s.number])
        first = f"ev-first-{ordinal}-{s.number}"
        items.append(
            f'<details class="evidence-view" data-src="{_e(url)}?fragment=1">'
            f'<summary>Show claim {_e(ordinal)} in source {_e(s.number)}</summary>'
            f'<div class="evidence-pane" tabindex="-1" aria-live="polite">'
            f'<a href="{_e(url)}#{first}">Open source {_e(s.number)}\u2019s text with the '
            f'claim\u2019s figures, names and quotations marked</a></div></details>')
    return f'<div class="evidence-in-place">{"".join(items)}</div>\n' if items else ""


def marked_text(text: str, spans, first_id: str) -> str:
    """The text, escaped, each span in a <mark>; the first one carries first_id."""
    out, at = [], 0
    for index, span in enumerate(spans):
        out.append(_e(text[at:span.start]))
        ident = f' id="{_e(first_id)}"' if index == 0 else ""
        out.append(f'<mark class="ev ev-{_e(span.kind)}"{ident} title="{_e(KIND_LABELS[span.kind])}'
                   f': {_e(span.item)}">{_e(text[span.start:span.end])}</mark>')
        at = span.end
    out.append(_e(text[at:]))
    return "".join(out)


def _fragment(story, revision, claim, number: int) -> str:
    keys = list(revision.source_keys or [])
    pins = revision.pins
    if not 1 <= number <= len(pins):
        raise Http404("This revision has no such source.")
    pin = pins[number - 1]
    snapshot = Snapshot.objects.filter(pk=pin.snapshot_id).only(
        "pk", "text", "fetched_at", "title", "screenshot").first() if pin.snapshot_id else None
    if number - 1 >= len(keys) or keys[number - 1] not in (claim.keys or []):
        raise Http404("This claim does not cite that source.")
    head = (f'<p class="evidence-source"><strong>Source {_e(number)}</strong>: '
            f'{_e(pin.title or pin.key)}')
    if snapshot is None:
        return head + ' \u2014 <span class="evidence-none">no snapshot to check against.</span></p>'
    text = snapshot.text or ""
    cut = len(text) > MAX_TEXT_CHARS
    shown = text[:MAX_TEXT_CHARS]
    result = locate(claim.text, text)
    screenshot = (f', <a href="{_e(reverse("snapshot-screenshot", args=[snapshot.pk]))}">'
                  'screenshot</a>' if snapshot.screenshot else "")
    spans = [span for span in result.spans if span.end <= len(shown)]
    head += (f', snapshot of {_e(date_filter(snapshot.fetched_at, "j M Y H:i"))} '
             f'(<a href="{_e(reverse("snapshot-detail", args=[snapshot.pk]))}">archived copy'
             f'</a>{screenshot})</p>')
    found = (f'<p class="evidence-found">Found: {_e(", ".join(result.found))}</p>'
             if result.found else "")
    missing = (f'<p class="evidence-missing"><strong>Not found:</strong> '
               f'{_e(", ".join(result.missing))}</p>' if result.missing else "")
    if not result.found and not result.missing:
        found = ('<p class="evidence-found">This claim has no figures, names or quotations to '
                 'look for; read the source beside it.</p>')
    note = (f'<p class="note">The first {MAX_TEXT_CHARS:,} characters are shown; the archived '
            'copy has the whole page.</p>' if cut else "")
    body = marked_text(shown, spans, f"ev-first-{claim.ordinal}-{number}") if shown else (
        '<span class="evidence-none">No text could be extracted from this snapshot.</span>')
    return f'{head}{found}{missing}{note}<div class="source-text">{body}</div>'


def source_text_view(model_admin, request, story_id: int, ordinal: int, number: int):
    """A claim's cited source text with its figures, names and quotations marked."""
    story = screen_story(request, story_id, "review")
    revision = story.latest_revision
    if revision is None:
        raise Http404("This story has no revision yet.")
    claim = revision.claims.filter(ordinal=ordinal).first()
    if claim is None:
        raise Http404("This revision has no such claim.")
    fragment = _fragment(story, revision, claim, number)
    if request.GET.get("fragment") == "1":
        response = HttpResponse(fragment, content_type="text/html; charset=utf-8")
        response["Cache-Control"] = "private, no-store"
        return response
    context = screen_context(
        model_admin, request, story, f"Claim {ordinal} in source {number}", claim=claim,
        fragment=mark_safe(fragment))  # noqa: S308  # nosec B308 B703 - every value escaped above
    return TemplateResponse(request, TEMPLATES + "source_text.html", context)
