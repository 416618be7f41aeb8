"""Where a client may ask to be sent back to (`next=`): the one check every such redirect uses."""

import re
from urllib.parse import urlsplit

# C0 controls, DEL and C1 controls. A newline in a Location header is refused by Werkzeug with a
# 500 (header injection); browsers silently drop tabs and newlines, so "/\t/evil.example" would
# become "//evil.example", another host.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path inside this app, else None (the caller then uses its default page).

    Refused: control characters, backslashes (browsers read them as `/`), `//` (another host),
    any scheme or host, and anything not starting with `/`."""
    if not target or not isinstance(target, str) or _CONTROL.search(target):
        return None
    target = target.strip(" ")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
