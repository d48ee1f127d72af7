"""Create the Writers, Reviewers and Editors groups with their model permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

WRITER = {
    "stories": ["add_story", "change_story", "view_story", "view_revision", "view_claim",
                "add_image", "change_image", "view_image", "view_correction"],
    "sources": ["add_source", "change_source", "view_source", "view_snapshot",
                "view_linkcheck"],
    "audit": ["view_event"],
}
REVIEWER = {
    "stories": WRITER["stories"] + ["add_review", "view_review", "add_claimcheck",
                                    "view_claimcheck", "view_assignment"],
    "sources": WRITER["sources"],
    "audit": ["view_event"],
}
EDITOR = {
    "stories": REVIEWER["stories"] + ["delete_story", "add_assignment", "change_assignment",
                                      "delete_assignment", "add_correction",
                                      "change_correction", "add_previewlink",
                                      "change_previewlink", "view_previewlink",
                                      "delete_image"],
    "sources": WRITER["sources"] + ["delete_source"],
    "audit": ["view_event"],
}
ROLES = {"Writers": WRITER, "Reviewers": REVIEWER, "Editors": EDITOR}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; roles need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, grants in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        for app_label, codenames in grants.items():
            perms = Permission.objects.filter(content_type__app_label=app_label,
                                              codename__in=codenames)
            group.permissions.add(*perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stories", "0001_initial"),
        ("sources", "0001_initial"),
        ("audit", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
