"""Security plumbing: the login-lockout audit handler and a guard against NUL in addresses."""

from django.http import HttpResponseBadRequest, JsonResponse

from audit.services import audit_record


def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Record django-axes locking a username and address out after repeated failed logins."""
    username = (username or "").replace("\x00", "")[:150]
    audit_record(action="login.locked_out", details={"username": username, "ip": ip_address or ""})


def connect() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(audit_lockout, dispatch_uid="newsroom_audit_lockout")


NUL_MESSAGE = "The address contains a NUL character (%00); remove it and try again."


class RefuseNulMiddleware:
    """Answer 400 to a path or query string with a NUL in it.

    No page or endpoint has a use for one, and PostgreSQL refuses NUL in any text it is asked
    to compare, so such a request would otherwise end as a 500 wherever it reaches a query.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if "\x00" in request.path or "%00" in request.META.get("QUERY_STRING", "") or any(
            "\x00" in key or any("\x00" in v for v in values)
            for key, values in request.GET.lists()
        ):
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": NUL_MESSAGE}, status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain")
        return self.get_response(request)
