"""The words demo schools, supervisors and ward officials write: notes, reasons, conclusions,
activity titles, products and file names."""

from ..models import Rating, SchoolLevel

ITEM_NOTES = (
    "Đã triển khai đến toàn bộ giáo viên trong buổi họp hội đồng sư phạm.",
    "Tổ Tin học chủ trì, phối hợp tổ chuyên môn các khối.",
    "Đang hoàn thiện, chờ Hiệu trưởng ký duyệt.",
    "Đã lưu hồ sơ tại văn phòng nhà trường, bản scan tải lên kèm theo.",
    "Phòng máy mới được bổ sung 10 máy tính, đủ điều kiện triển khai.",
    "Một số lớp lùi lịch do trùng kiểm tra giữa kỳ.",
    "Giáo viên đã tham gia tập huấn của Sở GD&ĐT trước khi triển khai.",
    "Phụ huynh ủng hộ, nhiều em đăng ký tham gia câu lạc bộ.",
    "Còn thiếu thiết bị trình chiếu ở hai phòng học.",
    "Đã cập nhật theo góp ý của đoàn kiểm tra.",
)
NEEDS_MORE_REASONS = (
    "Kế hoạch chưa có chữ ký, đóng dấu của Hiệu trưởng.",
    "Chưa có hồ sơ lớp học (danh sách học sinh, lịch học, giáo án).",
    "Minh chứng chưa thể hiện nội dung giáo dục AI; bổ sung giáo án có phần lồng ghép.",
    "Chưa tổ chức được lớp chuyên đề; đề nghị xây dựng lịch cụ thể.",
    "Ảnh hoạt động chưa ghi rõ lớp, ngày thực hiện.",
    "Kế hoạch môn học chưa nêu số tiết lồng ghép theo từng khối.",
    "Chưa triển khai; đề nghị nhà trường khẩn trương thực hiện.",
)
STILL_NEEDS_MORE = "Đã bổ sung một phần; đề nghị hoàn thành rồi cập nhật lại trạng thái."
CONCLUSIONS = {
    "ahead": "Nhà trường triển khai nghiêm túc, đúng tiến độ; hồ sơ đầy đủ, khoa học. "
    "Học sinh hứng thú, sản phẩm đa dạng.",
    "on_track": "Nhà trường cơ bản triển khai đúng kế hoạch; một số hồ sơ cần hoàn thiện thêm.",
    "behind": "Nhà trường triển khai còn chậm so với kế hoạch; hồ sơ minh chứng chưa đầy đủ.",
    "idle": "Nhà trường chưa triển khai các nội dung theo kế hoạch của phường.",
}
RECOMMENDATIONS = {
    "ahead": "Tiếp tục duy trì, chia sẻ kinh nghiệm với các trường trong phường.",
    "on_track": "Hoàn thiện hồ sơ lớp học và cập nhật minh chứng trước cuối HK II.",
    "behind": "Xây dựng lịch triển khai cụ thể; bổ sung minh chứng trong 2 tuần.",
    "idle": "Khẩn trương xây dựng kế hoạch và báo cáo Phòng VHXH trước ngày 30/4.",
}
EVALUATION_TEXTS = {
    Rating.TOT: "Hoàn thành vượt chỉ tiêu; hoạt động được tổ chức bài bản, học sinh tích cực.",
    Rating.KHA: "Hoàn thành các chỉ tiêu chính; một số hoạt động cần tổ chức thường xuyên hơn.",
    Rating.DAT: "Hoàn thành ở mức tối thiểu; còn hạn chế về thiết bị và thời lượng.",
    Rating.CHUA_DAT: "Chưa hoàn thành chỉ tiêu; nguyên nhân chủ yếu do thiếu giáo viên Tin học.",
}
RATINGS = {
    "ahead": (Rating.TOT, Rating.TOT, Rating.KHA),
    "on_track": (Rating.KHA, Rating.KHA, Rating.DAT),
    "behind": (Rating.DAT, Rating.DAT, Rating.CHUA_DAT),
    "idle": (Rating.CHUA_DAT,),
}
SUBJECTS = {
    SchoolLevel.TIEU_HOC: (
        "Tin học",
        "Tin học",
        "Công nghệ",
        "Toán",
        "Tiếng Việt",
        "Khoa học",
        "Hoạt động trải nghiệm",
    ),
    SchoolLevel.THCS: ("Tin học", "Tin học", "Công nghệ", "Toán", "Ngữ văn", "Khoa học tự nhiên", "Giáo dục công dân"),
}
GRADES = {SchoolLevel.TIEU_HOC: (3, 4, 5), SchoolLevel.THCS: (6, 7, 8, 9), SchoolLevel.LIEN_CAP: (4, 5, 6, 7, 8)}
ELECTIVE_TITLES = (
    "Chuyên đề: Làm quen với trí tuệ nhân tạo",
    "Chuyên đề: AI quanh em",
    "Chuyên đề: Máy học và nhận dạng hình ảnh",
    "Chuyên đề: Sử dụng AI an toàn, có trách nhiệm",
)
PRODUCTS = (
    "Bài trình chiếu nhóm về ứng dụng AI trong đời sống",
    "Sản phẩm Scratch nhận diện hình ảnh đơn giản",
    "Poster “Sử dụng AI an toàn”",
    "Mô hình phân loại rác dùng Teachable Machine",
    "Chatbot hỏi đáp về an toàn giao thông",
    "Video giới thiệu trợ lý ảo do học sinh thực hiện",
)
SUPPORT = {
    # form code -> (title, participants range, lessons range, grade text, content area codes)
    "2.3": ("Câu lạc bộ AI và lập trình", (15, 32), (4, 12), "", ("a", "c", "d")),
    "boi-duong": ("Sinh hoạt chuyên môn về dạy học tích hợp AI cho giáo viên", (8, 40), (1, 4), "", ("a", "b")),
    "tuyen-truyen": ("Tuyên truyền sử dụng AI an toàn cho cha mẹ học sinh", (60, 400), (1, 1), "", ("b",)),
    "bdhvs": ("“Bình dân học vụ số”: hướng dẫn phụ huynh dùng công cụ AI", (20, 80), (1, 3), "", ("a", "b")),
}
# evidence requirement key (or kind) -> (file kinds to choose from, file name, description)
FILE_NAMES = {
    "ke-hoach-nha-truong": (
        ("pdf", "pdf", "docx"),
        "Kế hoạch triển khai giáo dục AI năm học {year}",
        "Bản scan có chữ ký, đóng dấu",
    ),
    "ke-hoach-giao-duc-nha-truong": (
        ("pdf", "docx"),
        "Kế hoạch giáo dục nhà trường năm học {year}",
        "Phần lồng ghép giáo dục AI ở mục III",
    ),
    "ke-hoach-mon-hoc": (("docx", "pdf"), "Kế hoạch môn Tin học lồng ghép AI", "Kế hoạch dạy học các khối"),
    "ho-so-lop-hoc": (("pdf",), "Hồ sơ lớp học chuyên đề AI", "Danh sách học sinh, lịch học, giáo án"),
    "san-pham-trai-nghiem": (("jpg", "jpg", "pdf"), "Sản phẩm trải nghiệm của học sinh", "Ảnh sản phẩm"),
    "san-pham-hoc-sinh": (("jpg", "jpg", "pdf"), "Sản phẩm học sinh", "Ảnh và bài làm của học sinh"),
    "activity": (("jpg", "jpg", "docx"), "Ảnh hoạt động", "Ảnh chụp trong giờ học"),
    "milestone": (("pdf", "docx"), "Văn bản triển khai", ""),
}
EXTENSIONS = {"pdf": "pdf", "jpg": "jpg", "docx": "docx"}


def file_lines(school_name: str, ward_name: str, year: str) -> list[str]:
    """The body of a demo document: who issued it, and the plan it answers to."""
    return [
        f"{ward_name.upper()} — {school_name.upper()}",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM — Độc lập - Tự do - Hạnh phúc",
        f"Thực hiện Kế hoạch triển khai thí điểm giáo dục trí tuệ nhân tạo năm học {year},",
        "nhà trường báo cáo kết quả triển khai như sau:",
        "1. Nội dung: Nhận thức về AI; Đạo đức, an toàn và trách nhiệm trong sử dụng AI.",
        "2. Hình thức: lồng ghép trong môn Tin học; chuyên đề học tập lựa chọn; câu lạc bộ.",
        "3. Kết quả: học sinh tham gia tích cực, có sản phẩm trải nghiệm.",
        "Nơi nhận: Phòng VHXH phường; Lưu: VT.",
    ]
