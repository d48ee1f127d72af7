from django.apps import AppConfig


class StoriesConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'stories'

    def ready(self):
        # Sources sit below stories: the library learns who cites a source through this hook.
        from sources import citing

        from . import frontend_cache, review_selectors  # noqa: F401 - connects the edge purges

        citing.register(approval_times=review_selectors.source_approval_times,
                        cited_in=review_selectors.source_cited_in)
