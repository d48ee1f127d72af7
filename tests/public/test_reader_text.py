"""Readers see rendered text with numbers, never citation markup: in the review trail's diff
and in search snippets."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.factories import SourceFactory, latest_hash
from tests.public.helpers import publish_story, republish

BODY = ("Exports rose 6% on Tuesday [@customs; @wire, p. 2]. The terminal handled more "
        "grain than ever [@wire].\n\nCranes were delivered in May [@customs].")


@pytest.fixture
def story(writer, reviewer, editor):
    cache.clear()
    sources = [SourceFactory(key="customs", title="Customs bulletin"),
               SourceFactory(key="wire", title="Wire report")]
    return publish_story(writer, reviewer, editor, body=BODY, sources=sources)


def test_the_review_trail_diff_reads_as_the_page_does(client, story, writer, reviewer, editor):
    SourceFactory(key="port", title="Port statistics")
    republish(story, writer, reviewer, editor, base_revision=latest_hash(story),
              body=BODY.replace("6%", "6.5%") + " Ships waited [@port].")
    html = client.get(reverse("story-history", args=[story.slug])).content.decode()
    diff = html[html.index("<h4>Text</h4>"):]
    assert "[@" not in html
    assert "<del>6%</del>" in diff and "<ins>6.5%</ins>" in diff
    assert "[1, 2]" in diff and "[3]" in diff
    assert "Added source: Port statistics" in html


@pytest.mark.parametrize("query", ["Tuesday", "grain terminal"])
def test_search_snippets_quote_the_text_with_numbers_not_markup(client, story, query):
    html = client.get("/search/", {"q": query}).content.decode()
    marked = html[html.index('<p class="snippet">'):].split("</p>")[0]
    assert "<mark>" in marked
    snippet = marked.replace("<mark>", "").replace("</mark>", "")
    assert "[@" not in snippet and "customs;" not in snippet
    assert "[1, 2]. The terminal" in snippet and "than ever\u00a0[2]." in snippet
    assert " ." not in snippet
