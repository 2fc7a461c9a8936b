"""A table column as the reader sees it, and the roles a column can play.

Shared by the header reader (:mod:`khuyencong.ingest.annex`), the row classifier
(:mod:`khuyencong.ingest.row_kinds`) and the mapping (:mod:`khuyencong.ingest.mapping`).
"""
from __future__ import annotations

from dataclasses import dataclass

from khuyencong.ingest import vocab

MONEY_ROLES = ("state_national", "state_local", "state_total", "beneficiary_contribution", "total")
#: Roles whose cells are kept as printed text; the count roles are whole numbers of outputs.
TEXT_ROLES = ("project_id", "establishment_id", "industry")
COUNT_ROLES = ("trainees", "machines")
ROLES = ("stt", "title", "category", "beneficiary", "implementer", "district", "province", "year", "time",
         *MONEY_ROLES, "funding_source", *TEXT_ROLES, *COUNT_ROLES, "status", "note", "ignore")


@dataclass
class Column:
    index: int
    header: str  # printed, "Parent / Child" under a merged parent
    role: str | None  # proposed role (None: the vocabulary did not know the header)
    match: vocab.Match
    unit: str | None = None  # unit printed in the header, e.g. "tỷ đồng"
    year: int | None = None  # a year block's year ("Kế hoạch năm 2024 / KCĐP"): rows are unpivoted by it
    block: str = ""  # the parent header of a year or period block ("Đã thực hiện giai đoạn 2016 - 2018")
