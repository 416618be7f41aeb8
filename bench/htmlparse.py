"""Reading what a virtual user needs out of the app's HTML, as the browser would find it.

The CSRF token comes from <body hx-headers> (or a csrf_token input); items, their versions,
statuses and form actions from templates/checklists/_item.html and inspections/_item.html.
"""

import html
import json
import re

HX_HEADERS = re.compile(r"""hx-headers='([^']*)'""")
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')
ITEM_START = re.compile(r'<li class="item[^"]*" id="item-(\d+)"')
VERDICT_START = re.compile(r'<li class="item verdict-item" id="verdict-(\d+)"')
VERSION = re.compile(r'name="version" value="(\d+)"')
PRESSED = re.compile(r'name="(?:status|verdict)" value="([a-z_]+)"[^>]*aria-pressed="true"')
ACTION = re.compile(
    r'<form[^>]*class="(item-status|evidence-upload|verdict-form)"[^>]*action="([^"]+)"'
    r'|<form[^>]*action="([^"]+)"[^>]*class="(item-status|evidence-upload|verdict-form)"'
)
VISIT_LINK = re.compile(r'href="/inspections/(\d+)"')


def csrf_token(page: str) -> str | None:
    match = HX_HEADERS.search(page)
    if match:
        token = json.loads(html.unescape(match.group(1))).get("X-CSRFToken")
        if token:
            return token
    match = CSRF_INPUT.search(page)
    return html.unescape(match.group(1) or match.group(2)) if match else None


def _blocks(page: str, start: re.Pattern) -> list[tuple[int, str]]:
    """(id, the HTML from this item's start to the next item's) for every item on the page."""
    found = list(start.finditer(page))
    return [
        (int(m.group(1)), page[m.start() : found[i + 1].start() if i + 1 < len(found) else len(page)])
        for i, m in enumerate(found)
    ]


def _forms(block: str) -> dict[str, str]:
    forms = {}
    for match in ACTION.finditer(block):
        kind, action = (match.group(1), match.group(2)) if match.group(1) else (match.group(4), match.group(3))
        forms.setdefault(kind, html.unescape(action))
    return forms


def checklist_items(page: str) -> list[dict]:
    """Every item the school's staff can change: id, kind, version, status, form actions."""
    items = []
    for item_id, block in _blocks(page, ITEM_START):
        version = VERSION.search(block)
        if version is None:
            continue  # read-only for this user
        forms = _forms(block)
        pressed = PRESSED.search(block)
        kind = (
            "milestone"
            if 'class="item-no"' in block.split("</p>", 1)[0]
            else "evidence"
            if "item-status" in forms
            else "target"
        )
        items.append(
            {
                "id": item_id,
                "kind": kind,
                "version": int(version.group(1)),
                "status": pressed.group(1) if pressed else None,
                "status_action": forms.get("item-status"),
                "upload_action": forms.get("evidence-upload"),
            }
        )
    return items


def verdict_items(page: str) -> list[dict]:
    """Every item of an inspection a supervisor can give a verdict on."""
    items = []
    for item_id, block in _blocks(page, VERDICT_START):
        version, forms = VERSION.search(block), _forms(block)
        if version is None or "verdict-form" not in forms:
            continue
        pressed = PRESSED.search(block)
        items.append(
            {
                "id": item_id,
                "version": int(version.group(1)),
                "action": forms["verdict-form"],
                "verdict": pressed.group(1) if pressed else "chua_kiem_tra",
            }
        )
    return items


def version_after(page: str, anchor: str) -> int | None:
    """The version an updated item now has, from the fragment the app sent back."""
    at = page.find(f'id="{anchor}"')
    if at < 0:
        return None
    match = VERSION.search(page, at)
    return int(match.group(1)) if match else None


def visit_ids(page: str) -> list[int]:
    return sorted({int(v) for v in VISIT_LINK.findall(page)})
