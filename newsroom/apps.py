from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    """The project package as an app: its templates and its security signal handlers."""

    name = "newsroom"
    verbose_name = "Newsroom"

    def ready(self):
        from django.conf import settings
        from django.contrib import admin

        from . import security

        security.connect()
        admin.site.login_form = security.LoginForm
        # The admin says whose desk it is, not "Django administration".
        admin.site.site_header = f"{settings.NEWSROOM_SITE_NAME} desk"
        admin.site.site_title = f"{settings.NEWSROOM_SITE_NAME} desk"
        admin.site.index_title = "Your desk"
