"""The phone audit behind tests/test_phone_pages.py: crawl what a person can reach by clicking,
measure each page in the browser, and check the served HTML with the Nu Html Checker.

Kept apart from the test so that the rules (what counts as a tap target, which links are
followed, which checker messages are htmx's) can be read, and tested, on their own.
"""

import json
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

from helpers import ROOT

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

HEADER_MAX = 120  # px: the site header, with the year bar when it sits outside it
CHECKLIST_MAX = 3500  # px: the whole page of a 9-item school's checklist
TARGET_MIN = 44  # px: WCAG 2.5.5 (AAA), which the issue asks for

# Links not followed: downloads, evidence files, and anything that is not a page to look at.
SKIPPED_PATH = re.compile(
    r"\.(docx|xlsx|csv|zip|json|toml|pdf|svg|png|jpe?g)$"  # downloads and files
    r"|^/files/\d+$"  # an evidence file
    r"|^/inspections/decisions/\d+/file$"  # a decision's scan
    r"|^/static/"
    r"|^/(logout|lang)$"  # POST-only; would end the session or switch the language
    r"|^/healthz$"
)
PER_PATTERN = 2  # pages of one shape (/schools/<slug>, /inspections/<id>) looked at per role
PER_ROLE = 32  # pages per role at most, so the file runs in a minute or two


def path_pattern(path: str) -> str:
    """The shape of a path: ids and the names after /schools/, /years/ and /admin/plan/ made
    placeholders, so that /schools/a and /schools/b count as one page."""
    parts = path.strip("/").split("/")
    shape = []
    for i, part in enumerate(parts):
        before = parts[i - 1] if i else ""
        if part.isdigit():
            shape.append("<n>")
        elif before in ("schools", "years", "plan"):
            shape.append("<x>")
        else:
            shape.append(part)
    return "/" + "/".join(shape)


def followable(href: str, origin: str) -> str | None:
    """The same-origin path (with its query) a link leads to, or None when it is not crawled."""
    if not href or href.startswith(("mailto:", "tel:", "javascript:")):
        return None
    url, _fragment = urldefrag(href)
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme and f"{parts.scheme}://{parts.netloc}" != origin:
        return None
    if SKIPPED_PATH.search(parts.path):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@dataclass
class Crawl:
    """Breadth-first from the landing page; at most PER_PATTERN pages per path shape and PER_ROLE
    pages in all. A query string makes no new shape (/rollup?khoi=… is /rollup)."""

    queue: list[str] = field(default_factory=lambda: ["/"])
    seen: set[str] = field(default_factory=set)
    shapes: dict[str, int] = field(default_factory=dict)

    def next(self) -> str | None:
        while self.queue and len(self.seen) < PER_ROLE:
            path = self.queue.pop(0)
            shape = path_pattern(urlsplit(path).path)
            if path in self.seen or self.shapes.get(shape, 0) >= PER_PATTERN:
                continue
            self.seen.add(path)
            self.shapes[shape] = self.shapes.get(shape, 0) + 1
            return path
        return None

    def arrived(self, path: str) -> bool:
        """A redirect landed on `path`: True when it is new (and now counted as seen)."""
        if path in self.seen:
            return False
        self.seen.add(path)
        return True

    def add(self, paths) -> None:
        self.queue.extend(p for p in paths if p not in self.seen)


