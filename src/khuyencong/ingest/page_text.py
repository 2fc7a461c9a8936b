"""The running text of a saved page or report (HTML, plain text, ``.docx``, text ``.pdf``) and its provenance.

``extract`` reads figures from sentences, not tables, so this reads *paragraphs*: the visible text of
an HTML page (scripts, styles, navigation and forms skipped; block elements end a line), every
paragraph and table cell of a Word file, the text layer of a PDF (lines broken inside a sentence rejoined). Bytes are decoded and sniffed by
the table readers' own helpers (:func:`khuyencong.ingest.csvfile.decode_bytes`,
:func:`khuyencong.ingest.formats.sniff`); a scanned PDF raises :class:`~khuyencong.ingest.formats.NeedsOcrError`.

Provenance comes from the page itself: ``og:url``/``og:title``/``og:site_name``, ``<link rel=canonical>``,
``article:published_time`` (or ``og:published_time``, ``pubdate``, ``date`` meta) and JSON-LD
(``datePublished``, ``headline``, ``publisher.name``, ``url``); then ``<title>``. A plain-text file may
open with a header block (``url: …``, ``outlet: …``, ``title: …``, ``published: …`` lines ended by
``---``), as stored copies of pages are kept. What is not found stays empty, to be filled in review.
"""
from __future__ import annotations

import io
import json
import re
import unicodedata
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from khuyencong.ingest.csvfile import decode_bytes
from khuyencong.ingest.formats import NeedsOcrError, sniff
from khuyencong import limits
from khuyencong.ingest import zipbounds
from khuyencong.ingest.zipbounds import UnreadableFileError

__all__ = ["Page", "read_page", "page_from_text"]

PROVENANCE_KEYS = ("url", "outlet", "title", "published")
_SKIP_TAGS = frozenset({"script", "style", "noscript", "nav", "form", "button", "select", "svg", "template",
                        "iframe", "head"})
_BLOCK_TAGS = frozenset({"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
                         "article", "header", "footer", "blockquote", "figcaption", "td", "th", "ul", "ol",
                         "dd", "dt", "time"})
