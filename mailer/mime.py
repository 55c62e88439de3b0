"""Read a raw incoming email defensively: headers, body texts, files and delivery reports.

Pure and tolerant (SPEC §8 «bad input gets a clear note»): malformed MIME, unknown charsets,
broken base64 and absurd nesting never raise here; the walk is capped instead.
"""

from __future__ import annotations

import codecs
import email
import email.header
import email.parser
import email.policy
import mimetypes
import re
import unicodedata
from dataclasses import dataclass, field
from email.message import Message

from bridge.core.filenames import WINDOWS_RESERVED
from mailer.flowed import decode_flowed

MAX_PARTS = 1000          # parts visited per message; the rest is ignored (and said so)
MAX_DEPTH = 50            # MIME nesting followed
MAX_TEXT_CHARS = 500_000  # per body text; a department answer is never longer
MAX_FILENAME = 150

# Labels seen in Russian mail that Python does not know under that spelling.
CHARSET_ALIASES = {
    "win-1251": "cp1251", "windows1251": "cp1251", "cp-1251": "cp1251", "x-cp1251": "cp1251",
    "koi8r": "koi8_r", "koi8": "koi8_r", "x-mac-cyrillic": "mac_cyrillic",
    "unicode-1-1-utf-7": "utf_7", "utf8": "utf_8", "x-unknown": "", "unknown-8bit": "",
}
# Python codecs that are not charsets: they would interpret backslash escapes or labels.
NOT_MAIL_CHARSETS = {"unicode-escape", "raw-unicode-escape", "idna", "punycode", "undefined"}
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
SURROGATE_ESCAPE = re.compile("[\udc80-\udcff]")     # raw 8-bit bytes read as ASCII
OTHER_SURROGATE = re.compile("[\ud800-\udc7f\udd00-\udfff]")
SIGNATURE_TYPES = {"application/pkcs7-signature", "application/x-pkcs7-signature",
                   "application/pgp-signature"}
REPORT_TYPES = {"message/delivery-status", "message/disposition-notification",
                "text/rfc822-headers", "message/feedback-report"}
FOLDING = re.compile(r"[\r\n\t]+\s*")      # a folded header line, unfolded to one space
CID_RE = re.compile(r"cid:([^\"'\s>)]+)", re.IGNORECASE)


@dataclass
class FilePart:
    """A part carrying a file, before the cid: check (the HTML may reference it)."""
    filename: str
    content_type: str
    data: bytes
    content_id: str


@dataclass
class MailParts:
    """Everything `parse_reply` needs from one message, already decoded."""
    headers: dict[str, list[str]] = field(default_factory=dict)
    content_type: str = "text/plain"
    report_type: str = ""
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    files: list[FilePart] = field(default_factory=list)
    dsn_blocks: list[dict[str, str]] = field(default_factory=list)
    embedded_headers: list[dict[str, list[str]]] = field(default_factory=list)
    truncated: bool = False
    raw_from: str = ""      # From as sent: encoded words undecoded, for the sender's address

    def header(self, name: str) -> str:
        values = self.headers.get(name.lower())
        return values[0] if values else ""


def guess_cyrillic(data: bytes) -> str:
    """Decode unlabelled or mislabelled bytes: UTF-8 if valid, else the likelier of cp1251/koi8-r."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best, best_score = "", -1
    for codec in ("cp1251", "koi8_r"):
        text = data.decode(codec, errors="replace")
        # Russian prose is mostly lower case; decoding with the wrong one of the two swaps case.
        score = sum(1 for ch in text if "а" <= ch <= "я")
        if score > best_score:
            best, best_score = text, score
    return best


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode with the declared charset when Python knows it as a mail charset, else guess."""
    label = (charset or "").strip().strip('"').lower()
    codec = CHARSET_ALIASES.get(label, label)
    if codec:
        try:
            if codecs.lookup(codec).name not in NOT_MAIL_CHARSETS:
                return scrub(data.decode(codec))
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
    return guess_cyrillic(data)


