"""Recognise a signature by its structure: a trailing block of short lines (or table cells) made
of a name, a position, phones, e-mails, a room, an address (SPEC §3 «titles and phones»).

Each line (a table row counts cell by cell) is split into pieces and every piece is given a kind
by the table PIECES. A trailing block is a signature only when it mixes kinds the way a
signature does (a person and a way to reach them, a name and a position, two ways to reach);
so that a phone number that closes the answer itself («Телефон для справок:\n8 (42437)
2-46-81», «Телефон приёмной: …») stays, a lone phone is never a signature, and a piece that is
a sentence of its own words is never a signature piece.
"""

from __future__ import annotations

import re

I = re.IGNORECASE
SURNAME = r"[А-ЯЁ][а-яё]+(?:-[А-ЯЁ][а-яё]+)?"
INITIALS = r"[А-ЯЁ]\.\s?[А-ЯЁ]\.?"
PATRONYMIC = rf"{SURNAME}(вич|вна|ич|чна|кызы|оглы)"
NAME = rf"({SURNAME}\s+{INITIALS}|{INITIALS}\s?{SURNAME}|{SURNAME}\s+{SURNAME}\s+{PATRONYMIC})"
UPPER_SURNAME = r"[А-ЯЁ]{2,}(-[А-ЯЁ]{2,})?\s+[А-ЯЁ][а-яё]+\s+[А-ЯЁ][а-яё]+"   # ИВАНОВ Иван Иванович
POSITION = (r"(начальни\w*|заместител\w*|зам|главн(ый|ая|ого|ой)|ведущ(ий|ая|его|ей)|"
            r"старш(ий|ая|его|ей)|специалист\w*|консультант\w*|эксперт\w*|инспектор\w*|"
            r"директор\w*|руководител\w*|заведующ\w*|председател\w*|глава|советник\w*|"
            r"помощник\w*|секретар\w*|инженер\w*|бухгалтер\w*|юрист\w*|юрисконсульт\w*|"
            r"делопроизводител\w*|референт\w*|методист\w*|диспетчер(а)?|мастер|оператор\w*|"
            r"управляющ\w*|архитектор\w*|экономист\w*|программист\w*|аналитик\w*|"
            r"документовед\w*|ревизор\w*|контролер\w*|контролёр\w*|агроном\w*)")
ORG = (r"(отдел\w*|сектор\w*|управлени\w+|комитет\w*|департамент\w*|администраци\w|мку|мбу|муп|"
       r"мау|гку|гбу|мкоу|мбоу|мадоу|мбдоу|куми|министерств\w+|служб\w+|учреждени\w|"
       r"муниципальн\w+|городско\w+ округ\w*|мо\s+го|мо\s+«|"
       r"[а-яё]+(ого|ой)\s+(муниципальн|городск|район|округ|област|кра[яю])\w*)")
PHONE_NUMBER = r"(\+?\d[\d\s()\-–]{5,}\d)(\s*[(,]?\s*(доб|вн|ext)\.?\s*\d{1,5}\)?)?"
PHONE_LABEL = (r"(((контактный|рабочий|мобильный|сотовый|служебный|городской)\s+)?(тел|телефон)|"
               r"моб|мобильный|сот|сотовый|раб|факс|fax|tel|phone|mob|mobile|т|ф|т/ф|"
               r"тел\./факс|тел/факс|приёмная|приемная)")

PIECES: list[tuple[str, re.Pattern[str]]] = [
    ("phone", re.compile(rf"^({PHONE_LABEL}\.?\s*[:.]?\s*)?{PHONE_NUMBER}"
                         rf"([,;]\s*({PHONE_LABEL}\.?\s*[:.]?\s*)?{PHONE_NUMBER})*$", I)),
    ("email", re.compile(r"^((e-?mail|эл\.?\s*почта|электронная почта|почта|mail)\s*[:.]?\s*)?"
                         r"[\w.+-]+@[\w-]+(\.[\w-]+)+$", I)),
    ("web", re.compile(r"^((сайт|web|www)\s*:\s*)?(https?://|www\.)\S+$", I)),
    ("web", re.compile(r"^(skype|telegram|whatsapp|viber|вконтакте|vk|тг|телеграм|max)\s*:?\s*\S+$",
                       I)),
    ("hours", re.compile(r"^(часы|время|режим)\s+(приёма|приема|работы)\s*:.{0,80}$", I)),
    ("room", re.compile(r"^(каб|кабинет|комн|ком|пом|офис|оф)\.?\s*№?\s*\d+[а-яa-z]?"
                        r"(\s*,\s*\d+\s*этаж)?$", I)),
    ("executor", re.compile(rf"^(исп|исполнитель|отв\.? исп)\.?\s*:?\s*{NAME}$", I)),
    ("label", re.compile(rf"^({PHONE_LABEL}|e-?mail|эл\.?\s*почта|электронная почта|адрес|"
                         rf"каб|кабинет|сайт)\.?\s*:?$", I)),
    ("name", re.compile(rf"^({NAME}|{UPPER_SURNAME})$")),
    ("title", re.compile(rf"^(и\.\s?о\.\s*|врио\s+)?{POSITION}\b\.?[^.!?:;]{{0,100}}"
                         rf"(\s+{NAME})?$", I)),
    ("org", re.compile(rf"^{ORG}\b[^.!?:;]{{0,100}}$", I)),
    ("address", re.compile(r"^(россия,?\s*)?(\d{6},?\s*)?(сахалинская обл|г\.|ул\.|пр\.|пер\.|д\.)"
                           r"[^!?]{0,80}$", I)),
    # two or three capitalised words and nothing else: a name only beside the other pieces
    ("name", re.compile(r"^[А-ЯЁ][а-яё]+(-[А-ЯЁ][а-яё]+)?(\s+[А-ЯЁ][а-яё]+){1,2}$")),
]
PERSON = {"name", "executor", "title"}
CONTACT = {"phone", "email", "web", "room"}
PIECE_BREAK = re.compile(r"\n|\s+[|•·]\s+")   # cells, and «тел. … | факс …» on one line
MAX_BLOCK_LINES = 12
MAX_PIECE = 110


