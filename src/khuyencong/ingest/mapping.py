"""The mapping a user reviews once: a file's headers → our columns, its values → our codes.

``khuyencong map FILE`` calls :func:`propose_mapping` and :func:`write_mapping`, which writes
``FILE.mapping.yml`` next to the file. Every proposal carries its evidence (how it matched, the
vocabulary label, the similarity score, the rows where the value occurs). Exact matches are
confident; fuzzy ones are written as proposals the header comment asks the user to check; labels
the vocabulary marks REVIEW, or that nothing matches, are written with ``code: null`` (or
``role: null``) and stay unapplied until the user fills them in. :func:`load_mapping` reads a
reviewed file back and refuses a wrong one with a :class:`~khuyencong.errors.ConfigurationError`
naming the key.

Roles and the register columns they feed: ``title`` → title, ``category`` → category,
``beneficiary`` → establishment_name, ``district`` → district, ``province`` → province, ``year`` →
year, ``state_national`` + ``state_local`` → state_support (and funding_source from which is
non-zero), ``state_total`` → state_support, ``beneficiary_contribution`` → beneficiary_contribution,
``total`` → total_cost, ``status`` → status; ``stt``, ``implementer``, ``time``, ``note`` are kept as
text; ``ignore`` drops the column.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from khuyencong.core import provinces
from khuyencong.core.datasets import UNCLASSIFIED, YEAR_MAX, YEAR_MIN, categories
from khuyencong.errors import ConfigurationError
from khuyencong.files import atomic_write_text, load_yaml
from khuyencong.ingest import annex, vocab
from khuyencong.ingest.formats import cell_text

SUFFIX = ".mapping.yml"
VERSION = 1
FUNDING_CODES = ("KCQG", "KCDP")
VALUE_KINDS = {"category": "category", "status": "status", "province": "province",
               "category_from_title": "category"}  # a project title → the category its words name
#: Roles several columns may share (the first filled one is read); any other role belongs to one column.
SHARED_ROLES = ("stt", "district", "implementer", "time", "note", "ignore")
_FILE_KEYS = ("province", "year", "unit", "funding_source", "status_when_absent")


@dataclass
class Mapping:
    """A (proposed or reviewed) mapping; ``None`` codes/roles are left for the user."""

    file: str
    dataset: str = "register"
    province: str | None = None
    year: int | None = None
    unit: str | None = None
    funding_source: str | None = None
    status_when_absent: str = "planned"
    columns: dict[str, dict] = field(default_factory=dict)  # header → {role, how, alias, score}
    values: dict[str, dict[str, dict]] = field(default_factory=dict)  # kind → label → {code, ...}
    evidence: dict[str, str] = field(default_factory=dict)  # file-level key → where it was read

    def role(self, header: str) -> str | None:
        return (self.columns.get(header) or {}).get("role")

    def role_of(self, col: annex.Column) -> str | None:
        """The role of a table column: the mapping's when it lists the header, else the one proposed."""
        return self.role(col.header) if col.header in self.columns else col.role

    def code(self, kind: str, label: str) -> str | None:
        return (self.values.get(kind, {}).get(label) or {}).get("code")

    def to_review(self) -> list[str]:
        """What the user must decide or check, one line each."""
        out = [f"columns: {h!r} has no role" for h, e in self.columns.items() if not e.get("role")]
        out += [f"columns: {h!r} → {e['role']} is a fuzzy proposal (score {e.get('score')})"
                for h, e in self.columns.items() if e.get("how") == "proposed"]
        out += [f"columns: {h!r} → {e['role']} is read from its money words" for h, e in self.columns.items()
                if e.get("how") == "words"]
        for kind, table in self.values.items():
            for label, e in table.items():
                if e.get("code") is None:
                    out.append(f"values.{kind}: {label!r} needs a code ({e.get('how')}"
                               + (f"; candidates {'|'.join(e['candidates'])}" if e.get("candidates") else "") + ")")
                elif e.get("how") == "proposed":
                    out.append(f"values.{kind}: {label!r} → {e['code']} is a fuzzy proposal (score {e.get('score')})")
        unnamed = [t for t, e in self.values.get("category_from_title", {}).items() if e.get("how") == "none"]
        if unnamed:  # kept as unclassified, never rejected: a code here classifies them
            out.append(f"values.category_from_title: {len(unnamed)} title(s) name no content and stay unclassified "
                       f"(e.g. {unnamed[0]!r}); give a code to classify them")
        out += [f"file_values.{k}: not found in the file; set it here or on the command line"
                for k in ("province", "year") if getattr(self, k) is None]
        return out


