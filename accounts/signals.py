"""Signals for the audit log: a token was issued or revoked.

Both are sent with ``sender=AuthToken, token=<the AuthToken>, request=<HttpRequest or None>``
(None from management commands), inside the transaction that wrote the token, so a listener that
writes an audit row commits or rolls back with it. Logins, failed logins and logouts are Django's
own ``user_logged_in``, ``user_login_failed`` and ``user_logged_out``; the token endpoint sends
them too.
"""

from django.dispatch import Signal

token_issued = Signal()
token_revoked = Signal()
