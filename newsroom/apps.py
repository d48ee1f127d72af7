from django.apps import AppConfig


class NewsroomConfig(AppConfig):
    """The project package as an app: its templates and its security signal handlers."""

    name = "newsroom"
    verbose_name = "Newsroom"

    def ready(self):
        from . import security

        security.connect()