def keep_reviewed(new: Mapping, previous: Path) -> list[str]:
    """Carry into ``new`` (a fresh proposal) every decision of the mapping already at ``previous``: a role,
    code or file value that differs from what the vocabulary proposes now. One line per decision kept.

    A mapping that cannot be read, or that was written for another file, is an error: ``map --force``
    starts over instead of losing a reviewer's work without a word.
    """
    old = load_mapping(previous)
    if old.file and old.file != new.file:
        raise _bad(previous, "file", f"this mapping was written for {old.file!r}, not {new.file!r}: move it away, "
                   "or run `khuyencong map --force` to start over")
    kept = []
    for header, entry in old.columns.items():
        if header in new.columns and entry.get("role") != new.columns[header].get("role"):
            new.columns[header] = entry
            kept.append(f"columns: {header!r} → {entry.get('role')}")
    for kind, table in old.values.items():
        fresh = new.values.setdefault(kind, {})
        for label, entry in table.items():
            if label in fresh and entry.get("code") != fresh[label].get("code"):
                fresh[label] = entry
                kept.append(f"values.{kind}: {label!r} → {entry.get('code')}")
    for key in _FILE_KEYS:
        if getattr(old, key) is not None and getattr(old, key) != getattr(new, key):
            setattr(new, key, getattr(old, key))
            new.evidence[key] = old.evidence.get(key, "kept from the reviewed mapping")
            kept.append(f"file_values.{key}: {getattr(old, key)!r}")
    return kept


def mapping_path(path: Path | str) -> Path:
    """Where the mapping of ``path`` lives: ``FILE.mapping.yml`` beside it."""
    path = Path(path)
    return path.with_name(path.name + SUFFIX)


# ---------------------------------------------------------------- proposing

def _evidence(m: vocab.Match, rows: list[int] | None = None) -> dict:
    out: dict = {"how": m.how}
    if m.alias and m.how != "unknown":
        out["alias"] = m.alias
    if m.score is not None:
        out["score"] = float(m.score)
    if m.candidates:
        out["candidates"] = list(m.candidates)
    if rows:
        out["rows"] = rows[:5]
    return out


def _value_labels(layouts: list[annex.Layout]) -> dict[str, dict[str, list[int]]]:
    """kind → printed label → rows where it occurs: the value columns; section headings that name a
    category (``section``); and, where neither gives one, the project titles (``category_from_title``)."""
    found: dict[str, dict[str, list[int]]] = {k: {} for k in (*VALUE_KINDS, "section")}
    for lay in layouts:
        cols = {c.role: c.index for c in lay.columns if c.role in VALUE_KINDS}
        title = next((c.index for c in lay.columns if c.role == "title"), None)
        for row in lay.rows:
            if row.kind != "data":
                continue
            for kind, idx in cols.items():
                if text := cell_text(row.cells[idx]):
                    found[kind].setdefault(text, []).append(row.row)
            if "category" in cols:
                continue
            section = row.context.get("category")
            if section and _category_code(section).code:
                found["section"].setdefault(section, []).append(row.row)
            elif (text := cell_text(row.cells[title]) if title is not None else row.text):
                found["category_from_title"].setdefault(text, []).append(row.row)
    return found


def _category_code(label: str) -> vocab.Match:
    """A section heading's category: the vocabulary's, else the words of the heading."""
    match = vocab.match(label, "category")
    return match if match.code else vocab.category_from_title(label) or match


#: "tỉnh Hải Dương (cũ), nay là TP. Hải Phòng": the legacy province is the one printed before "(cũ)".
_FORMER = re.compile(r"^(.*?)\s*\(\s*c[ũu]\s*\)", re.IGNORECASE)


def _province_match(label: str) -> dict:
    former = _FORMER.match(label)
    try:
        record = provinces.normalize_province(former.group(1) if former else label)
    except provinces.ProvinceError as exc:
        return {"code": None, "how": "unknown", "why": str(exc).split(". Nothing")[0]}
    if former:
        return {"code": record.name, "how": "former", "why": "the legacy province printed before '(cũ)'"}
    return {"code": record.name, "how": "exact" if record.name == label else "alias"}


def role_clashes(lay: annex.Layout, role_of) -> list[tuple[str, list[str]]]:
    """(role, its headers) for every role that ``role_of(column)`` gives to two headers or more outside year
    blocks (roles in :data:`SHARED_ROLES` aside): one of those columns would be dropped without a word."""
    groups: dict[tuple, list[str]] = {}
    for col in lay.columns:
        role = role_of(col)
        if role and role not in SHARED_ROLES:
            groups.setdefault((role, col.year, col.block), []).append(col.header)
    return [(key[0], headers) for key, headers in groups.items() if len(headers) > 1]


