"""
WSGI config for newsroom project.

It exposes the WSGI callable as a module-level variable named ``application``.

For more information on this file, see
https://docs.djangoproject.com/en/5.2/howto/deployment/wsgi/
"""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'newsroom.settings')

application = get_wsgi_application()

# What the app loaded to start (modules, models, settings: never garbage) is moved out of the
# collector's sight, so a full collection walks only what requests made: 10-20 ms instead of
# 100-150 ms in a worker this size, a pause any request may land on (docs/performance.md).
# The URLconf first: it imports every view, serializer and admin class, which Django would
# otherwise load on the first request, after the freeze (30,000 more objects walked each time).
get_resolver().url_patterns  # noqa: B018 - loaded for its imports
gc.freeze()
