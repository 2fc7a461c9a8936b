"""The rules ``extract`` reads a sentence with: where a figure is, and what it is a figure of.

Everything here is declarative word lists plus two small functions; no model, no network.

* :func:`find_figures` — every printed figure in a sentence (money, percentages, counted nouns of
  :data:`COUNTED_NOUNS`, ranges, qualifiers such as ``gần``/``trên``, ``/năm`` rates), as the exact
  span of the text; each span is checked by :func:`khuyencong.core.vnformat.parse_amount`. Years,
  dates, document numbers and numbers without a unit are not figures.
* :data:`INDICATOR_RULES` — (unit or noun, words in the clause before the figure) → indicator code of
  ``published_figures.csv``; first match wins. :data:`FUNDING_WORDS`, :data:`KIND_WORDS` and
  :data:`PERIOD_PATTERNS` read the funding tier, plan/actual and period from the same clause.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from khuyencong.core import vnformat

__all__ = ["Found", "find_figures", "COUNTED_NOUNS", "INDICATOR_RULES", "FUNDING_WORDS", "KIND_WORDS",
           "TOPIC_WORDS", "GROWTH_INDICATORS"]

#: Counted nouns a khuyến công figure is printed with (longest matched first; case-insensitive).
COUNTED_NOUNS: tuple[str, ...] = (
    "đề án", "chương trình", "dự án", "nhiệm vụ", "kế hoạch", "nội dung", "cơ sở", "doanh nghiệp",
    "hợp tác xã", "hộ", "đơn vị", "sản phẩm", "lao động", "học viên", "lượt học viên", "lượt người",
    "lượt", "người", "cán bộ", "đại biểu", "đại diện", "lớp", "mô hình", "làng nghề", "làng", "nghề",
    "cụm công nghiệp", "cụm", "khu", "nhãn hiệu", "hội chợ", "gian hàng", "hội thảo", "hội nghị", "đoàn",
    "bản tin", "chuyên trang", "quyển", "bìa gấp", "tờ báo", "tờ rơi", "tin bài", "tin", "bài", "phóng sự",
    "chương trình truyền hình", "huyện", "thiết bị", "máy móc", "phòng trưng bày", "điểm", "cuộc",
    "chuyến", "ấn phẩm", "tờ gấp", "cuốn", "sổ tay", "buổi", "lần",
)
#: Counted nouns that are figures only with a topic word nearby (too common otherwise).
WEAK_NOUNS = frozenset({"lần", "buổi", "điểm", "cuộc", "khu", "huyện", "người", "nghề", "tin", "bài", "hộ"})

_NUM = r"\d+(?:[.,]\d+)*"
_SEP = r"\s*(?:-|–|—|đến|tới)\s*"
_QUAL = vnformat._alternation([*vnformat.QUALIFIER_WORDS, "từ"])
_MULT = vnformat._alternation(vnformat.MULTIPLIER_EXPONENTS)
_MONEY = vnformat._alternation([*vnformat.CURRENCY_WORDS, *vnformat.COMBINED_MONEY_WORDS])
_NOUN = vnformat._alternation(COUNTED_NOUNS)
_EOW = r"(?![^\W_])"
#: Words after a bare multiplier that make it a count, not money ("870 nghìn dân", "2 triệu tấn").
_OTHER_UNITS = "dân|người|khách|tấn|lít|ha|km|con|cây|m2|m3|sản phẩm|lượt"
_PER = r"(?:\s*/\s*(?:" + vnformat._alternation(vnformat.PER_WORDS) + rf"){_EOW})*"
_UNIT = (
    rf"(?:\s*(?:{_MULT}){_EOW}(?:\s*(?:{_MONEY}){_EOW}|(?!\s+(?:{_NOUN}|{_OTHER_UNITS}){_EOW}))"  # 6,7 tỷ (đồng)
    rf"|\s*(?:{_MONEY}){_EOW}"  # 500.000 đồng, 5 trđ
    r"|\s*%"
    rf"|\s+(?:{_NOUN}){_EOW}(?:\s*,\s*(?:{_NOUN}){_EOW})?)"  # 20 chương trình, đề án
)
FIGURE_RE = re.compile(
    rf"(?:(?<![^\W_])(?P<qual>(?:{_QUAL}){_EOW}\s+)(?:từ\s+)?)?"
    rf"(?<![\w/.,])(?P<num>{_NUM})(?![\w/])"
    rf"(?:(?:\s*%)?{_SEP}(?P<hi>{_NUM})(?![\w/]))?"
    rf"(?P<unit>{_UNIT}){_PER}(?P<suffix>\s+trở (?:lên|xuống))?",
    re.IGNORECASE,
)
_FRACTION_RE = re.compile(rf"(?<![\w/.,])\d+/\d+\s+(?:{_NOUN}){_EOW}", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    """A figure found in a sentence: its span, its exact text and the parsed amount."""

    start: int
    end: int
    text: str
    amount: vnformat.Amount


_BARE_MULT = re.compile(rf"(?<=[\d\s])(?:{_MULT})(?=\s*(?:/|trở|$))", re.IGNORECASE)


def _parse(text: str) -> vnformat.Amount | None:
    """The amount of a found span; "33 tỷ" printed without "đồng" in a budget sentence reads as đồng."""
    probe = _BARE_MULT.sub(lambda m: m.group() + " đồng", text, count=1)
    try:
        amount = vnformat.parse_amount(probe)
    except ValueError:
        return None
    return None if amount.unit is None or amount.is_missing else amount


def find_figures(sentence: str) -> list[Found]:
    """Every figure of ``sentence`` as an exact span (see module docstring), in order."""
    out: list[Found] = []
    for m in FIGURE_RE.finditer(sentence):
        start = m.start()
        qual = m["qual"]
        if qual and qual.strip().lower() == "từ" and not (m["hi"] or m["suffix"]):
            start = m.start("num")  # "từ 5 đề án" without a range: "từ" is not part of the figure
        text = sentence[start:m.end()].rstrip(" ,")
        amount = _parse(text)
        if amount is None and start != m.start("num"):
            start, text = m.start("num"), sentence[m.start("num"):m.end()].rstrip(" ,")
            amount = _parse(text)
        if amount is None or _not_a_figure(sentence, start, amount, text):
            continue
        out.append(Found(start, start + len(text), text, amount))
    for m in _FRACTION_RE.finditer(sentence):  # "7/9 nội dung": vnformat reads 7 of 9
        amount = _parse(m.group())
        if amount is not None:
            out.append(Found(m.start(), m.end(), m.group(), amount))
    return sorted(out, key=lambda f: f.start)


def _not_a_figure(sentence: str, start: int, amount: vnformat.Amount, text: str) -> bool:
    """"1 đồng vốn … thu hút 20 đồng" (a ratio, not money), "1 trong 8 nhiệm vụ" (the whole of a one)."""
    if amount.unit.startswith("million VND") and not re.search(_MULT + "|trđ|tr\\.đ", text, re.IGNORECASE):
        # under 1.000 đồng: only the second term of a leverage ratio ("1 đồng … thu hút gần 20 đồng") is kept
        return (amount.high or 0) < 0.001 and not re.search(r"(?<!\d)1 đồng\b", sentence[:start])
    if re.fullmatch(r"(?:19|20)\d\d", text.split()[0]) and re.search(r"(?:năm|đến|tới|từ)\s+$", sentence[:start], re.IGNORECASE):
        return True  # "năm 2017 chương trình …": a year before a noun, not a count
    return re.search(r"\d\s+trong\s+$", sentence[:start]) is not None


# --- what a figure is about ----------------------------------------------------------------

#: Words that make a page or sentence about khuyến công (case-insensitive substrings).
TOPIC_WORDS: tuple[str, ...] = (
    "khuyến công", "kcqg", "kcđp", "công nghiệp nông thôn", "cnnt", "tiểu thủ công nghiệp", "làng nghề",
    "industry promotion", "industrial extension",
)
#: Indicators kept even outside a khuyến công sentence (official industrial growth).
GROWTH_INDICATORS = frozenset({"ipi_growth", "industrial_output_growth", "industrial_grdp_growth",
                               "industry_share_grdp", "industry_construction_share_grdp"})

_M, _C, _P = "million VND", "count", "percent"
#: (units or nouns, words before the figure in its clause (regex), indicator, confidence).
INDICATOR_RULES: tuple[tuple[frozenset[str], str, str, float], ...] = (
    (frozenset({_P}), r"chỉ số sản xuất công nghiệp|\biip\b", "ipi_growth", 0.8),
    (frozenset({_P}), r"giá trị sản xuất công nghiệp", "industrial_output_growth", 0.7),
    (frozenset({_P}), r"tỷ trọng.*công nghiệp.*xây dựng", "industry_construction_share_grdp", 0.6),
    (frozenset({_P}), r"công nghiệp[^;,.]*tỷ trọng|tỷ trọng[^;,.]*công nghiệp", "industry_share_grdp", 0.6),
    (frozenset({_P}), r"giải ngân", "disbursement_plan_attainment", 0.7),
    (frozenset({_P}), r"ngân sách", "local_budget_share", 0.5),
    (frozenset({_P}), r"doanh thu", "revenue_gain", 0.6),
    (frozenset({_P}), r"năng suất", "productivity_gain", 0.6),
    (frozenset({_P}), r"tài sản", "asset_gain", 0.6),
    (frozenset({_P}), r"kế hoạch|chỉ tiêu", "plan_attainment", 0.6),
    (frozenset({_P}), r"tăng trưởng.*công nghiệp|công nghiệp.*tăng", "industrial_grdp_growth", 0.5),
    (frozenset({_P}), r"hỗ trợ|kinh phí|khuyến công|tối đa", "support_rate", 0.4),
    (frozenset({"leverage"}), r"đồng", "counterpart_leverage", 0.6),
    (frozenset({_M}), r"máy móc|thiết bị|dây chuyền|công nghệ", "equipment_support", 0.7),
    (frozenset({_M}), r"đào tạo|truyền nghề|dạy nghề|tập huấn", "training_funding", 0.7),
    (frozenset({_M}), r"thu hút|vốn đầu tư|đối ứng|đóng góp|cơ sở .*đầu tư", "beneficiary_contribution", 0.7),
    (frozenset({_M}), r"giải ngân|tạm ứng", "disbursed", 0.7),
    (frozenset({_M}), r"chưa phân bổ", "local_funding_unallocated", 0.7),
    (frozenset({_M}), r"đã phân bổ", "local_funding_allocated", 0.6),
    (frozenset({_M}), r"thương hiệu|phòng trưng bày", "branding_funding", 0.6),
    (frozenset({_M}), r"truyền thông|tuyên truyền|thông tin", "media_funding", 0.6),
    (frozenset({_M}), r"năng lực", "capacity_funding", 0.6),
    (frozenset({_M}), r"mô hình trình diễn", "demonstration_funding", 0.6),
    (frozenset({_M}), r"tư vấn", "consulting_funding", 0.5),
    (frozenset({_M}), r"doanh thu", "consulting_revenue", 0.4),
    (frozenset({"đề án", "chương trình", "dự án", "nhiệm vụ"}), r"máy móc|thiết bị|dây chuyền", "projects_equipment", 0.7),
    (frozenset({"đề án", "chương trình", "dự án", "nhiệm vụ"}), r"đào tạo|truyền nghề|tập huấn", "projects_training", 0.7),
    (frozenset({"đề án", "chương trình", "dự án", "nhiệm vụ"}), r"thương hiệu|phòng trưng bày", "projects_branding", 0.6),
    (frozenset({"đề án", "chương trình", "dự án", "nhiệm vụ"}), r"thông tin|tuyên truyền|truyền thông", "projects_media", 0.6),
    (frozenset({"đề án", "chương trình", "dự án", "nhiệm vụ"}), r"không thu hồi", "projects_nonrecoverable", 0.7),
    (frozenset({"đề án", "chương trình", "dự án", "nhiệm vụ"}), r"có thu hồi", "projects_recoverable", 0.7),
    (frozenset({"đề án", "chương trình", "dự án", "nhiệm vụ", "chương trình, đề án"}), r"", "projects", 0.7),
    (frozenset({"cơ sở", "doanh nghiệp", "hộ", "hợp tác xã", "đơn vị"}), r"máy móc|thiết bị", "establishments_equipment", 0.7),
    (frozenset({"cơ sở", "doanh nghiệp", "hộ", "hợp tác xã", "đơn vị"}), r"", "establishments_supported", 0.5),
    (frozenset({"lao động", "học viên", "người", "lượt học viên", "lượt người", "lượt", "cán bộ"}),
     r"việc làm", "jobs_created", 0.7),
    (frozenset({"lao động", "học viên", "người", "lượt học viên", "lượt người", "lượt", "cán bộ"}),
     r"quản lý|khởi sự|kỹ năng", "trainees_management", 0.6),
    (frozenset({"lao động", "học viên", "người", "lượt học viên", "lượt người", "lượt", "cán bộ"}),
     r"tham quan|khảo sát", "study_tour_participants", 0.6),
    (frozenset({"lao động", "học viên", "người", "lượt học viên", "lượt người", "lượt", "cán bộ", "đại biểu",
                "đại diện"}), r"hội thảo|hội nghị|diễn đàn", "workshop_participants", 0.6),
    (frozenset({"lao động", "học viên", "người", "lượt học viên", "lượt người", "lượt"}), r"", "trainees_vocational", 0.5),
    (frozenset({"sản phẩm"}), r"quốc gia", "typical_products_national", 0.6),
    (frozenset({"sản phẩm"}), r"khu vực", "typical_products_regional", 0.6),
    (frozenset({"sản phẩm"}), r"tham gia|dự thi|đăng ký", "typical_product_entrants", 0.5),
    (frozenset({"sản phẩm"}), r"", "typical_products_provincial", 0.5),
    (frozenset({"lớp"}), r"", "training_classes", 0.7),
    (frozenset({"mô hình"}), r"", "demonstration_models", 0.7),
    (frozenset({"làng nghề", "làng"}), r"", "craft_villages", 0.5),
    (frozenset({"nhãn hiệu"}), r"", "trademarks_registered", 0.6),
    (frozenset({"hội chợ"}), r"", "fairs", 0.6),
    (frozenset({"gian hàng"}), r"", "fair_booths", 0.6),
    (frozenset({"hội thảo", "hội nghị"}), r"", "workshops", 0.6),
    (frozenset({"đoàn", "chuyến"}), r"", "study_tours", 0.5),
    (frozenset({"kế hoạch"}), r"", "plans", 0.5),
    (frozenset({"nội dung"}), r"", "decree_contents", 0.4),
    (frozenset({"cụm công nghiệp", "cụm"}), r"", "cluster_plans", 0.4),
    (frozenset({"bản tin"}), r"", "newsletters", 0.6),
    (frozenset({"chuyên trang"}), r"", "newspaper_pages", 0.6),
    (frozenset({"quyển", "cuốn", "sổ tay"}), r"", "handbooks", 0.5),
    (frozenset({"bìa gấp", "tờ gấp", "tờ rơi"}), r"", "leaflets", 0.5),
    (frozenset({"tờ báo"}), r"", "newspapers_distributed", 0.5),
    (frozenset({"phóng sự", "chương trình truyền hình", "tin bài", "tin", "bài"}), r"", "media_items", 0.4),
    (frozenset({"huyện"}), r"", "activity_areas", 0.3),
    (frozenset({"phòng trưng bày"}), r"", "showrooms_supported", 0.5),
)

#: Funding tier words (regex, case-insensitive) → funding_source; the one nearest the figure wins.
FUNDING_WORDS: tuple[tuple[str, str], ...] = (
    (r"khuyến công quốc gia|kcqg|trung ương|ngân sách nhà nước trung ương|national", "national"),
    (r"khuyến công địa phương|kcđp|ngân sách (?:tỉnh|địa phương)|địa phương|local", "local"),
    (r"đối ứng|doanh nghiệp đóng góp|cơ sở đóng góp|vốn đầu tư của|thu hút", "beneficiary"),
    (r"tổng kinh phí|tổng vốn|tổng nguồn|tổng cộng|total", "total"),
)
#: Kind words (regex) → kind; searched in the clause, then the sentence.
KIND_WORDS: tuple[tuple[str, str], ...] = (
    (r"phấn đấu|mục tiêu|đến năm 20\d\d|định hướng", "target"),
    (r"đề xuất|đề nghị|xin", "requested"),
    (r"kế hoạch|phê duyệt|dự kiến|sẽ|giao (?:cho )?|dự toán|bố trí|phân bổ", "plan"),
    (r"đã|được|hoàn thành|kết quả|thực hiện|hỗ trợ", "actual"),
)
