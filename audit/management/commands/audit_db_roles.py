from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from audit import db_roles


class Command(BaseCommand):
    help = ("PostgreSQL: print (or, with --execute, run as a superuser) the SQL that creates the "
            "owner role, which owns the tables and runs migrations, and the app role, which may "
            "only SELECT and INSERT audit events. --check reports what does not hold.")

    def add_arguments(self, parser):
        parser.add_argument("--owner", default="newsroom_owner", help="The owner role's name.")
        parser.add_argument("--app", default="newsroom_app", help="The app role's name.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--execute", action="store_true",
                          help="Run the statements (as a superuser) instead of printing them.")
        mode.add_argument("--check", action="store_true",
                          help="Exit non-zero if the roles or their privileges are not right.")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, owner, app, execute, check, database, **options):
        try:
            statements = db_roles.setup_statements(owner, app)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if not (execute or check):
            self.stdout.write(db_roles.script(owner, app), ending="")
            return
        connection = connections[database]
        if connection.vendor != "postgresql":
            raise CommandError("Database roles are a PostgreSQL matter: DATABASE_URL is "
                               f"{connection.vendor}.")
        if execute:
            with transaction.atomic(using=database), connection.cursor() as cursor:
                for _why, sql in statements:
                    cursor.execute(sql)
            self.stdout.write(self.style.SUCCESS(
                f"Roles {owner} (owner) and {app} (app: audit trail and transparency log read "
                f"and append only) are set up in database {connection.settings_dict['NAME']}."))
            return
        problems = []
        with connection.cursor() as cursor:
            params = db_roles.check_params(owner, app)
            for item in db_roles.checks():
                cursor.execute(item.sql, params)
                rows = [str(row[0]) for row in cursor.fetchall()]
                if rows:
                    problems.append(f"{item.problem}: {', '.join(rows)}")
        if problems:
            raise CommandError("Database roles are not right:\n- " + "\n- ".join(problems)
                               + "\nRun manage.py audit_db_roles --execute as a superuser.")
        self.stdout.write(self.style.SUCCESS(
            f"Database roles are right: {app} may only read and append to the audit trail "
            f"and the transparency log; {owner} owns them."))
