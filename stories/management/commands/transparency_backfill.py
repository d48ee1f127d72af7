from django.core.management.base import BaseCommand

from stories import services


class Command(BaseCommand):
    help = ("Append transparency log entries for every version readers have seen of stories "
            "published before the log existed (run once after upgrading; safe to repeat).")

    def handle(self, *args, **options):
        count = services.transparency_backfill()
        self.stdout.write(self.style.SUCCESS(
            f"{count} entr{'y' if count == 1 else 'ies'} appended to the transparency log."))
