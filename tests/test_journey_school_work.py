"""The daily work of a school in a real Chromium: ticking, evidence, a pilot class; and without JavaScript."""

import re
from pathlib import Path

import pytest
from helpers import SCHOOL_A, browser_login, open_item
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def item(page, title: str):
    return page.locator("li.item").filter(has=page.locator(".item-title", has_text=title))


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    pdf, png = tmp_path / "Kế hoạch nhà trường.pdf", tmp_path / "Ảnh giờ học.png"
    pdf.write_bytes(PDF)
    png.write_bytes(PNG)
    return {"pdf": pdf, "png": png}


def test_staff_do_their_schools_work_on_one_page(new_page, files, tmp_path):
    page = new_page()
    browser_login(page, "staff_a")
    expect(page).to_have_url(re.compile(f"/schools/{SCHOOL_A}$"))
    page.evaluate("window.notReloaded = true")
    progress = page.locator("#school-progress")
    expect(progress).to_contain_text("0/9 mục bắt buộc")

    plan = open_item(item(page, "Xây dựng kế hoạch triển khai giáo dục AI"))
    plan.get_by_role("button", name="Đang thực hiện").click()
    expect(plan.get_by_role("button", name="Đang thực hiện")).to_have_attribute("aria-pressed", "true")
    plan.get_by_role("button", name="Đã hoàn thành").click()
    expect(plan.get_by_role("button", name="Đã hoàn thành")).to_have_attribute("aria-pressed", "true")
    expect(progress).to_contain_text("1/9 mục bắt buộc")

    evidence = open_item(item(page, "Kế hoạch nhà trường"))
    evidence.get_by_role("button", name="Đã hoàn thành").click()
    expect(evidence.get_by_role("alert")).to_contain_text("Cần tải lên ít nhất một tệp minh chứng")
    expect(progress).to_contain_text("1/9 mục bắt buộc")

    open_item(evidence, files=True).get_by_label("Tải lên minh chứng").set_input_files([files["pdf"], files["png"]])
    evidence.get_by_role("button", name="Tải lên", exact=True).click()
    expect(evidence.get_by_role("link", name="Kế hoạch nhà trường.pdf")).to_be_visible()
    expect(evidence.get_by_role("link", name="Ảnh giờ học.png")).to_be_visible()
    evidence.get_by_role("button", name="Đã hoàn thành").click()
    expect(evidence.get_by_role("button", name="Đã hoàn thành")).to_have_attribute("aria-pressed", "true")
    expect(progress).to_contain_text("2/9 mục bắt buộc")
    assert page.evaluate("window.notReloaded") is True, "the page reloaded"

    with page.expect_download() as download_info:
        evidence.get_by_role("link", name="Kế hoạch nhà trường.pdf").click()
    download = download_info.value
    assert download.suggested_filename == "Kế hoạch nhà trường.pdf"
    saved = tmp_path / "downloaded.pdf"
    download.save_as(saved)
    assert saved.read_bytes() == PDF

    target = item(page, "mỗi trường tổ chức ít nhất 01 lớp")
    expect(target).to_contain_text("Chưa đạt chỉ tiêu")
    page.get_by_role("link", name="Hoạt động AI").click()
    form_select = page.locator("form.activity-form").get_by_label("Hình thức (bắt buộc)")
    pilot_form = next(o for o in form_select.locator("option").all_inner_texts() if o.strip().startswith("2.2"))
    form_select.select_option(label=pilot_form)
    form = page.locator("form.activity-form")
    form.get_by_label("Tên hoạt động").fill("Lớp chuyên đề AI 5A")
    form.get_by_label(re.compile(r"^Lớp")).fill("5A")
    form.get_by_label(re.compile(r"^Số người tham gia")).fill("35")
    form.get_by_label(re.compile(r"^Ngày bắt đầu")).fill("2026-03-02")
    form.get_by_role("button").last.click()
    expect(page.get_by_text("Lớp chuyên đề AI 5A").first).to_be_visible()
    page.get_by_role("link", name="Danh mục việc").click()
    expect(item(page, "mỗi trường tổ chức ít nhất 01 lớp")).to_contain_text("Đạt chỉ tiêu")
    expect(progress).to_contain_text("3/9 mục bắt buộc")


def test_the_key_steps_work_with_javascript_off(new_page, files):
    page = new_page(javascript=False)
    browser_login(page, "staff_a")
    expect(page).to_have_url(re.compile(f"/schools/{SCHOOL_A}$"))

    plan = open_item(item(page, "Xây dựng kế hoạch triển khai giáo dục AI"))
    plan.get_by_role("button", name="Đã hoàn thành").click()
    expect(page).to_have_url(re.compile(f"/schools/{SCHOOL_A}#item-\\d+$"))
    expect(page.locator("#school-progress")).to_contain_text("1/9 mục bắt buộc")
    expect(page.get_by_text("Đã lưu: Xây dựng kế hoạch triển khai giáo dục AI")).to_be_visible()
    expect(
        open_item(item(page, "Xây dựng kế hoạch triển khai giáo dục AI")).get_by_role("button", name="Đã hoàn thành")
    ).to_have_attribute("aria-pressed", "true")

    evidence = open_item(item(page, "Kế hoạch nhà trường"))
    evidence.get_by_role("button", name="Đã hoàn thành").click()
    expect(page.get_by_text("Cần tải lên ít nhất một tệp minh chứng").first).to_be_visible()

    evidence = open_item(item(page, "Kế hoạch nhà trường"), files=True)
    evidence.get_by_label("Tải lên minh chứng").set_input_files([files["pdf"]])
    evidence.get_by_role("button", name="Tải lên", exact=True).click()
    evidence = open_item(item(page, "Kế hoạch nhà trường"))
    expect(evidence.get_by_role("link", name="Kế hoạch nhà trường.pdf")).to_be_visible()
    evidence.get_by_role("button", name="Đã hoàn thành").click()
    expect(page.locator("#school-progress")).to_contain_text("2/9 mục bắt buộc")

    note = open_item(item(page, "Tổ chức lồng ghép giáo dục AI"))
    note.get_by_label("Ghi chú").fill("Đã lồng ghép vào môn Tin học khối 4, 5")
    note.get_by_role("button", name="Lưu ghi chú").click()
    expect(open_item(item(page, "Tổ chức lồng ghép giáo dục AI")).get_by_label("Ghi chú")).to_have_value(
        "Đã lồng ghép vào môn Tin học khối 4, 5"
    )
