from django.core.management.base import BaseCommand

from stories.services import publish_due


class Command(BaseCommand):
    help = "Publish every scheduled story whose publication time has come (once)."

    def handle(self, *args, **options):
        published = publish_due()
        noun = "story" if len(published) == 1 else "stories"
        self.stdout.write(f"Published {len(published)} scheduled {noun}.")
