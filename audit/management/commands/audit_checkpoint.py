from django.core.management.base import BaseCommand, CommandError

from audit.services import ChainBroken, audit_checkpoint, checkpoint_path


class Command(BaseCommand):
    help = ("Verify the audit events since the last checkpoint, then append a signed checkpoint "
            "(event count and head hash) to AUDIT_CHECKPOINT_PATH. Celery beat runs this too.")

    def handle(self, *args, **options):
        try:
            result = audit_checkpoint()
        except ChainBroken as exc:
            raise CommandError(f"Not signed: {exc.report.failure}") from exc
        if options["verbosity"] < 1:
            return
        checkpoint = result.checkpoint
        head = f"#{checkpoint.head_id}" if checkpoint.head_id else "none"
        if result.written:
            self.stdout.write(self.style.SUCCESS(
                f"Checkpoint signed: {checkpoint.count} events, head {head} "
                f"({checkpoint.head_hash[:12]}…), appended to {checkpoint_path()}."))
        else:
            self.stdout.write(f"No new events since the checkpoint of {checkpoint.at} "
                              f"({checkpoint.count} events, head {head}): nothing written.")
