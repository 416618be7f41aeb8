"""`flask --app aiplan evidence check [--repair]`: does the evidence store agree with the database?"""

import sys

import click
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..models import EvidenceFile
from ..storage import StoreUnavailable
from .blueprint import bp
from .integrity import compare_store, repair_store


@bp.cli.command("check")
@click.option("--quick", is_flag=True, help="Do not re-read every blob to verify its SHA-256.")
@click.option(
    "--temp-age",
    default=60,
    show_default=True,
    type=click.IntRange(min=0),
    help="Minutes after which a temporary file, or a blob that no row names, counts as left over; "
    "younger ones may be uploads in progress. Use 0 only while the app is stopped.",
)
@click.option(
    "--repair",
    is_flag=True,
    help="First finish or clean up what a crash left: put back a row's missing blob from a "
    "leftover temporary file with the same SHA-256, remove left-over temporary files and "
    "blobs that no row names. Rows are never deleted.",
)
def check(quick: bool, temp_age: int, repair: bool):
    """Compare the evidence store with the database and report what does not agree.

    Reports blobs that no row refers to, rows (deleted ones included) whose blob is missing,
    blobs whose bytes no longer match their SHA-256, leftover temporary files of failed
    uploads, and unexpected files in the store. Changes nothing unless --repair is given.
    Exits with status 1 when anything is wrong (after the repair, with --repair), 0 when the
    store and the database agree.
    """
    try:
        if repair:
            _report_repair(repair_store(temp_age * 60), temp_age)
        found = compare_store(quick=quick, temp_age_seconds=temp_age * 60)
    except StoreUnavailable as error:
        click.echo(f"Không đọc được kho minh chứng: {error}", err=True)
        sys.exit(1)
    click.echo(f"Kho minh chứng: {getattr(found.storage, 'root', found.storage)}")
    click.echo(f"  {found.blob_count} tệp lưu trữ, {found.row_count} dòng dữ liệu tệp minh chứng.")
    sections = [
        ("Tệp lưu trữ không có dòng dữ liệu nào", found.orphans),
        ("Dòng dữ liệu mất tệp lưu trữ", _missing_lines(found.missing)),
        ("Tệp lưu trữ hỏng (nội dung không khớp SHA-256)", found.damaged),
        (f"Tệp tạm còn sót (cũ hơn {temp_age} phút)", [str(path) for path in found.temps]),
        ("Tệp lạ trong kho", found.strays),
    ]
    problems = 0
    for title, lines in sections:
        if lines:
            problems += len(lines)
            click.echo(f"{title} ({len(lines)}):")
            for line in lines:
                click.echo(f"  {line}")
    if quick:
        click.echo("(Bỏ qua kiểm tra SHA-256 của từng tệp: --quick.)")
    if found.missing:
        click.echo(
            "Các dòng mất tệp vẫn hiện trong danh mục việc, ghi «Mất nội dung tệp — cần tải lên lại»: "
            "hãy báo trường tải lên lại tệp đó (hoặc khôi phục từ bản sao lưu)."
        )
    if problems:
        if not repair and (found.orphans or found.temps or found.missing):
            click.echo("Chạy lại với --repair để dọn tệp sót và lấy lại tệp mất từ tệp tạm nếu còn.")
        click.echo(f"Có {problems} vấn đề cần xem xét.", err=True)
        sys.exit(1)
    click.echo("Kho minh chứng khớp với cơ sở dữ liệu.")


def _report_repair(done, temp_age: int) -> None:
    click.echo("Sửa chữa kho minh chứng:")
    for file_id, sha256, name in done.recovered:
        click.echo(f"  Đã lấy lại tệp của dòng #{file_id} {name} ({sha256}) từ tệp tạm còn sót.")
    if done.temps_removed:
        click.echo(f"  Đã xóa {len(done.temps_removed)} tệp tạm còn sót (cũ hơn {temp_age} phút):")
        for path in done.temps_removed:
            click.echo(f"    {path}")
    if done.blobs_removed:
        click.echo(
            f"  Đã xóa {len(done.blobs_removed)} tệp lưu trữ không có dòng dữ liệu nào (cũ hơn {temp_age} phút):"
        )
        for sha256 in done.blobs_removed:
            click.echo(f"    {sha256}")
    if not (done.recovered or done.temps_removed or done.blobs_removed):
        click.echo("  Không có gì cần sửa.")


def _missing_lines(missing: list[tuple[int, str, str]]) -> list[str]:
    """ "#268 ke-hoach.pdf (sha) — TH Đoàn Kết": which row, and which school to tell."""
    if not missing:
        return []
    schools = {
        file.id: file.school.name if file.school else f"{file.owner.plan.ward.name} (hồ sơ của phường)"
        for file in db.session.scalars(
            select(EvidenceFile)
            .where(EvidenceFile.id.in_([file_id for file_id, _, _ in missing]))
            .options(joinedload(EvidenceFile.school))
        )
    }
    return [f"#{file_id} {name} ({sha256}) — {schools.get(file_id, '')}" for file_id, sha256, name in missing]
