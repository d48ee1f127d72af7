"""The session engine (SESSION_ENGINE): Django's database sessions, with one more check."""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore

_KEY_CHARS = frozenset(VALID_KEY_CHARS)


class SessionStore(DatabaseSessionStore):
    """A session cookie is looked up only if it could be a key Django made ([a-z0-9]).

    Cookie values may carry octal escapes ("\\000"), so a forged sessionid can hold a NUL:
    PostgreSQL refuses NUL in any text it compares, and every page that reads the session
    answered that reader 500. Such a cookie is no session, like any unknown key.
    """

    def _validate_session_key(self, key):
        return bool(super()._validate_session_key(key)) and _KEY_CHARS.issuperset(key)
