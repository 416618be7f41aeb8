"""Vietnamese names for demo wards, schools and people, and the slugs and usernames made from them.

Every name is a function of the seed, the ward and the school's number in that ward, never of
database ids or of the order of a run, so the same seed gives the same schools and `--append`
continues the numbering where an earlier run stopped.
"""

import random
from dataclasses import dataclass

from ..inputs import slugify
from ..models import SchoolLevel

# Places of Hà Nội (old and new wards, villages) and people schools are commonly named after.
PLACES = (
    "Ngọc Lâm",
    "Gia Thụy",
    "Bồ Đề",
    "Phúc Đồng",
    "Phúc Lợi",
    "Việt Hưng",
    "Giang Biên",
    "Đức Giang",
    "Thượng Thanh",
    "Ngọc Thụy",
    "Sài Đồng",
    "Phúc Xá",
    "Tứ Liên",
    "Nhật Tân",
    "Quảng An",
    "Yên Phụ",
    "Thụy Khuê",
    "Bưởi",
    "Nghĩa Đô",
    "Dịch Vọng",
    "Yên Hòa",
    "Trung Hòa",
    "Mai Dịch",
    "Cổ Nhuế",
    "Xuân Đỉnh",
    "Phú Thượng",
    "Đông Ngạc",
    "Thượng Cát",
    "Tây Tựu",
    "Minh Khai",
    "Kim Liên",
    "Văn Miếu",
    "Cát Linh",
    "Láng Thượng",
    "Ngọc Hà",
    "Kim Mã",
    "Giảng Võ",
    "Thành Công",
    "Trung Tự",
    "Phương Mai",
    "Khương Mai",
    "Định Công",
    "Hoàng Liệt",
    "Yên Sở",
    "Lĩnh Nam",
    "Vĩnh Hưng",
    "Mai Động",
    "Tương Mai",
    "Giáp Bát",
    "Thịnh Liệt",
    "Đại Kim",
    "Kim Giang",
    "Hạ Đình",
    "Nhân Chính",
    "Khương Đình",
    "Mỹ Đình",
    "Mễ Trì",
    "Phú Đô",
    "Đại Mỗ",
    "Tây Mỗ",
    "Xuân Phương",
    "Phương Canh",
    "Văn Quán",
    "Kiến Hưng",
    "Dương Nội",
    "Yên Nghĩa",
    "Phú Lương",
    "Vân Nội",
    "Uy Nỗ",
    "Kim Chung",
    "Hải Bối",
    "Phù Lỗ",
    "Quang Minh",
    "Trâu Quỳ",
    "Đa Tốn",
    "Bát Tràng",
    "Kiêu Kỵ",
    "Yên Viên",
    "Ninh Hiệp",
    "Thanh Am",
    "Đông Dư",
    "Ái Mộ",
    "Chương Dương",
    "Hồng Hà",
    "Bạch Mai",
    "Quỳnh Mai",
    "Thanh Nhàn",
    "Đống Mác",
    "Lạc Trung",
    "Vĩnh Tuy",
    "Thanh Lương",
    "Cầu Giấy",
    "Quan Hoa",
    "Nghĩa Tân",
    "Mai Lâm",
    "Xuân Canh",
    "Cổ Loa",
    "Liên Hà",
    "Vân Hà",
    "Tiên Dương",
    "Bắc Hồng",
    "Nam Hồng",
    "Thụy Lâm",
    "Dục Tú",
    "Lê Quý Đôn",
    "Nguyễn Trãi",
    "Chu Văn An",
    "Ngô Sĩ Liên",
    "Trưng Vương",
    "Lê Lợi",
    "Nguyễn Du",
    "Trần Phú",
    "Ngô Gia Tự",
    "Lê Ngọc Hân",
    "Đoàn Thị Điểm",
    "Nguyễn Bỉnh Khiêm",
    "Lý Thường Kiệt",
    "Trần Quốc Toản",
    "Kim Đồng",
    "Võ Thị Sáu",
    "Nguyễn Văn Trỗi",
    "Lê Văn Tám",
    "Quang Trung",
    "Hoàng Hoa Thám",
    "Phan Chu Trinh",
    "Phan Bội Châu",
    "Nguyễn Khuyến",
    "Tô Hoàng",
    "Đinh Tiên Hoàng",
    "Lý Công Uẩn",
    "Trần Hưng Đạo",
    "Nguyễn Đình Chiểu",
    "Hai Bà Trưng",
    "Thăng Long",
)
LEVEL_WORDS = {
    SchoolLevel.TIEU_HOC: ("Tiểu học", "th"),
    SchoolLevel.THCS: ("THCS", "thcs"),
    SchoolLevel.LIEN_CAP: ("Tiểu học và THCS", "thtcs"),
}
FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Đinh", "Lý")
MIDDLE = ("Thị", "Văn", "Minh", "Thu", "Hồng", "Đức", "Thanh", "Ngọc", "Quang", "Thúy", "Hữu", "Kim")
GIVEN = (
    "Lan",
    "Hương",
    "Hà",
    "Mai",
    "Hùng",
    "Dũng",
    "Tuấn",
    "Linh",
    "Trang",
    "Nam",
    "Hải",
    "Thảo",
    "Phương",
    "Sơn",
    "Yến",
    "Hạnh",
    "Tâm",
    "Huyền",
    "Long",
    "Quỳnh",
    "Bình",
    "Khánh",
    "Nga",
    "Việt",
)
WARD_ROLES = (
    ("phongvhxh", "ward_admin", "Cán bộ Phòng VHXH"),
    ("giamsat1", "supervisor", "Thành viên đoàn kiểm tra số 1"),
    ("giamsat2", "supervisor", "Thành viên đoàn kiểm tra số 2"),
    ("lanhdao", "viewer", "Lãnh đạo UBND phường"),
)
PILOT_EVERY = 8  # schools 0, 8, 16… of each ward pilot the plan: about one in eight
# Hà Nội's province code, which the Ministry's school codes (mã trường, CSDL ngành) start with.
PROVINCE_CODE = "01"
# The Sở's two demo accounts of a city run (--city), prefixed by the city's slug: ha-noi.sogddt.
CITY_ROLES = (
    ("sogddt", "city_admin", "Cán bộ Sở GD&ĐT"),
    ("lanhdaoso", "city_viewer", "Lãnh đạo Sở GD&ĐT"),
)
# How a ward of a city run is getting on: its schools' profiles (ahead, on track, behind, not
# started) lean its way, so that the city's wards differ and some are late. (pace, share of wards,
# weights of the school profiles; pilots keep theirs.)
WARD_PACES = (
    ("leading", 0.25, (45, 35, 15, 5)),
    ("steady", 0.45, (25, 35, 25, 15)),
    ("lagging", 0.20, (10, 30, 40, 20)),
    ("stalled", 0.10, (5, 15, 40, 40)),
)