def scrub(text: str) -> str:
    """No lone surrogate leaves the parser (UTF-7 and UTF-16 can carry one): the store, the
    workbook and the JSON line could not encode it."""
    return LONE_SURROGATE.sub("\ufffd", text) if LONE_SURROGATE.search(text) else text


def repair_surrogates(text: str) -> str:
    """Headers carrying raw 8-bit bytes come back with surrogate escapes: decode them properly."""
    if not SURROGATE_ESCAPE.search(text):
        return scrub(text)
    text = OTHER_SURROGATE.sub("\ufffd", text)
    return guess_cyrillic(text.encode("utf-8", "surrogateescape"))


def decode_header_value(value: object) -> str:
    """RFC 2047 words and raw 8-bit in a header, unfolded, to one clean line."""
    text = str(value)
    if text.isascii() and "=?" not in text:   # most headers: nothing to decode or repair
        return FOLDING.sub(" ", text).strip() if FOLDING.search(text) else text.strip()
    text = repair_surrogates(text)
    try:
        chunks = email.header.decode_header(text)
        text = "".join(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset)
                       for chunk, charset in chunks)
    except Exception:  # noqa: BLE001 - a broken encoded word keeps its raw text
        pass
    return scrub(FOLDING.sub(" ", text).strip())


def read_headers(msg: Message) -> dict[str, list[str]]:
    headers: dict[str, list[str]] = {}
    for name, value in msg.raw_items():
        headers.setdefault(str(name).strip().lower(), []).append(decode_header_value(value))
    return headers


def sanitize_filename(name: str, content_type: str = "") -> str:
    """A name that is safe on any disk: no path, no '..', no control chars, no CON/NUL, ≤150."""
    name = decode_header_value(name) if "=?" in name else repair_surrogates(name)
    name = "".join(ch for ch in scrub(name) if unicodedata.category(ch) not in ("Cc", "Cf"))
    name = re.split(r"[\\/]", name)[-1]
    name = re.sub(r'[<>:"|?*]', "_", name)
    name = re.sub(r"\.{2,}", ".", name).strip(" .")
    if not name:
        name = "вложение" + extension_for(content_type)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if stem.upper() in WINDOWS_RESERVED or name.upper() in WINDOWS_RESERVED:
        name = "_" + name
    if len(name) > MAX_FILENAME:
        suffix = "." + ext if ext and len(ext) <= 16 else ""
        name = name[: MAX_FILENAME - len(suffix)].rstrip(" .") + suffix
    return name


def extension_for(content_type: str) -> str:
    return mimetypes.guess_extension(content_type or "") or ".bin"


def part_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - broken transfer encoding: keep what is there
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    return raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else b""


def part_text(part: Message) -> str:
    try:
        charset = part.get_content_charset()
    except Exception:  # noqa: BLE001
        charset = None
    text = decode_bytes(part_bytes(part), charset)
    return text[:MAX_TEXT_CHARS]


def plain_text(part: Message) -> str:
    """A text/plain body; RFC 3676 flowed text has its soft line breaks joined."""
    text = part_text(part)
    try:
        flowed = str(part.get_param("format", "") or "").strip().lower() == "flowed"
        delsp = str(part.get_param("delsp", "") or "").strip().lower() == "yes"
    except Exception:  # noqa: BLE001 - a broken Content-Type reads as fixed text
        flowed = delsp = False
    return decode_flowed(text, delsp) if flowed else text


def part_filename(part: Message) -> str | None:
    """The decoded file name; raw 8-bit names (no RFC 2231/2047 at all) are guessed, since the
    email package would turn them into U+FFFD."""
    try:
        source = part
        raw = {str(k).lower(): str(v) for k, v in part.raw_items()}
        wanted = [h for h in ("content-disposition", "content-type") if h in raw]
        if any(repair_surrogates(raw[h]) != raw[h] for h in wanted):
            source = Message()
            for h in wanted:
                source[h] = repair_surrogates(raw[h])
        name = source.get_filename()
    except Exception:  # noqa: BLE001
        return None
    return str(name) if name else None


def is_attachment_disposition(part: Message) -> bool:
    return str(part.get("Content-Disposition", "")).strip().lower().startswith("attachment")


