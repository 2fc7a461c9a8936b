"""What each raw dataset looks like: columns, bilingual headers, types and units.

This is the single description that the readers (header matching), the cleaning and
validation, the Excel templates, the data dictionary and the demo generator all use.

Types: ``int`` (whole number), ``float``, ``money`` (million VND; a header may carry another
unit such as ``(nghìn đồng)`` and is then rescaled), ``str``, ``province`` (resolved through
:mod:`khuyencong.core.provinces`), ``category`` (a code from ``data/categories.csv``) and
``choice`` (one of ``choices``, matched on their Vietnamese or English labels too).
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from functools import lru_cache

from khuyencong.paths import PACKAGE_DATA

YEAR_MIN, YEAR_MAX = 2000, 2035
#: The category of a project whose document states no content (a code of ``categories.csv``, never drawn by the demo).
UNCLASSIFIED = "unclassified"


@dataclass(frozen=True)
class Column:
    name: str
    vi: str
    en: str
    kind: str
    required: bool = True
    synonyms: tuple[str, ...] = ()
    choices: tuple[tuple[str, str, str], ...] = ()  # (code, label_vi, label_en)
    description_vi: str = ""
    description_en: str = ""
    # Smallest allowed value: ">= 0" or "> 0"; None takes the default of the kind (counts and
    # money are >= 0, other numbers unbounded).
    minimum: str | None = None
    # Required in a file laid out on our template, though it may be missing in a processed table: a
    # published document read through a mapping often has no establishment code, programme or amount.
    template_required: bool = False

    def required_in(self, from_document: bool) -> bool:
        """Whether an empty cell is an error in a file of this kind (a template, or a published document)."""
        return self.required or (self.template_required and not from_document)

    @property
    def unit(self) -> str | None:
        return "million VND" if self.kind == "money" else None

    @property
    def lower_bound(self) -> str | None:
        """``">= 0"``, ``"> 0"`` or None (the year has its own range, YEAR_MIN–YEAR_MAX)."""
        if self.minimum is not None or self.name == "year":
            return self.minimum
        return ">= 0" if self.kind in ("money", "int") else None


@dataclass(frozen=True)
class Dataset:
    name: str
    title_vi: str
    title_en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"dataset {self.name!r} has no column {name!r}")

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required_in(False)]


FUNDING_SOURCES = (
    ("KCQG", "Khuyến công quốc gia", "National programme (KCQG)"),
    ("KCDP", "Khuyến công địa phương", "Local programme (KCĐP)"),
)
PROJECT_STATUSES = (
    ("completed", "Hoàn thành", "Completed"),
    ("adjusted", "Điều chỉnh", "Adjusted"),
    ("stopped", "Dừng thực hiện", "Stopped"),
    ("deferred", "Chuyển năm sau", "Deferred to next year"),
    # Not realised: a project under way, or a row of an approved plan (plan annexes have no status).
    ("ongoing", "Đang thực hiện", "Ongoing"),
    ("planned", "Kế hoạch", "Planned"),
)
PLAN_INDICATORS = (
    ("projects", "Số đề án", "Projects"),
    ("trainees", "Số học viên", "Trainees"),
    ("establishments_supported", "Số cơ sở được hỗ trợ", "Establishments supported"),
    ("demonstration_models", "Số mô hình trình diễn", "Demonstration models"),
    ("machines", "Số máy móc, thiết bị", "Machines"),
    ("typical_products", "Số sản phẩm tiêu biểu", "Typical products"),
    ("state_support", "Kinh phí nhà nước (triệu đồng)", "State support (million VND)"),
)

_YEAR = Column("year", "Năm", "Year", "int", synonyms=("nam thuc hien", "year of implementation"),
               description_vi="Năm thực hiện", description_en="Year of implementation")
_PROVINCE = Column("province", "Tỉnh/thành phố", "Province", "province",
                   synonyms=("tinh", "tinh thanh pho", "dia phuong", "province/city", "province name"),
                   description_vi="Tên tỉnh/thành phố (ranh giới trước 1/7/2025)",
                   description_en="Province name (boundaries before 1 July 2025)")
_OUTPUTS = (
    Column("trainees", "Số học viên", "Trainees", "int", required=False,
           synonyms=("so hoc vien", "hoc vien", "so nguoi dao tao"),
           description_vi="Số người được đào tạo, tập huấn", description_en="People trained"),
    Column("establishments_supported", "Số cơ sở được hỗ trợ", "Establishments supported", "int", required=False,
           synonyms=("so co so duoc ho tro", "so co so"),
           description_vi="Số cơ sở CNNT được hỗ trợ", description_en="Rural industrial establishments supported"),
    Column("machines", "Số máy móc, thiết bị", "Machines", "int", required=False,
           synonyms=("may moc thiet bi", "so may moc", "machines supported"),
           description_vi="Số máy móc, thiết bị được hỗ trợ", description_en="Machines and equipment supported"),
    Column("demonstration_models", "Số mô hình trình diễn", "Demonstration models", "int", required=False,
           synonyms=("mo hinh trinh dien", "so mo hinh"),
           description_vi="Số mô hình trình diễn kỹ thuật", description_en="Technical demonstration models"),
    Column("typical_products", "Số sản phẩm tiêu biểu", "Typical products", "int", required=False,
           synonyms=("san pham tieu bieu", "san pham cnnt tieu bieu"),
           description_vi="Số sản phẩm CNNT tiêu biểu được bình chọn/hỗ trợ",
           description_en="Typical rural industrial products recognised or supported"),
)

REGISTER = Dataset(
    "register",
    "Danh mục đề án khuyến công",
    "Register of industrial-extension projects",
    key=("project_id",),
    columns=(
        _YEAR,
        _PROVINCE,
        Column("project_id", "Mã đề án", "Project ID", "str", synonyms=("ma de an", "so de an", "project code"),
               description_vi="Mã duy nhất của đề án", description_en="Unique project identifier"),
        Column("title", "Tên đề án", "Project title", "str", required=False, synonyms=("ten de an", "title"),
               description_vi="Tên đề án", description_en="Project title"),
        Column("category", "Nội dung khuyến công", "Content category", "category",
               synonyms=("noi dung", "loai hinh", "category"),
               description_vi="Nội dung hoạt động khuyến công (Điều 4 NĐ 45/2012, sửa đổi bởi NĐ 235/2025)",
               description_en="Extension content (Decree 45/2012 Art. 4, amended by Decree 235/2025)"),
        Column("funding_source", "Nguồn kinh phí", "Funding source", "choice", choices=FUNDING_SOURCES,
               required=False, template_required=True, synonyms=("nguon von", "funding"),
               description_vi="KCQG: khuyến công quốc gia; KCĐP: khuyến công địa phương",
               description_en="KCQG: national programme; KCĐP: local programme"),
        Column("establishment_id", "Mã cơ sở", "Establishment ID", "str", required=False, template_required=True,
               synonyms=("ma co so", "establishment code"),
               description_vi="Mã cơ sở thụ hưởng (dùng để nối với khảo sát; trống khi đề án không có cơ sở thụ hưởng)",
               description_en="Beneficiary establishment ID (links to the outcome survey)"),
        Column("establishment_name", "Tên cơ sở thụ hưởng", "Beneficiary name", "str", required=False,
               synonyms=("co so thu huong", "don vi thu huong", "ten co so", "beneficiary"),
               description_vi="Tên cơ sở, doanh nghiệp, HTX thụ hưởng", description_en="Beneficiary establishment"),
        Column("district", "Huyện", "District", "str", required=False, synonyms=("quan huyen", "huyen/thi xa"),
               description_vi="Huyện/thị xã nơi thực hiện", description_en="District"),
        Column("industry", "Ngành nghề", "Industry", "str", required=False, synonyms=("nganh", "linh vuc"),
               description_vi="Ngành nghề sản xuất", description_en="Industry of the beneficiary"),
        Column("state_support", "Kinh phí hỗ trợ (triệu đồng)", "State support (million VND)", "money",
               required=False, template_required=True, synonyms=("kinh phi ho tro", "kinh phi khuyen cong", "ngan sach ho tro", "kinh phi nha nuoc", "state support"),
               description_vi="Kinh phí khuyến công hỗ trợ từ ngân sách nhà nước",
               description_en="Extension funding from the state budget", minimum="> 0"),
        Column("beneficiary_contribution", "Vốn đối ứng (triệu đồng)", "Beneficiary contribution (million VND)",
               "money", required=False, template_required=True, synonyms=("von doi ung", "doi ung", "von cua co so", "kinh phi doi ung", "co-funding"),
               description_vi="Vốn đối ứng của cơ sở thụ hưởng",
               description_en="Contribution of the beneficiary establishment"),
        Column("total_cost", "Tổng kinh phí (triệu đồng)", "Total cost (million VND)", "money", required=False,
               synonyms=("tong kinh phi", "tong von", "tong cong", "total"),
               description_vi="Tổng kinh phí = hỗ trợ + đối ứng (nếu có, được kiểm tra)",
               description_en="Total = state support + contribution (checked when present)"),
        Column("status", "Tình trạng", "Status", "choice", choices=PROJECT_STATUSES,
               required=False, template_required=True, synonyms=("trang thai", "ket qua thuc hien", "tinh trang thuc hien"),
               description_vi="Hoàn thành / Điều chỉnh / Dừng thực hiện / Chuyển năm sau",
               description_en="Completed / Adjusted / Stopped / Deferred to next year"),
        *_OUTPUTS,
    ),
)

SURVEY = Dataset(
    "survey",
    "Khảo sát kết quả cơ sở thụ hưởng",
    "Beneficiary outcome survey",
    key=("establishment_id", "year"),
    notes=("Comparison establishments (never supported) leave project_id empty.",),
    columns=(
        Column("establishment_id", "Mã cơ sở", "Establishment ID", "str", synonyms=("ma co so",),
               description_vi="Mã cơ sở", description_en="Establishment ID"),
        Column("project_id", "Mã đề án", "Project ID", "str", required=False, synonyms=("ma de an",),
               description_vi="Mã đề án đã hỗ trợ cơ sở; để trống nếu cơ sở đối chứng",
               description_en="Project that supported the establishment; empty for comparison establishments"),
        _PROVINCE,
        _YEAR,
        Column("output_value", "Giá trị sản xuất (triệu đồng)", "Output value (million VND)", "money",
               synonyms=("gia tri san xuat", "gtsx", "output"),
               description_vi="Giá trị sản xuất trong năm", description_en="Gross output in the year"),
        Column("workers", "Số lao động", "Workers", "int", synonyms=("lao dong", "so lao dong binh quan", "employees"),
               description_vi="Số lao động bình quân", description_en="Average number of workers"),
        Column("revenue", "Doanh thu (triệu đồng)", "Revenue (million VND)", "money", required=False,
               synonyms=("doanh thu", "sales"),
               description_vi="Doanh thu trong năm", description_en="Revenue in the year"),
        Column("wages", "Tổng tiền lương (triệu đồng)", "Wage bill (million VND)", "money", required=False,
               synonyms=("tien luong", "quy luong", "wage bill"),
               description_vi="Tổng quỹ lương trong năm", description_en="Total wages paid in the year"),
    ),
)

PROVINCE_STATS = Dataset(
    "province_stats",
    "Thống kê kinh tế tỉnh",
    "Provincial statistics",
    key=("province", "year"),
    columns=(
        _PROVINCE,
        _YEAR,
        Column("industrial_grdp", "GRDP công nghiệp (triệu đồng)", "Industrial GRDP (million VND)", "money",
               required=False, synonyms=("grdp cong nghiep", "industrial grdp"),
               description_vi="Giá trị tăng thêm ngành công nghiệp (giá so sánh)",
               description_en="Industrial value added (constant prices)"),
        Column("grdp", "GRDP (triệu đồng)", "GRDP (million VND)", "money", required=False,
               synonyms=("tong grdp", "total grdp"),
               description_vi="Tổng sản phẩm trên địa bàn (giá so sánh)", description_en="GRDP (constant prices)"),
        Column("iip", "Chỉ số sản xuất công nghiệp (năm trước = 100)", "Industrial production index (previous year = 100)",
               "float", required=False, synonyms=("iip", "chi so san xuat cong nghiep", "index of industrial production"),
               description_vi="Chỉ số sản xuất công nghiệp, năm trước = 100",
               description_en="Industrial production index, previous year = 100"),
        Column("population", "Dân số trung bình (nghìn người)", "Average population (thousand)", "float",
               required=False, synonyms=("dan so", "population"),
               description_vi="Dân số trung bình, nghìn người", description_en="Average population, thousands"),
        Column("industrial_enterprises", "Số doanh nghiệp công nghiệp", "Industrial enterprises", "int",
               required=False, synonyms=("so doanh nghiep cong nghiep", "so doanh nghiep"),
               description_vi="Số doanh nghiệp công nghiệp đang hoạt động",
               description_en="Active industrial enterprises"),
    ),
)

PLANS = Dataset(
    "plans",
    "Kế hoạch và thực hiện",
    "Plans and achievements",
    key=("province", "year", "indicator"),
    columns=(
        _PROVINCE,
        _YEAR,
        Column("indicator", "Chỉ tiêu", "Indicator", "choice", choices=PLAN_INDICATORS,
               synonyms=("chi tieu ke hoach",),
               description_vi="Chỉ tiêu kế hoạch", description_en="Planned indicator"),
        Column("planned", "Kế hoạch", "Planned", "float", synonyms=("ke hoach", "ke hoach giao", "plan", "target"),
               description_vi="Giá trị kế hoạch giao", description_en="Planned value", minimum="> 0"),
        Column("achieved", "Thực hiện", "Achieved", "float", synonyms=("thuc hien", "ket qua", "actual"),
               description_vi="Giá trị thực hiện", description_en="Achieved value", minimum=">= 0"),
    ),
)

DATASETS: dict[str, Dataset] = {d.name: d for d in (REGISTER, SURVEY, PROVINCE_STATS, PLANS)}


@dataclass(frozen=True)
class Category:
    code: str
    name_vi: str
    name_en: str
    legal_basis: str
    since: int
    output_column: str


@lru_cache(maxsize=1)
def categories() -> tuple[Category, ...]:
    """Extension content categories (Decree 45/2012 Art. 4 and the 2025 additions)."""
    with open(PACKAGE_DATA / "categories.csv", encoding="utf-8", newline="") as fh:
        return tuple(
            Category(r["code"], r["name_vi"], r["name_en"], r["legal_basis"], int(r["since"]), r["output_column"])
            for r in csv.DictReader(fh)
        )


@lru_cache(maxsize=None)
def category(code: str) -> Category:
    """The category with ``code`` (KeyError when there is none)."""
    return {c.code: c for c in categories()}[code]


_KIND_LABELS = {
    "int": ("số nguyên", "whole number"),
    "float": ("số", "number"),
    "money": ("tiền, triệu đồng", "money, million VND"),
    "str": ("văn bản", "text"),
    "province": ("tên tỉnh", "province name"),
    "category": ("mã hoặc tên nội dung", "category code or name"),
    "choice": ("một giá trị trong danh sách", "one value from the list"),
}


def _allowed(col: Column) -> str:
    if col.kind == "category":
        return ", ".join(f"`{c.code}`" for c in categories())
    if col.choices:
        return ", ".join(f"`{code}` ({vi} / {en})" for code, vi, en in col.choices)
    return ""


def columns_markdown(dataset: Dataset) -> str:
    """The column table of one dataset, bilingual, as printed in data/raw/README.md."""
    lines = [
        f"### {dataset.title_vi} / {dataset.title_en} (`{dataset.name}`)",
        "",
        "| cột / column | tiêu đề / header (vi) | header (en) | kiểu / type | bắt buộc / required | mô tả / description | giá trị / allowed |",
        "|---|---|---|---|---|---|---|",
    ]
    for col in dataset.columns:
        kind_vi, kind_en = _KIND_LABELS[col.kind]
        required = ("có / yes" if col.required else "mẫu: có, văn bản: không / in the template (not in a "
                    "published document)" if col.template_required else "không / no")
        lines.append(
            f"| `{col.name}` | {col.vi} | {col.en} | {kind_vi} / {kind_en} | {required} "
            f"| {col.description_vi} / {col.description_en} | {_allowed(col)} |"
        )
    if dataset.key:
        lines += ["", f"Khoá / key: {', '.join(f'`{k}`' for k in dataset.key)} (không trùng lặp / must be unique)."]
    return "\n".join(lines)


def all_columns_markdown() -> str:
    return "\n\n".join(columns_markdown(d) for d in DATASETS.values())


README_START, README_END = "<!-- columns:start -->", "<!-- columns:end -->"


def refresh_readme(path=None) -> bool:
    """Rewrite the generated column tables in data/raw/README.md; return True when it changed."""
    from khuyencong.files import atomic_write_text
    from khuyencong.paths import raw_dir

    path = path or raw_dir() / "README.md"
    text = path.read_text(encoding="utf-8")
    head, _, rest = text.partition(README_START)
    _, _, tail = rest.partition(README_END)
    new = f"{head}{README_START}\n{all_columns_markdown()}\n{README_END}{tail}"
    if new != text:
        atomic_write_text(path, new)
    return new != text