def _one_header_per_role(m: Mapping, lay: annex.Layout) -> None:
    """Where the vocabulary proposes one role for two headers, the best match keeps it (the first among
    equals) and the others are left for review."""
    for role, headers in role_clashes(lay, lambda col: (m.columns.get(col.header) or {}).get("role")):
        winner = max(headers, key=lambda h: m.columns[h].get("score") or 0)
        for header in headers:
            if header != winner:
                m.columns[header].update(role=None, how="review", candidates=[role],
                                         why=f"{winner!r} is also proposed as {role}")


def propose_mapping(path: Path | str, layouts: list[annex.Layout], dataset: str = "register") -> Mapping:
    """The proposal for the file at ``path`` whose tables are ``layouts``."""
    m = Mapping(Path(path).name, dataset)
    for lay in layouts:
        for col in lay.columns:
            if col.header and col.header not in m.columns:
                m.columns[col.header] = {"role": col.role, **_evidence(col.match)}
        _one_header_per_role(m, lay)
    for kind, labels in _value_labels(layouts).items():
        table = m.values.setdefault("category" if kind == "section" else kind, {})
        for label, rows in labels.items():
            if kind == "province":
                table[label] = {**_province_match(label), "rows": rows[:5]}
            elif kind == "section":
                match = _category_code(label)
                table[label] = {"code": match.code, **_evidence(match, rows)}
            elif kind == "category_from_title":
                match = vocab.category_from_title(label) or vocab.Match(label, "none", UNCLASSIFIED)
                table[label] = {"code": match.code, **_evidence(match, rows)}
            else:  # a date or remark in brackets ("Đã nghiệm thu (tháng 12/2021)") says nothing of the code
                text = re.sub(r"\([^()]*\)", " ", label).strip() or label
                if kind == "status":  # "Không thực hiện; trả lại nguồn ngân sách": the remark after ';' neither
                    text = text.split(";")[0].strip() or text
                match = vocab.match(text, kind)
                if kind == "category" and match.how == "unknown":  # a content column printing the thing supported
                    match = vocab.category_from_title(text) or match  # ("Máy sàng hạt giống"): its words decide
                table[label] = {"code": match.code, **_evidence(match, rows)}
    if layouts:
        _file_values(m, layouts[0].facts)
        for key in ("funding_source", "year"):  # tables of different programmes or years (a sheet per year):
            if len({str(getattr(lay.facts, key) and getattr(lay.facts, key).value) for lay in layouts}) > 1:
                setattr(m, key, None)  # each table's own title decides
                m.evidence.pop(key, None)
    if not any(lay.role_column("status") for lay in layouts):
        m.evidence["status_when_absent"] = "no status column: every row is a planned project (plan annex)"
    return m


def _file_values(m: Mapping, facts: annex.Facts) -> None:
    for key in ("province", "year", "unit", "funding_source"):
        fact = getattr(facts, key)
        if fact is not None:
            setattr(m, key, fact.value)
            m.evidence[key] = fact.source
    if facts.province_unknown is not None:
        m.evidence["province"] = (f"{facts.province_unknown.source}: {facts.province_unknown.value!r} is not one "
                                  "of our provinces; set it here or with --file-province")


# ---------------------------------------------------------------- writing and reading

def as_dict(m: Mapping) -> dict:
    """The mapping as the plain data written to YAML (stable key order)."""
    return {
        "version": VERSION,
        "file": m.file,
        "dataset": m.dataset,
        "file_values": {k: getattr(m, k) for k in _FILE_KEYS},
        "evidence": dict(m.evidence),
        "columns": m.columns,
        "values": {k: m.values.get(k, {}) for k in VALUE_KINDS if m.values.get(k)},
    }


def dumps(m: Mapping) -> str:
    """YAML text with a header comment saying what to review."""
    review = m.to_review()
    lines = [f"# khuyencong mapping for {m.file}: review it, then run `khuyencong validate` / `clean`.",
             "# Roles: " + ", ".join(annex.ROLES) + ".",
             "# A null code or role is left for you: nothing is applied until you fill it in."]
    lines += ["# To review:"] + [f"#   - {line}" for line in review] if review else ["# Nothing to review."]
    body = yaml.safe_dump(as_dict(m), allow_unicode=True, sort_keys=False, width=110)
    return "\n".join(lines) + "\n" + body


def write_mapping(m: Mapping, target: Path | str) -> Path:
    """Write ``m`` atomically to ``target`` and return it."""
    target = Path(target)
    atomic_write_text(target, dumps(m))
    return target


def _bad(where: Path, key: str, why: str) -> ConfigurationError:
    return ConfigurationError(f"{where.name}: {key}: {why}")


