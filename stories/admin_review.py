"""The reviewer's screen and dashboards, mounted under the story admin."""


def review_urls(model_admin) -> list:
    """Extra admin URLs for reviewing a story (added to StoryAdmin.get_urls)."""
    return []
