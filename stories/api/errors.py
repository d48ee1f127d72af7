"""API bodies for the workflow's own refusals."""

from stories.services import StaleRevision


def stale_body(exc: StaleRevision) -> dict:
    current = exc.current
    return {"detail": str(exc), "etag": f'"{current.content_hash}"',
            "revision": current.content_hash, "revision_number": current.number}
