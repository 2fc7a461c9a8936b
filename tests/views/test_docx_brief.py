"""The Word brief: built from the brief's document (same words and numbers as its PDF), Vietnamese
fonts, the data status on every page, stable bytes."""
import docx

from khuyencong.views import brief_doc, docx_brief


def document(synthetic: bool = True) -> brief_doc.BriefDocument:
    """A small brief document in Vietnamese (no figures)."""
    mark = "DỮ LIỆU MÔ PHỎNG (SYNTHETIC)" if synthetic else "DỮ LIỆU THẬT (REAL)"
    headings = {k: k for k in brief_doc.HEADINGS}
    return brief_doc.BriefDocument(
        lang="vi", title="Bản tin khuyến công: Cần Thơ", subtitle="Ranh giới 34 tỉnh · số liệu 2022–2024",
        synthetic=synthetic, status_title=mark, status_text="Bảng dùng: sổ đề án.",
        areas=("Cần Thơ", "Đồng bằng sông Cửu Long", "Cả nước"), numbers_note="Mỗi ô: ước lượng.",
        lines=(brief_doc.Line("Tỷ lệ đối ứng", (("2,39", "[1,54; 3,13]", ""), ("—", "", ""), ("—", "", "")),
                              "không so sánh được"),),
        reading=("Cần Thơ: mỗi đồng ngân sách đi kèm 2,39 đồng vốn đối ứng.",), map=None, figures=(),
        figure_notes=("Không vẽ được nghiên cứu sự kiện.",), published_note="Không có số liệu đã công bố.",
        references=(brief_doc.Reference("Tổng kinh phí", "Cần Thơ", "2019", "gần 6,7 tỷ đồng", "Báo Cần Thơ",
                                        "Khuyến công năm 2019", "12/5/2019"),),
        method=("Lưu ý một.",), headings=headings)


def test_the_word_brief_carries_the_documents_numbers_and_words(tmp_path):
    brief = document()
    path = docx_brief.save(docx_brief.build(brief, tmp_path), tmp_path / "b.docx")
    again = docx_brief.save(docx_brief.build(brief, tmp_path), tmp_path / "c.docx")
    assert path.read_bytes() == again.read_bytes()
    opened = docx.Document(path)
    cells = [[c.text for c in row.cells] for row in opened.tables[0].rows]
    assert cells[1] == ["Tỷ lệ đối ứng", "2,39\n[1,54; 3,13]", "—", "—", "không so sánh được"]
    text = "\n".join(p.text for p in opened.paragraphs)
    for line in (brief.title, brief.subtitle, brief.reading[0], brief.method[0], brief.figure_notes[0]):
        assert line in text
    assert [c.text for c in opened.tables[1].rows[1].cells][-1] == "Báo Cần Thơ, “Khuyến công năm 2019”, 12/5/2019"
    fonts = opened.styles["Normal"].element.rPr.rFonts
    assert {fonts.get(f"{{{fonts.nsmap['w']}}}{k}") for k in ("ascii", "eastAsia", "cs")} == {"DejaVu Sans"}


def test_every_page_of_the_word_brief_carries_the_data_status(tmp_path):
    """Issue 19: a printed Word page carried no SYNTHETIC mark (empty header and footer)."""
    for synthetic in (True, False):
        brief = document(synthetic)
        doc = docx_brief.build(brief, tmp_path)
        assert all(brief.mark in part.paragraphs[0].text for s in doc.sections for part in (s.header, s.footer))


def test_the_document_round_trips_through_its_file(tmp_path):
    brief = document()
    brief_doc.save(tmp_path, brief)
    assert brief_doc.load(tmp_path) == brief
