from django.core.management.base import BaseCommand, CommandError

from audit.services import audit_verify


class Command(BaseCommand):
    help = ("Walk the audit chain, checking each event's link, hash and MAC against the signed "
            "checkpoints; exit non-zero naming what was altered or removed.")

    def add_arguments(self, parser):
        parser.add_argument("--require-checkpoint", action="store_true",
                            help="Fail when no signed checkpoint exists yet (production checks).")

    def handle(self, *args, **options):
        report = audit_verify()
        if not report.intact:
            raise CommandError(report.failure)
        if options["require_checkpoint"] and report.checkpoint is None:
            raise CommandError("Audit trail not checked against a checkpoint: the checkpoint "
                               "log has none (run manage.py audit_checkpoint).")
        message = f"Audit chain intact: {report.checked} events checked"
        if report.checkpoint is not None:
            latest = report.checkpoint
            newer = "1 event is" if report.newer == 1 else f"{report.newer} events are"
            message += (f"; the latest of {report.checkpoints} signed checkpoints "
                        f"({latest.at}) covers {latest.count}, {newer} newer than it")
        self.stdout.write(self.style.SUCCESS(message + "."))
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
