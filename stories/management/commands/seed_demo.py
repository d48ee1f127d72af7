from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction

from sources.models import Source
from sources.services import source_create
from stories import demo, services
from stories.models import Story
from stories.services import CheckInput

# Demo logins are printed for people trying the project locally; never used in production.
PASSWORD_SUFFIX = "-demo-pass-2026"  # noqa: S105  # nosec B105


class Command(BaseCommand):
    help = "Create demo users, library sources and three stories in different states (idempotent)."

    def handle(self, *args, **options):
        users = self._users()
        self._sources(users["writer"])
        self._stories(users)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Log in at http://127.0.0.1:8000/admin/"))
        for username, *_ in demo.USERS:
            self.stdout.write(f"  {username:<10} password: {username}{PASSWORD_SUFFIX}")

    def _users(self):
        User = get_user_model()
        users = {}
        for username, first, last, group, superuser in demo.USERS:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={"first_name": first, "last_name": last, "is_staff": True,
                          "is_superuser": superuser, "email": f"{username}@newsroom.example.org"},
            )
            if created:
                user.set_password(f"{username}{PASSWORD_SUFFIX}")
                user.save()
            user.groups.add(Group.objects.get(name=group))
            users[username] = user
        return users

    def _sources(self, writer):
        for fields in demo.SOURCES:
            if Source.objects.filter(key=fields["key"]).exists():
                continue
            fields = dict(fields)
            if fields.get("published_on"):
                fields["published_on"] = date.fromisoformat(fields["published_on"])
            source_create(user=writer, **fields)

    @transaction.atomic
    def _stories(self, users):
        writer, reviewer, editor = users["writer"], users["reviewer"], users["editor"]
        if not Story.objects.filter(slug="eastmere-electric-cranes").exists():
            story = services.story_create(author=writer, title=demo.CRANES_TITLE,
                                          dek=demo.CRANES_DEK, body=demo.CRANES_BODY,
                                          slug="eastmere-electric-cranes")
            self._publish(story, writer, reviewer, editor)
        if not Story.objects.filter(slug="night-ferry-returns").exists():
            story = services.story_create(author=writer, title=demo.FERRY_TITLE,
                                          dek=demo.FERRY_DEK, body=demo.FERRY_BODY,
                                          slug="night-ferry-returns")
            services.story_submit(story_id=story.pk, user=writer)
        if not Story.objects.filter(slug="seawall-survey").exists():
            services.story_create(author=writer, title=demo.SEAWALL_TITLE, dek=demo.SEAWALL_DEK,
                                  body=demo.SEAWALL_BODY, slug="seawall-survey")

    def _publish(self, story, writer, reviewer, editor):
        services.story_submit(story_id=story.pk, user=writer)
        claims = Story.objects.get(pk=story.pk).latest_revision.claims.all()
        services.review_submit(
            story_id=story.pk, base_revision=story.latest_revision.content_hash,
            reviewer=reviewer, decision="approve",
            comment="Checked every figure against the documents.",
            checks=[CheckInput(claim=c.ordinal, verdict="supported") for c in claims],
        )
        services.story_publish(story_id=story.pk, revision=story.latest_revision.content_hash,
                               user=editor)
