import json

import pytest
from django.core.management import CommandError, call_command

from sources.models import Source
from tests.factories import SourceFactory
from tests.sources.test_csl import BIB, CSL


@pytest.fixture
def csl_file(tmp_path):
    path = tmp_path / "library.json"
    path.write_text(json.dumps(CSL), encoding="utf-8")
    return path


@pytest.fixture
def bib_file(tmp_path):
    path = tmp_path / "library.bib"
    path.write_text(BIB, encoding="utf-8")
    return path


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("import_sources", *map(str, args), stdout=out)
    return out.getvalue()


def test_import_csl_json_adds_sources_and_reports(csl_file, writer):
    output = run(csl_file, "--user", "writer")
    assert set(Source.objects.values_list("key", flat=True)) == {"ABC123", "stats2023", "call"}
    port = Source.objects.get(key="ABC123")
    assert (port.outlet, port.added_by) == ("Harbour Times", writer)
    assert "3 added" in output
    assert "0 updated" in output
    assert "2 skipped" in output
    assert "no title" in output
    assert "[5/5]" in output


def test_import_bibtex_adds_sources(bib_file, writer):
    output = run(bib_file, "--user", "writer")
    assert set(Source.objects.values_list("key", flat=True)) == {"reuters-wu", "bbg:capex",
                                                                 "imf_2024"}
    assert Source.objects.get(key="imf_2024").kind == "press_release"
    assert "1 skipped" in output


def test_import_dry_run_changes_nothing(csl_file, writer):
    output = run(csl_file, "--user", "writer", "--dry-run")
    assert not Source.objects.exists()
    assert "3 would be added" in output
    assert "dry run" in output


def test_import_updates_a_source_with_the_same_url(csl_file, writer):
    existing = SourceFactory(key="port-record", url="https://port.example.org/news/1",
                             title="Old title", outlet="")
    output = run(csl_file, "--user", "writer")
    existing.refresh_from_db()
    assert existing.key == "port-record"  # the key stories cite stands
    assert (existing.title, existing.outlet) == ("Port traffic hits record", "Harbour Times")
    assert "1 updated" in output


def test_import_twice_skips_unchanged(csl_file, writer):
    run(csl_file, "--user", "writer")
    output = run(csl_file, "--user", "writer")
    assert "0 added" in output
    assert "unchanged" in output


def test_import_skips_invalid_with_the_reason(tmp_path, writer):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([{"id": "bad", "title": "Bad link", "URL": "ftp://x.org/f"}]))
    output = run(path, "--user", "writer")
    assert "1 skipped" in output
    assert "url:" in output
    assert not Source.objects.exists()


def test_import_refuses_a_reader(csl_file, db):
    from tests.factories import UserFactory

    UserFactory(username="reader")
    with pytest.raises(CommandError, match="may not import"):
        run(csl_file, "--user", "reader")


def test_import_reports_an_unreadable_file(tmp_path, writer):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(CommandError, match="not valid"):
        run(path, "--user", "writer")


def test_import_reports_json_nested_too_deeply_as_unreadable(tmp_path, writer):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000)
    with pytest.raises(CommandError, match="not valid"):
        run(path, "--user", "writer")


def test_import_drops_nul_characters_the_database_cannot_keep(tmp_path, writer):
    path = tmp_path / "nul.json"
    path.write_text(json.dumps([{"id": "nul", "title": "Port\u0000 report", "URL":
                                 "https://x.org/a", "author": [{"literal": "Ana\u0000"}],
                                 "container-title": "Wire\u0000", "abstract": "A\u0000b"}]))
    output = run(path, "--user", "writer")
    assert "1 added" in output
    source = Source.objects.get(key="nul")
    assert (source.title, source.author, source.outlet) == ("Port report", "Ana", "Wire")
    bib = tmp_path / "nul.bib"
    bib.write_text("@misc{bibnul, title = {Bib\u0000 title}, author = {Ana\u0000 Smith},"
                   " url = {https://x.org/b}}")
    assert "1 added" in run(bib, "--user", "writer")
    assert Source.objects.get(key="bibnul").title == "Bib title"