def pieces(line: str, cell: str) -> list[str]:
    """A line's pieces: table cells, and a phone/room/e-mail run split at commas."""
    out = []
    for part in PIECE_BREAK.split(line.replace(cell, "\n")):
        part = part.strip(" |\t")
        if part:
            out.append(part)
    return out


def piece_kinds(piece: str) -> set[str] | None:
    """The kinds of one piece; a run such as «каб. 305, тел. 8 (42437) 2-46-80» or «Иванов И.И.,
    тел. 2-22-22» has the kinds of its comma-separated parts. None: not a signature piece."""
    piece = re.sub(r"\s+", " ", piece).strip(" ,;")
    if not piece or len(piece) > MAX_PIECE:
        return None
    kind = kind_of_simple(piece)
    if kind:
        return {kind}
    parts = [p.strip() for p in re.split(r",\s+(?=[^\d\s])", piece) if p.strip()]
    kinds = [kind_of_simple(p) for p in parts] if len(parts) > 1 else [None]
    return set(kinds) if None not in kinds else None


def kind_of_simple(piece: str) -> str | None:
    return next((kind for kind, pattern in PIECES if pattern.match(piece)), None)


def line_kinds(line: str, cell: str) -> set[str] | None:
    """The kinds of a line's pieces, or None when any piece is not signature-like."""
    kinds: set[str] = set()
    for piece in pieces(line, cell):
        found = piece_kinds(piece)
        if found is None:
            return None
        kinds |= found
    return kinds


def continues_position(line: str, lines: list, index: int, cell: str, is_break) -> bool:
    """«Начальник отдела жилищно-коммунального / хозяйства администрации»: a short line in lower
    case, with no sentence end, right under a position or an organisation."""
    text = line.replace(cell, " ").strip()
    if not text or not text[0].islower() or len(text) > 60 or text[-1] in ".!?:;":
        return False
    above = lines[index - 1] if index > 0 else None
    if above is None or is_break(above) or not above.strip():
        return False
    kinds = line_kinds(above, cell)
    return bool(kinds) and kinds <= {"title", "org"}


def looks_like_signature(kinds: set[str]) -> bool:
    person = kinds & PERSON
    contact = kinds & CONTACT
    return bool((person and contact) or {"name", "title"} <= kinds or "executor" in kinds
                or (len(contact) >= 2 and contact & {"email", "web"})
                or ("org" in kinds and (contact or "name" in kinds)))


def signature_start(lines: list, cell: str, is_break) -> int | None:
    """Index where a trailing signature block starts in lines (None-able BREAK entries stop it),
    or None when the end of the text is not a signature."""
    end = len(lines)
    while end and (is_break(lines[end - 1]) or not lines[end - 1].strip()):
        end -= 1
    start, kinds, count = end, set(), 0
    while start and count < MAX_BLOCK_LINES:
        line = lines[start - 1]
        if is_break(line):
            break
        if not line.strip():
            start -= 1
            continue
        found = line_kinds(line, cell)
        if found is None and continues_position(line, lines, start - 1, cell, is_break):
            found = set()
        if found is None:
            break
        kinds |= found
        count += 1
        start -= 1
    if not count or not looks_like_signature(kinds):
        return None
    previous = next((lines[i] for i in range(start - 1, -1, -1)
                     if not is_break(lines[i]) and lines[i].strip()), None)
    if previous is not None and previous.replace(cell, " ").rstrip().endswith(":"):
        return None   # «Телефон для справок:», «Ответственный за работы:» — the answer itself
    return start