@dataclass(frozen=True)
class WardName:
    number: int  # 0 for the bundled ward, 1… for "Phường Demo 001"…
    slug: str
    name: str

    @property
    def code(self) -> str:
        """What the ward's demo school slugs and usernames end or start with: "d001" (d000: bundled)."""
        return f"d{self.number:03d}"


@dataclass(frozen=True)
class SchoolName:
    index: int  # the school's number in its ward, from 0
    slug: str
    name: str
    level: SchoolLevel
    is_pilot: bool
    code: str  # mã trường: unique in the city

    @property
    def row(self) -> dict:
        """As import_schools takes it."""
        return {
            "slug": self.slug,
            "code": self.code,
            "name": self.name,
            "level": self.level,
            "is_pilot": self.is_pilot,
            "is_active": True,
        }


def demo_ward(number: int) -> WardName:
    return WardName(number, f"demo-{number:03d}", f"Phường Demo {number:03d}")


def school_names(seed: int, ward: WardName, start: int, count: int, taken_places: set[str]) -> list[SchoolName]:
    """Schools number `start` … `start + count - 1` of the ward.

    The ward shuffles the places once (by seed and ward slug); school i takes place i, and a
    second round of places is numbered ("… số 2"). Places already naming one of the ward's
    own schools (`taken_places`, e.g. the bundled Đoàn Kết) are left out, so no two schools of
    a ward share a name. The slug ends with the ward's code, so it is unique in the city.
    """
    places = [p for p in PLACES if p not in taken_places]
    random.Random(f"{seed}/{ward.slug}/places").shuffle(places)
    schools = []
    for index in range(start, start + count):
        place = places[index % len(places)]
        round_ = index // len(places)
        rng = random.Random(f"{seed}/{ward.slug}/school/{index}")
        if index % PILOT_EVERY == 0:  # pilots alternate between primary and lower secondary
            level = SchoolLevel.TIEU_HOC if (index // PILOT_EVERY) % 2 == 0 else SchoolLevel.THCS
        else:
            roll = rng.random()
            level = SchoolLevel.TIEU_HOC if roll < 0.55 else SchoolLevel.THCS if roll < 0.95 else SchoolLevel.LIEN_CAP
        words, prefix = LEVEL_WORDS[level]
        suffix = f" số {round_ + 1}" if round_ else ""
        slug_suffix = f"-{round_ + 1}" if round_ else ""
        schools.append(
            SchoolName(
                index,
                f"{prefix}-{slugify(place)}{slug_suffix}-{ward.code}",
                f"Trường {words} {place}{suffix}",
                level,
                index % PILOT_EVERY == 0,
                school_code(ward, index),
            )
        )
    return schools


def school_code(ward: WardName, index: int) -> str:
    """A demo mã trường in the shape of the Ministry's: the province (01), the ward's number (three
    digits) and the school's number in the ward (three digits; four past the 999th school, which
    `--append` can reach), so "01001001" is the first school of Phường Demo 001 and "01000001" the
    first demo school of the bundled ward. Unique in the city: the ward's part has a fixed width."""
    return f"{PROVINCE_CODE}{ward.number:03d}{index + 1:03d}"


def city_usernames(city_slug: str) -> list[tuple[str, str, str]]:
    """(username, role, title) of the Sở's two demo accounts."""
    return [(f"{city_slug}.{suffix}", role, title) for suffix, role, title in CITY_ROLES]


def ward_pace(seed: int, ward: WardName) -> tuple[str, tuple[int, ...]]:
    """How the ward is getting on (WARD_PACES), drawn from the seed and the ward alone."""
    rng = random.Random(f"{seed}/{ward.slug}/pace")
    pace = rng.choices(WARD_PACES, [share for _, share, _ in WARD_PACES])[0]
    return pace[0], pace[2]


def places_in(names: list[str]) -> set[str]:
    """The places of PLACES that existing school names already use."""
    return {place for place in PLACES for name in names if name.endswith(f" {place}") or f" {place} " in name}


def ward_usernames(ward: WardName) -> list[tuple[str, str, str]]:
    """(username, role, title) of the ward's four demo accounts."""
    return [(f"{ward.code}.{suffix}", role, title) for suffix, role, title in WARD_ROLES]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
