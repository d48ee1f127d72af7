"""How long browsers and shared caches may keep a public answer (Cache-Control and Vary).

Every public view is wrapped in ``public_page``, outermost, so that a 304 from Django's
``condition``/``conditional_page`` inside it says so too. The edge cache in front
(deploy/varnish) keeps anonymous answers for ``s-maxage`` and is purged on commit when a page
changes (stories.frontend_cache).
"""

from functools import wraps

from django.conf import settings
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.views.decorators.http import conditional_page, require_safe


def cache_headers(request, response):
    """Anonymous answers may be kept by shared caches for NEWSROOM_PAGE_CACHE_SECONDS (and
    served stale while one revalidates); browsers revalidate every time (max-age=0, then a
    cheap 304). A signed-in reader's answer is private. 0 seconds turns shared caching off."""
    seconds = settings.NEWSROOM_PAGE_CACHE_SECONDS
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        patch_cache_control(response, private=True, no_cache=True)
    elif seconds > 0:
        patch_cache_control(response, public=True, max_age=0, s_maxage=seconds,
                            stale_while_revalidate=settings.NEWSROOM_PAGE_STALE_SECONDS)
    else:
        patch_cache_control(response, no_cache=True)
    # The answer depends on who asks (the session cookie); a compressing proxy may encode it.
    patch_vary_headers(response, ("Cookie", "Accept-Encoding"))
    return response


def public_page(view):
    """Cache-Control and Vary for a public page (see cache_headers)."""
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        return cache_headers(request, view(request, *args, **kwargs))
    return wrapped


def digest_validated_page(view):
    """A public page (GET and HEAD only) with no cheap ETag of its own: validated by a digest
    of the rendered answer (Django's conditional_page), inside public_page so that a 304
    repeats Cache-Control and Vary."""
    return require_safe(public_page(conditional_page(view)))
