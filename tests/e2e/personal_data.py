"""Finding a person's data in a folder, byte by byte, whatever the file did to it (152-ФЗ checks).

Every file is searched as it lies and, where it is a container, as what it contains: a zip (xlsx)
member by member, a mail part by part (quoted-printable and base64 decoded, RFC 2047/2231 headers
decoded). Each needle is looked for in UTF-8, UTF-16 (both orders), cp1251, koi8-r, as JSON
escapes (`\\u0410`, either case), as XML character references (`&#1055;`, `&#x41F;`) and as base64
at the three alignments.
"""

from __future__ import annotations

import base64
import email
import email.policy
import io
import json
import zipfile
from pathlib import Path


def variants(needle: str) -> set[bytes]:
    found = set()
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "cp1251", "koi8-r"):
        try:
            found.add(needle.encode(encoding))
        except UnicodeEncodeError:
            continue
    # XML/HTML character references, as openpyxl writes non-ASCII text (&#1055;…) and hex ones.
    found.add("".join(c if ord(c) < 128 else f"&#{ord(c)};" for c in needle).encode("ascii"))
    found.add("".join(c if ord(c) < 128 else f"&#x{ord(c):x};" for c in needle).encode("ascii"))
    found.add("".join(c if ord(c) < 128 else f"&#x{ord(c):X};" for c in needle).encode("ascii"))
    escaped = json.dumps(needle)[1:-1]
    found |= {escaped.encode("ascii"), escaped.upper().replace("\\U", "\\u").encode("ascii")}
    data = needle.encode("utf-8")
    for shift in range(3):   # base64 of the needle wherever it starts in a longer stream
        coded = base64.b64encode(b"\0" * shift + data)
        start, end = -(-8 * shift // 6), 8 * (shift + len(data)) // 6   # characters of needle bits only
        if end - start >= 8:
            found.add(coded[start:end])
    return found


def views(name: str, data: bytes, depth: int = 0):
    """(where, bytes) of a file and of everything packed in it."""
    yield name, data
    if depth > 3:
        return
    if data[:4] == b"PK\x03\x04":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                for member in archive.namelist():
                    yield from views(f"{name}!{member}", archive.read(member), depth + 1)
        except zipfile.BadZipFile:
            pass
    if name.endswith(".eml") or b"\nContent-Type:" in data[:20000] or data.startswith(b"Received:"):
        message = email.message_from_bytes(data, policy=email.policy.default)
        for number, part in enumerate(message.walk()):
            header_text = "\n".join(f"{k}: {v}" for k, v in part.items())
            yield f"{name}#{number}:headers", header_text.encode("utf-8", "replace")
            payload = part.get_payload(decode=True)
            if payload:
                yield from views(f"{name}#{number}", payload, depth + 1)


def find(folder: Path, needles: list[str | bytes]) -> list[str]:
    """«file: needle» for every file of `folder` (recursively) holding one of the needles."""
    patterns = {n if isinstance(n, bytes) else n: (variants(n) if isinstance(n, str) else {n}) for n in needles}
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for where, view in views(str(path.relative_to(folder)), data):
            for needle, forms in patterns.items():
                if any(form in view for form in forms):
                    hits.append(f"{where}: {needle!r}")
    return sorted(set(hits))