def load_mapping(path: Path | str) -> Mapping:
    """Read and check a mapping file (see the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise ConfigurationError(f"{path.name}: not a file (a folder, a broken link?); write the mapping there, "
                                 "or run `khuyencong map` on the table file")
    data = load_yaml(path, error=ConfigurationError)
    if not isinstance(data, dict):
        raise _bad(path, "(top level)", "expected a mapping of keys")
    if data.get("version") != VERSION:
        raise _bad(path, "version", f"expected {VERSION}, found {data.get('version')!r}")
    unknown = set(data) - {"version", "file", "dataset", "file_values", "evidence", "columns", "values"}
    if unknown:
        raise _bad(path, sorted(unknown)[0], "unknown key")
    m = Mapping(str(data.get("file", "")), str(data.get("dataset", "register")))
    _load_file_values(m, data.get("file_values") or {}, path)
    evidence = data.get("evidence") or {}
    if not isinstance(evidence, dict):
        raise _bad(path, "evidence", f"expected key: where it was read, found {evidence!r}")
    m.evidence = {str(k): str(v) for k, v in evidence.items()}
    m.columns = _load_columns(data.get("columns") or {}, path)
    m.values = _load_values(data.get("values") or {}, path)
    return m


def _load_file_values(m: Mapping, values: dict, path: Path) -> None:
    if not isinstance(values, dict) or set(values) - set(_FILE_KEYS):
        raise _bad(path, "file_values", f"keys must be among {', '.join(_FILE_KEYS)}")
    for key, value in values.items():
        if value is not None and not isinstance(value, (str, int)) or isinstance(value, bool):
            raise _bad(path, f"file_values.{key}", f"expected one value (text or a year), found {value!r}")
    if (prov := values.get("province")) is not None:
        try:
            m.province = provinces.normalize_province(str(prov)).name
        except provinces.ProvinceError as exc:
            raise _bad(path, "file_values.province", str(exc)) from exc
    year = values.get("year")
    if year is not None and (not isinstance(year, int) or not YEAR_MIN <= year <= YEAR_MAX):
        raise _bad(path, "file_values.year", f"{year!r} is not a year in {YEAR_MIN}–{YEAR_MAX}")
    m.year = year
    unit = values.get("unit")
    if unit is not None and unit not in annex.UNITS:
        raise _bad(path, "file_values.unit", f"{unit!r} is not one of {', '.join(annex.UNITS)}")
    m.unit = unit
    funding = values.get("funding_source")
    if funding is not None and funding not in FUNDING_CODES:
        raise _bad(path, "file_values.funding_source", f"{funding!r} is not KCQG or KCDP")
    m.funding_source = funding
    status = values.get("status_when_absent", "planned")
    if status not in vocab.codes("status"):
        raise _bad(path, "file_values.status_when_absent", f"{status!r} is not a status code")
    m.status_when_absent = status


def _load_columns(columns: dict, path: Path) -> dict[str, dict]:
    if not isinstance(columns, dict):
        raise _bad(path, "columns", "expected header: {role: ...} entries")
    for header, entry in columns.items():
        if entry is not None and not isinstance(entry, dict):
            raise _bad(path, f"columns.{header}", f"expected a mapping such as {{role: state_local}}, found "
                       f"{type(entry).__name__} {entry!r}: write `role: {entry}` on its own line under the header")
        role = (entry or {}).get("role")
        if role is not None and role not in annex.ROLES:
            raise _bad(path, f"columns.{header}.role", f"{role!r} is not one of {', '.join(annex.ROLES)}")
    return {str(h): dict(e or {"role": None}) for h, e in columns.items()}


def _allowed(kind: str) -> frozenset[str]:
    if VALUE_KINDS[kind] == "category":
        return frozenset(c.code for c in categories())
    if kind == "status":
        return vocab.codes("status")
    return frozenset(p.name for p in provinces.records(provinces.LEGACY, include_ha_tay=True))


def _load_values(values: dict, path: Path) -> dict[str, dict[str, dict]]:
    if not isinstance(values, dict) or set(values) - set(VALUE_KINDS):
        raise _bad(path, "values", f"keys must be among {', '.join(VALUE_KINDS)}")
    out: dict[str, dict[str, dict]] = {}
    for kind, table in values.items():
        if table is not None and not isinstance(table, dict):
            raise _bad(path, f"values.{kind}", f"expected printed label: {{code: ...}} entries, found {table!r}")
        allowed = _allowed(kind)
        for label, entry in (table or {}).items():
            if entry is not None and not isinstance(entry, dict):
                raise _bad(path, f"values.{kind}.{label}", f"expected a mapping such as {{code: training}}, found "
                           f"{type(entry).__name__} {entry!r}: write `code: {entry}` on its own line under the label")
            code = (entry or {}).get("code")
            if code is not None and (not isinstance(code, str) or code not in allowed):
                raise _bad(path, f"values.{kind}.{label}.code", f"{code!r} is not a {VALUE_KINDS[kind]} code")
        out[kind] = {str(k): dict(v or {"code": None}) for k, v in (table or {}).items()}
    return out
