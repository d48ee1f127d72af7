import gc
import importlib
import sys


def test_the_wsgi_app_keeps_what_it_loaded_out_of_full_collections():
    """A full collection in a web worker walks only what requests made, not the objects the
    app loaded to start (a 120 ms pause on some request, every so often, otherwise)."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    sys.modules.pop("newsroom.wsgi", None)
    try:
        importlib.import_module("newsroom.wsgi")
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_the_views_the_first_request_would_load_are_frozen_with_the_app():
    """The URLconf imports every view, serializer and admin class; loaded after the freeze (on
    the first request), they would be walked by every full collection for the worker's life."""
    import os
    import subprocess

    script = ("import gc, newsroom.wsgi\n"
              "from stories.api import views\n"
              "walked = {id(o) for o in gc.get_objects()}\n"
              "print(id(views.StoryViewSet.get_queryset) in walked, gc.get_freeze_count() > 0)\n")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "newsroom.settings"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, env=env).stdout.split()
    assert out == ["False", "True"]