_VOID_TAGS = frozenset({"br", "img", "meta", "link", "input", "hr", "source", "wbr"})
_META_KEYS = {
    "og:url": "url", "og:title": "title", "og:site_name": "outlet",
    "article:published_time": "published", "og:published_time": "published", "pubdate": "published",
    "publishdate": "published", "date": "published", "dc.date.issued": "published",
}
_HEADER_LINE = re.compile(r"^(url|outlet|title|published|coverage)\s*:\s*(.*)$")
_DATE = re.compile(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


@dataclass
class Page:
    """A page's running text and what it says of itself (empty strings where unknown)."""

    text: str
    url: str = ""
    outlet: str = ""
    title: str = ""
    published: str = ""
    kind: str = "text"
    notes: dict[str, str] = field(default_factory=dict)  # e.g. coverage from a stored header

    def provenance(self) -> dict[str, str]:
        return {k: getattr(self, k) for k in PROVENANCE_KEYS}


def _date(text: str) -> str:
    """``2019-04-18T10:03:00+07:00`` → ``2019-04-18``; anything without a year → ``""``."""
    m = _DATE.search(text or "")
    return "-".join(g for g in m.groups() if g) if m else ""


class _TextParser(HTMLParser):
    """Visible text (one block per line), meta tags and JSON-LD of an HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.skip = 0
        self.meta: dict[str, str] = {}
        self.jsonld: list[str] = []
        self.in_jsonld = False
        self.in_title = False
        self.title = ""

    def _flush(self) -> None:
        line = " ".join("".join(self.current).split())
        if line:
            self.lines.append(line)
        self.current = []

    def handle_starttag(self, tag, attrs):
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in _META_KEYS and a.get("content") and _META_KEYS[key] not in self.meta:
                self.meta[_META_KEYS[key]] = a["content"].strip()
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.meta.setdefault("canonical", a["href"].strip())
            return
        if tag == "script" and "ld+json" in a.get("type", ""):
            self.in_jsonld = True
        if tag == "title":
            self.in_title = True
        if tag in _SKIP_TAGS and tag not in _VOID_TAGS:
            self.skip += 1
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag):
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        if tag == "script":
            self.in_jsonld = False
        if tag == "title":
            self.in_title = False
        if tag in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data):
        if self.in_jsonld:
            self.jsonld.append(data)
        elif self.in_title:
            self.title += data
        elif not self.skip:
            self.current.append(data)


def _jsonld_fields(blocks: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}

    def visit(node):
        if isinstance(node, list):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            if "@graph" in node:
                visit(node["@graph"])
            for src, dst in (("datePublished", "published"), ("headline", "title"), ("url", "url"),
                             ("mainEntityOfPage", "url")):
                value = node.get(src)
                if isinstance(value, dict):
                    value = value.get("@id", "")
                if isinstance(value, str) and value.strip():
                    found.setdefault(dst, value.strip())
            publisher = node.get("publisher")
            if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
                found.setdefault("outlet", publisher["name"].strip())

    for block in blocks:
        try:
            visit(json.loads(block))
        except ValueError:
            continue
    return found


def _html_page(text: str) -> Page:
    parser = _TextParser()
    parser.feed(text)
    parser.close()
    parser._flush()
    ld = _jsonld_fields(parser.jsonld)
    meta = parser.meta
    url = meta.get("url") or meta.get("canonical") or ld.get("url", "")
    title = meta.get("title") or ld.get("title") or " ".join(parser.title.split())
    return Page("\n".join(parser.lines), url=url if url.startswith(("http://", "https://")) else "",
                outlet=meta.get("outlet") or ld.get("outlet", ""), title=title,
                published=_date(meta.get("published") or ld.get("published", "")), kind="html")


def page_from_text(text: str) -> Page:
    """A plain text, with its header block (``key: value`` lines, then ``---``) read when present."""
    text = unicodedata.normalize("NFC", text)
    head, sep, body = text.partition("\n---\n")
    lines = head.splitlines()
    if sep and lines and all(_HEADER_LINE.match(ln) for ln in lines if ln.strip()):
        fields = {m[1]: m[2].strip() for m in map(_HEADER_LINE.match, lines) if m}
        page = Page(body, kind="text", notes={"coverage": fields.get("coverage", "")})
        for key in PROVENANCE_KEYS:
            value = fields.get(key, "")
            setattr(page, key, _date(value) if key == "published" and value else value)
        if page.title.startswith("(not in stored text"):
            page.title = ""
        return page
    return Page(text, kind="text")


def _docx_page(data: bytes, path: Path) -> Page:
    import docx

    with zipbounds.open_zip(data, path.name) as zf:  # sizes and tables counted before python-docx expands them
        zipbounds.check_word(zf, path.name)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several types for damaged packages
        raise UnreadableFileError(f"{path.name}: cannot read the Word document ({exc})") from exc
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(dict.fromkeys(c.text for c in row.cells)))
    props = document.core_properties
    return Page("\n".join(ln for ln in lines if ln.strip()), title=props.title or "",
                published=props.created.date().isoformat() if props.created else "", kind="docx")


def _pdf_page(data: bytes, path: Path) -> Page:
    import pdfplumber

    try:
        pdf = pdfplumber.open(io.BytesIO(data))
    except Exception as exc:  # pdfminer raises many types for damaged files
        raise UnreadableFileError(f"{path.name}: cannot read the PDF ({exc})") from exc
    with pdf:
        limits.PAGES.check(zipbounds.pdf_pages(pdf.doc), path.name)  # pages counted before any is read
        text = "\n".join(page.extract_text() or "" for page in pdf.pages)
    if not text.strip():
        raise NeedsOcrError(f"{path.name}: the PDF has no text layer (a scan): it needs OCR before figures "
                            "can be read from it")
    # a PDF breaks lines where the page is full, often inside a figure ("1,2 tỷ / đồng"): rejoin them
    text = re.sub(r"(?<![.!?:;…])[ \t]*\n(?=[^\W_])", " ", text)
    return Page(unicodedata.normalize("NFC", text), kind="pdf")


def read_page(path: Path | str) -> Page:
    """The running text and provenance of ``path`` (HTML, text, .docx or text PDF)."""
    path = Path(path)
    data = path.read_bytes()
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lower()
    kind = "html" if re.search(rb"<(html|!doctype html|head|body|meta|p)[\s>]", head) else sniff(data, path)
    if kind == "docx":
        return _docx_page(data, path)
    if kind == "pdf":
        return _pdf_page(data, path)
    if kind not in ("html", "csv"):
        raise UnreadableFileError(f"{path.name}: a {kind} file; extract reads web pages, text, .docx and .pdf")
    try:
        text, _ = decode_bytes(data)
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"{path.name}: text in an unknown encoding; save it as UTF-8") from exc
    return _html_page(text) if kind == "html" else page_from_text(text)