# Run in the page: the numbers the test checks. Tap targets follow WCAG 2.5.5 with its inline
# exception; see the test's docstring for the rule in words.
MEASURE_JS = """([targetMin]) => {
  const doc = document.documentElement;
  const header = document.querySelector('header.site-header');
  let headerHeight = null;
  if (header) {
    const top = header.getBoundingClientRect().top;
    let bottom = header.getBoundingClientRect().bottom;
    for (const bar of document.querySelectorAll('.year-bar')) {
      if (!header.contains(bar)) bottom = Math.max(bottom, bar.getBoundingClientRect().bottom);
    }
    headerHeight = Math.round(bottom - top);
  }
  const shown = (el) => {
    if (!el.getClientRects().length) return false;  // display: none, or inside a closed <details>
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden') return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;  // .visually-hidden
    if (r.right <= 0) return false;  // parked off-screen until focused (the skip link)
    return true;
  };
  const blockOf = (el) => {
    let node = el.parentElement;
    while (node && getComputedStyle(node).display.startsWith('inline')) node = node.parentElement;
    return node;
  };
  const words = (text) => (text || '').replace(/\\s+/g, ' ').trim();
  const inlineInText = (a) => {
    if (getComputedStyle(a).display !== 'inline') return false;
    const block = blockOf(a);
    if (!block) return false;
    // other words in the same block than the links' own: the link sits in a sentence
    let rest = words(block.textContent);
    for (const link of block.querySelectorAll('a')) rest = rest.replace(words(link.textContent), '');
    return rest.replace(/[\\s.,;:·()–—-]/g, '').length > 0;
  };
  const labelBox = (input) => {
    const boxes = [input.getBoundingClientRect()];
    for (const label of input.labels || []) boxes.push(label.getBoundingClientRect());
    return boxes.reduce((a, b) => (a.width * a.height >= b.width * b.height ? a : b));
  };
  const describe = (el) => {
    const name = words(el.getAttribute('aria-label') || el.textContent || el.value || el.name || '');
    return el.tagName.toLowerCase() + (el.type && el.tagName !== 'A' ? `[${el.type}]` : '')
      + (name ? ` “${name.slice(0, 40)}”` : '');
  };
  const small = [];
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  for (const el of document.querySelectorAll(selector)) {
    if (!shown(el)) continue;
    if (el.tagName === 'A' && inlineInText(el)) continue;
    const box = (el.type === 'checkbox' || el.type === 'radio') ? labelBox(el) : el.getBoundingClientRect();
    if (box.width < targetMin - 0.5 || box.height < targetMin - 0.5) {
      small.push(`${describe(el)} ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return {
    height: doc.scrollHeight,
    header: headerHeight,
    scrollWidth: Math.max(doc.scrollWidth, document.body.scrollWidth),
    clientWidth: doc.clientWidth,
    small,
  };
}"""

AXE_JS = """async ([tags]) => {
  const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.length,
    first: v.nodes.slice(0, 2).map(n => n.target.join(' ')
      + (n.failureSummary ? ': ' + n.failureSummary.split('\\n').slice(1, 2).join('').trim() : '')),
  }));
}"""


def tools_missing() -> str | None:
    """Why the checks cannot run here (None when they can)."""
    if not AXE.exists() or not VNU.exists():
        return "node_modules is missing axe-core or vnu-jar (run `make test-tools`, i.e. npm ci)"
    if shutil.which("java") is None:
        return "java is not on PATH (the Nu Html Checker, vnu.jar, needs Java 11 or later)"
    return None


def nu_errors(files: list[Path], ignored: re.Pattern) -> list[tuple[Path, str]]:
    """Errors of the Nu Html Checker over all files, in one run of java, but those `ignored` matches."""
    done = subprocess.run(
        ["java", "-jar", str(VNU), "--format", "json", "--stdout", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if not done.stdout.strip():
        raise RuntimeError(f"vnu.jar gave no report (exit {done.returncode}): {done.stderr[-2000:]}")
    errors = []
    for message in json.loads(done.stdout)["messages"]:
        # "non-document-error": a file the checker could not read, which is not a pass either
        if message.get("type") not in ("error", "non-document-error") or ignored.match(message.get("message", "")):
            continue
        path = Path(urlsplit(message.get("url", "")).path) if message.get("url") else Path("?")
        line = message.get("lastLine", "?")
        errors.append((path, f"line {line}: {message['message']}"))
    return errors
