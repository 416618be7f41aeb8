"""The user guide (hướng dẫn sử dụng): one page per role, its DOCX, the FAQ, and the "?" beside each
page's title that leads to the section about that page."""

from flask import Blueprint, abort, render_template, request, send_file, url_for
from flask_login import current_user

from ..access import login_required_any
from . import content
from .paper import guide_docx

bp = Blueprint("guide", __name__)
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _guide_or_404(slug: str) -> content.Guide:
    guide = content.guides().get(slug)
    if guide is None:
        abort(404)
    return guide


@bp.get("/huong-dan")
@login_required_any
def index():
    """The reader's own guide; the others are one link away."""
    return _render(content.guide_for_role(current_user.role.value))


@bp.get("/huong-dan/<slug>")
@login_required_any
def role(slug):
    """One role's guide; every signed-in account may read every role's."""
    return _render(_guide_or_404(slug))


@bp.get("/huong-dan/<slug>.docx")
@login_required_any
def docx(slug):
    """The guide on paper: A4, the house's style, the screenshots in it."""
    guide = _guide_or_404(slug)
    return send_file(
        guide_docx(guide, content.questions()),
        mimetype=DOCX,
        as_attachment=True,
        download_name=f"huong-dan-{guide.slug}.docx",
    )


@bp.get("/huong-dan/cau-hoi-thuong-gap")
@login_required_any
def faq():
    """Short answers to the questions every role asks."""
    return render_template(
        "guide/faq.html", questions=content.questions(), guides=content.in_reading_order(current_user.role.value)
    )


def _render(guide: content.Guide):
    return render_template(
        "guide/guide.html",
        guide=guide,
        guides=content.in_reading_order(current_user.role.value),
        own=content.guide_for_role(current_user.role.value),
    )


@bp.app_template_global()
def guide_link_for_page() -> str | None:
    """The address of the guide's section about the page being shown, for the "?" beside its title;
    None when no guide explains it (or nobody is signed in)."""
    if not current_user.is_authenticated:
        return None
    found = content.section_for(request.endpoint, current_user.role.value)
    if found is None:  # the guide's own pages among them: no task lists them
        return None
    slug, task_id = found
    return url_for("guide.role", slug=slug, _anchor=task_id)
