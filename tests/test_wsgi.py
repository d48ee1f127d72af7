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
