"""Vocabulary matching: exact on folded text, fuzzy proposals with a score, REVIEW never guessed."""
from khuyencong.ingest import vocab


def test_exact_match_ignores_accents_case_and_tone_mark_placement():
    assert vocab.match("Đào tạo nghề", "category").code == "training"
    assert vocab.match("DAO TAO NGHE", "category").how == "exact"
    assert vocab.match("Huỷ", "status").code == vocab.match("Hủy", "status").code == "stopped"


def test_cleaner_production_is_never_circular_economy():
    assert vocab.match("Sản xuất sạch hơn", "category").code == "cleaner_production"


def test_review_labels_are_left_with_their_candidates():
    m = vocab.match("Tập huấn", "category")
    assert (m.how, m.code) == ("review", None)
    assert set(m.candidates) == {"training", "management", "programme_capacity"}


def test_fuzzy_match_is_a_proposal_with_a_score():
    m = vocab.match("Chuyển sang năm sau.", "status")
    assert m.how in ("exact", "proposed") and m.code == "deferred"
    m = vocab.match("Đào tạo nghề may", "category", threshold=80)
    assert m.how in ("proposed", "review") and (m.score or 0) >= 80


def test_nothing_close_is_unknown():
    assert vocab.match("xyz không liên quan gì", "category").how == "unknown"
    assert vocab.match("", "status").how == "unknown"


def test_new_status_codes_and_funding_roles():
    assert vocab.match("Đang thực hiện", "status").code == "ongoing"
    assert vocab.match("Kế hoạch", "status").code == "planned"
    assert vocab.match("NSTW", "funding").role == "state_national"
    assert vocab.codes("status") >= {"completed", "planned", "ongoing"}
