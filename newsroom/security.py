"""Security plumbing: the login-lockout audit handler, the admin's sign-in form and a guard
against NUL in addresses."""

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.validators import MaxLengthValidator
from django.http import JsonResponse
from django.shortcuts import render

from audit.services import audit_record


def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Record django-axes refusing a locked-out username and address: the lockout's first
    refusal as login.locked_out; later ones are counted (axes counts them), and written as one
    login.locked_out.repeated event with the count when it reaches 10, 100, 1,000…, so a flood
    of attempts adds a handful of permanent rows to the audit trail, not one each."""
    username = (username or "").replace("\x00", "")[:150]
    ip = ip_address or ""
    count = _count_refusal(username, ip)
    if count is None or count == 1:
        audit_record(action="login.locked_out", details={"username": username, "ip": ip})
    elif _power_of_ten(count):
        audit_record(action="login.locked_out.repeated",
                     details={"username": username, "ip": ip, "count": count})


def _power_of_ten(number: int) -> bool:
    while number >= 10 and number % 10 == 0:
        number //= 10
    return number == 1


def _count_refusal(username: str, ip: str) -> int | None:
    """This refusal's number within the current lockout, from django-axes' own failure count
    (which goes on counting refused attempts); None if axes keeps no such record."""
    from axes.models import AccessAttempt

    failures = (AccessAttempt.objects.filter(username=username, ip_address=ip or None)
                .order_by("-id").values_list("failures_since_start", flat=True).first())
    if failures is None:
        return None
    return max(1, failures - int(settings.AXES_FAILURE_LIMIT) + 1)


class LoginForm(AdminAuthenticationForm):
    """The admin's sign-in form; a username longer than any account's is refused as such.

    Django's form advertises the length (maxlength) without checking it, and django-axes stores
    the name of every failed sign-in in a 255-character column: on PostgreSQL a longer one
    ended the request in a 500.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


def csrf_failure(request, reason=""):
    """CSRF_FAILURE_VIEW: the site's page (403_csrf.html) saying why a form was refused. Django's
    own view renders a custom template without its reasons, so the page could not tell a
    reader with cookies blocked from one whose form had expired."""
    from django.middleware.csrf import REASON_NO_CSRF_COOKIE, REASON_NO_REFERER

    return render(request, "403_csrf.html", {"no_cookie": reason == REASON_NO_CSRF_COOKIE,
                                             "no_referer": reason == REASON_NO_REFERER},
                  status=403)


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
            # The site's page, saying why: never a bare text answer in a reader's browser.
            return render(request, "400.html", {"reason": NUL_MESSAGE}, status=400)
        return self.get_response(request)
