from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_verify


class Command(BaseCommand):
    help = "Walk the audit chain; exit non-zero naming the first event that was altered."

    def handle(self, *args, **options):
        report = audit_verify()
        if not report.intact:
            bad = report.first_bad
            raise CommandError(
                f"Audit chain broken at event #{bad.pk} ({bad.action}, {bad.at:%Y-%m-%d %H:%M:%S}):"
                f" {report.reason}. {report.checked} events before it are intact."
            )
        message = f"Audit chain intact: {report.checked} events checked."
        self.stdout.write(self.style.SUCCESS(message))
