import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image as PILImage
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from stories.images import image_make_variants
from stories.models import Image, Story
from tests.factories import SourceFactory, make_story


def png(width, height):
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), (20, 90, 80)).save(buffer, "PNG")
    return SimpleUploadedFile("chart.png", buffer.getvalue(), content_type="image/png")


@pytest.fixture
def chart(writer):
    source = SourceFactory(key="benzinga-chart", url="https://charts.example.org/q3")
    image = Image.objects.create(file=png(2000, 1000), alt="Quarterly shipments",
                                 caption="Shipments by quarter", credit="Source: Example Wire",
                                 credit_source=source, width=2000, height=1000)
    image_make_variants(image=image)
    return image


def figure_of(story):
    return HTMLParser(story.latest_revision.html).css_first("figure")


def test_variants_are_made_for_phone_and_desktop_widths(chart):
    assert [w for w in (640, 1280) if f"-{w}w.jpg" in str(image_make_variants(image=chart))] == [
        640, 1280,
    ]


def test_a_placed_figure_offers_the_sized_variants(writer, chart):
    story = make_story(writer, body=f"![Quarterly shipments](image:{chart.pk})")
    srcset = figure_of(story).css_first("img").attributes["srcset"]
    assert "640w" in srcset and "1280w" in srcset and "2000w" in srcset


def test_a_placed_figure_shows_caption_and_credit_linked_to_its_source(writer, chart):
    figure = figure_of(make_story(writer, body=f"![Quarterly shipments](image:{chart.pk})"))
    assert figure.css_first(".caption").text() == "Shipments by quarter"
    credit = figure.css_first(".credit a")
    assert (credit.text(), credit.attributes["href"]) == (
        "Source: Example Wire", "https://charts.example.org/q3",
    )


def test_a_caption_leaving_a_direction_control_open_does_not_reverse_the_credit(writer, chart):
    # Caption and credit share the figure's caption line: an override the caption leaves open
    # would show the credit backwards. Dropped as a title's is; a closed one stays.
    Image.objects.filter(pk=chart.pk).update(caption="Shipments \u202eby quarter",
                                             credit="Source: \u202bالميناء\u202c")
    figure = figure_of(make_story(writer, body=f"![Quarterly shipments](image:{chart.pk})"))
    assert figure.css_first(".caption").text() == "Shipments by quarter"
    assert figure.css_first(".credit").text() == "Source: \u202bالميناء\u202c"


def test_a_small_image_gets_no_variants(writer):
    image = Image.objects.create(file=png(500, 300), alt="Small", width=500, height=300)
    assert image_make_variants(image=image) == []


def test_an_unknown_image_id_is_an_error_with_line_and_column(writer):
    story = make_story(writer, body="Intro.\n\n![Missing](image:999)")
    assert [(e["code"], e["line"], e["column"]) for e in story.latest_revision.errors] == [
        ("unknown_image", 3, 1),
    ]


@pytest.mark.parametrize("image_id", ["\u00b2", "\u2460"])  # "²" and "①": isdigit(), not int()
def test_an_image_id_in_digits_python_cannot_count_is_an_unknown_image(writer, image_id):
    from tests.api.conftest import client_for

    response = client_for(writer).post("/api/v1/stories/", {
        "title": "Cranes", "body": f"Intro.\n\n![Missing](image:{image_id})"}, format="json")
    assert response.status_code == 201
    story = Story.objects.get(pk=response.json()["id"])
    assert [e["code"] for e in story.latest_revision.errors] == ["unknown_image"]
