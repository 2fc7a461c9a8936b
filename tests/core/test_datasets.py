from khuyencong.core import datasets
from khuyencong import paths


def test_raw_readme_documents_the_current_specification():
    text = (paths.raw_dir() / "README.md").read_text(encoding="utf-8")
    block = text.split(datasets.README_START, 1)[1].split(datasets.README_END, 1)[0]
    assert block.strip() == datasets.all_columns_markdown().strip(), (
        "data/raw/README.md is out of date: run `python -m khuyencong.core.datasets`"
    )


def test_every_column_is_described_in_both_languages():
    for dataset in datasets.DATASETS.values():
        for col in dataset.columns:
            assert col.vi and col.en and col.description_vi and col.description_en, (dataset.name, col.name)
            assert col.kind in datasets._KIND_LABELS


def test_keys_are_columns_and_required():
    for dataset in datasets.DATASETS.values():
        for key in dataset.key:
            assert dataset.column(key).required, (dataset.name, key)


def test_categories_have_unique_codes_and_known_output_columns():
    cats = datasets.categories()
    codes = [c.code for c in cats]
    assert len(codes) == len(set(codes))
    register_columns = {c.name for c in datasets.REGISTER.columns}
    assert {c.output_column for c in cats if c.output_column} <= register_columns
    assert {c.since for c in cats} <= {2012, 2025}
