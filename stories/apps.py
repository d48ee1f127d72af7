from django.apps import AppConfig


class StoriesConfig(AppConfig):
    default_auto_field = 'django.db.models.BigAutoField'
    name = 'stories'

    def ready(self):
        # Sources sit below stories: the library learns who cites a source through this hook.
        from audit import keeping
        from sources import citing

        # Importing connects the edge purges (and a rename's new generation of today's top
        # stories) and the inbox's e-mails to the audit events.
        from . import frontend_cache, inbox, review_selectors, selectors  # noqa: F401

        citing.register(approval_times=review_selectors.source_approval_times,
                        cited_in=review_selectors.source_cited_in,
                        is_public=selectors.source_is_public)
        # People on a byline are deactivated, not deleted (the admin says why).
        keeping.register(selectors.byline_holders)
