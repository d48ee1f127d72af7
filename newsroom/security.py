"""Security signal handlers: a login lockout is an audit event like any refused action."""

from audit.services import audit_record


def audit_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> None:
    """Record django-axes locking a username and address out after repeated failed logins."""
    audit_record(action="login.locked_out",
                 details={"username": (username or "")[:150], "ip": ip_address or ""})


def connect() -> None:
    from axes.signals import user_locked_out

    user_locked_out.connect(audit_lockout, dispatch_uid="newsroom_audit_lockout")
