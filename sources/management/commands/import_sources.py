"""manage.py import_sources FILE: add or update library sources from CSL-JSON or BibTeX."""

from contextlib import nullcontext, suppress

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from audit.errors import ActionDenied
from sources import csl, services
from sources.models import Source, normalise_url

PROGRESS_EVERY = 25


class Command(BaseCommand):
    help = ("Import sources from a CSL-JSON (.json, e.g. a Zotero export) or BibTeX (.bib) "
            "file. Existing sources (same key, or same URL) are updated; nothing is deleted.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="path to a .json (CSL-JSON) or .bib (BibTeX) file")
        parser.add_argument("--dry-run", action="store_true",
                            help="report what would change, and change nothing")
        parser.add_argument("--user", help="username to record as the importer (a writer, "
                            "reviewer or editor; default: the first superuser)")

    def handle(self, *args, file, dry_run=False, user=None, **options):
        actor = self._user(user)
        try:
            with open(file, encoding="utf-8-sig") as handle:
                text = handle.read()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        try:
            items = csl.read_file(file, text)
        except ValueError as exc:  # json.JSONDecodeError and BibTeXError are ValueErrors
            raise CommandError(f"{file} is not valid CSL-JSON or BibTeX: {exc}") from exc
        report = {"added": [], "updated": [], "skipped": []}
        total = len(items)
        self.stdout.write(f"{'Checking' if dry_run else 'Importing'} {total} references "
                          f"from {file}{' (dry run: nothing will be saved)' if dry_run else ''}")
        # A dry run goes through the same services inside a transaction that is rolled back,
        # so it reports exactly what a real run would do, and queues no snapshot.
        with transaction.atomic() if dry_run else nullcontext():
            for done, item in enumerate(items, start=1):
                outcome, detail = self._import(item, actor)
                report[outcome].append((item.key or "?", detail))
                if done % PROGRESS_EVERY == 0 or done == total:
                    self.stdout.write(f"  [{done}/{total}] {len(report['added'])} added, "
                                      f"{len(report['updated'])} updated, "
                                      f"{len(report['skipped'])} skipped")
            if dry_run:
                transaction.set_rollback(True)
        self._report(report, dry_run)

    def _user(self, username):
        users = get_user_model().objects
        if username:
            found = users.filter(username=username).first()
            if found is None:
                raise CommandError(f"no user named {username!r}")
            return found
        found = users.filter(is_superuser=True, is_active=True).order_by("pk").first()
        if found is None:
            raise CommandError("no superuser to import as; pass --user USERNAME")
        return found

    def _existing(self, item: csl.SourceFields) -> Source | None:
        existing = Source.objects.filter(key__iexact=item.key).first()
        if existing is None and item.url:
            try:
                existing = Source.objects.filter(url=normalise_url(item.url)).first()
            except ValidationError:
                existing = None
        return existing

    def _import(self, item: csl.SourceFields, actor) -> tuple[str, str]:
        if item.problem:
            return "skipped", item.problem
        fields = item.as_fields()
        existing = self._existing(item)
        try:
            if existing is None:
                services.source_create(user=actor, **fields)
                return "added", item.title
            fields.pop("key")  # the library's key stands; stories may cite it
            with suppress(ValidationError):  # source_update reports a bad URL
                fields["url"] = normalise_url(fields["url"])
            changes = {name: value for name, value in fields.items()
                       if value not in ("", None) and getattr(existing, name) != value}
            if not changes:
                return "skipped", f"unchanged (already in the library as {existing.key})"
            services.source_update(source_id=existing.pk, user=actor, **changes)
            return "updated", f"{existing.key}: " + ", ".join(sorted(changes))
        except ActionDenied as exc:
            raise CommandError(f"{actor} may not import sources: {exc.reason}") from exc
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
            reason = "; ".join(f"{name}: {' '.join(errs)}" if name else " ".join(errs)
                               for name, errs in messages.items())
            return "skipped", reason

    def _report(self, report, dry_run):
        verb = "would be " if dry_run else ""
        for outcome in ("added", "updated", "skipped"):
            rows = report[outcome]
            self.stdout.write(f"{len(rows)} {verb}{outcome}")
            for key, detail in rows:
                self.stdout.write(f"  {key}: {detail}")
