"""The signed link in every mail that turns the account's mail off without signing in.

itsdangerous with a salt of its own, so that no other signed value of the app (the session, a CSRF
token) can be passed off as one. The token names the account and does not expire: a mail read
weeks later must still work, and all it can do is stop mail to that account.
"""

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "aiplan.mail.unsubscribe"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def unsubscribe_token(user_id: int) -> str:
    return _serializer().dumps({"u": user_id})


def read_unsubscribe_token(token: str) -> int | None:
    """The account the token names, or None when it is not one the app signed (bad, tampered)."""
    try:
        data = _serializer().loads(token)
    except BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) and not isinstance(user_id, bool) else None


def app_path(endpoint: str, **values) -> str:
    """A route's path, outside any request (the command line, the worker): AIPLAN_BASE_URL + this."""
    adapter = current_app.url_map.bind("aiplan.invalid")
    return adapter.build(endpoint, values)