def load_message(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


def collect_parts(raw: bytes) -> MailParts:
    """Walk the message iteratively (no recursion, capped) and sort out what each part is."""
    msg = load_message(raw)
    parts = MailParts(headers=read_headers(msg), content_type=safe_type(msg),
                      report_type=str(msg.get_param("report-type", "") or "").lower(),
                      raw_from=str(msg.get("from", "") or ""))
    stack: list[tuple[Message, int]] = [(msg, 0)]
    visited = 0
    while stack:
        part, depth = stack.pop()
        visited += 1
        if visited > MAX_PARTS or depth > MAX_DEPTH:
            parts.truncated = True
            break
        children = visit_part(part, parts)
        stack.extend((child, depth + 1) for child in reversed(children))
    return parts


def safe_type(part: Message) -> str:
    try:
        return scrub(part.get_content_type().lower())
    except Exception:  # noqa: BLE001
        return "application/octet-stream"


def visit_part(part: Message, parts: MailParts) -> list[Message]:
    """Record one part; return the children to visit next."""
    ctype = safe_type(part)
    payload = part.get_payload()
    if ctype == "message/delivery-status":
        if isinstance(payload, list):
            parts.dsn_blocks.extend(dsn_block(b) for b in payload if isinstance(b, Message))
        else:
            parts.dsn_blocks.extend(parse_dsn_text(part_text(part)))
        return []
    if ctype == "text/rfc822-headers":
        inner = email.parser.HeaderParser(policy=email.policy.compat32).parsestr(part_text(part))
        parts.embedded_headers.append(read_headers(inner))
        return []
    if ctype == "message/rfc822" and isinstance(payload, list) and payload:
        return visit_embedded(part, payload[0], parts)
    if part.is_multipart():
        return [child for child in payload if isinstance(child, Message)] \
            if isinstance(payload, list) else []
    visit_leaf(part, ctype, parts)
    return []


def visit_embedded(part: Message, inner: Message, parts: MailParts) -> list[Message]:
    """A forwarded or bounced original: its headers help find the case; attached → a file."""
    parts.embedded_headers.append(read_headers(inner))
    if parts.content_type != "multipart/report" and (
            is_attachment_disposition(part) or part_filename(part)):
        try:
            data = inner.as_bytes()
        except Exception:  # noqa: BLE001
            data = b""
        name = part_filename(part) or (decode_header_value(inner.get("Subject", "")) + ".eml")
        parts.files.append(FilePart(sanitize_filename(name, "message/rfc822"),
                                    "message/rfc822", data, content_id_of(part)))
    return []


def visit_leaf(part: Message, ctype: str, parts: MailParts) -> None:
    name = part_filename(part)
    if ctype in REPORT_TYPES or ctype in SIGNATURE_TYPES:
        return
    if name is None and not is_attachment_disposition(part):
        if ctype == "text/plain":
            parts.plain.append(plain_text(part))
            return
        if ctype == "text/html":
            parts.html.append(part_text(part))
            return
        if ctype.startswith(("text/", "multipart/")):
            return
    parts.files.append(FilePart(sanitize_filename(name or "", ctype), ctype,
                                part_bytes(part), content_id_of(part)))


def content_id_of(part: Message) -> str:
    value = str(part.get("Content-ID", "") or "").strip()
    return value.strip("<>").strip().lower()


def dsn_block(block: Message) -> dict[str, str]:
    return {str(k).lower(): decode_header_value(v) for k, v in block.items()}


def parse_dsn_text(text: str) -> list[dict[str, str]]:
    """A delivery-status body the parser left as text: blank-line separated field blocks."""
    blocks = []
    for chunk in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        fields = dict(re.findall(r"(?m)^([A-Za-z-]+)\s*:\s*(.*)$", chunk))
        if fields:
            blocks.append({k.lower(): v.strip() for k, v in fields.items()})
    return blocks


def referenced_cids(html_texts: list[str]) -> set[str]:
    return {cid.strip().lower() for text in html_texts for cid in CID_RE.findall(text)}
