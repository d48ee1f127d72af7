"""manage.py archive_snapshots: write a WARC for every snapshot kept before WARC capture."""

from django.core.management.base import BaseCommand

from sources import services
from sources.models import Snapshot


class Command(BaseCommand):
    help = ("Convert snapshots kept before WARC capture into WARC files (a resource record of "
            "the body as kept and a metadata record; their headers were never recorded). "
            "Safe to run again: converted snapshots are skipped.")

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=None,
                            help="convert at most this many snapshots in this run")

    def handle(self, *args, limit=None, **options):
        waiting = Snapshot.objects.good().filter(warc="").exclude(body="").count()
        converted = services.snapshots_convert_to_warc(limit=limit)
        left = Snapshot.objects.good().filter(warc="").exclude(body="").count()
        self.stdout.write(f"Converted {converted} of {waiting} snapshots to WARC; {left} left"
                          + (" (unreadable or over the size cap: see the log)." if left and
                             limit is None else "."))
