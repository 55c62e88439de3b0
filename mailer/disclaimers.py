"""Recognise a confidentiality disclaimer or a mail-gateway banner, wherever it sits (SPEC §3).

A paragraph is a disclaimer by its vocabulary: it speaks of at least three of the themes in
THEMES (confidential, meant for the addressee, received by mistake, delete it, do not copy,
tell the sender), in Russian or English; Exchange transport rules and МойОфис servers append
such text under the answer when the user has deleted the quote. A banner («ВНИМАНИЕ: письмо
от внешнего отправителя…») is recognised by BANNER_THEMES: "from outside" and one more theme. The department's own
sentences rarely touch more than one of these themes.
"""

from __future__ import annotations

import re

I = re.IGNORECASE

THEMES: list[tuple[str, re.Pattern[str]]] = [
    ("confidential", re.compile(r"конфиденциальн|служебн\w* информаци|является служебн|"
                                r"тайн|confidential|privileged|proprietary", I)),
    ("addressee", re.compile(r"адресат|получател|предназначен\w* (только |исключительно )?для|"
                             r"intended (solely |only )?for|intended recipient|addressee|named "
                             r"recipient", I)),
    ("mistake", re.compile(r"по ошибке|ошибочно|не являетесь|not the intended|in error|by mistake|"
                           r"received this", I)),
    ("delete", re.compile(r"удалит|удалите|уничтож|delete|destroy", I)),
    ("forbidden", re.compile(r"запрещ|копирование|распространение|разглашение|не допускается|"
                             r"prohibited|unauthori[sz]ed|disclos|distribut|copying", I)),
    ("notify", re.compile(r"сообщите отправител|уведомите отправител|известите|notify|inform the "
                          r"sender|contact the sender", I)),
    ("liability", re.compile(r"не нес[её]т ответственност|liab|virus|вирус", I)),
]
BANNER_THEMES: list[tuple[str, re.Pattern[str]]] = [
    ("outside", re.compile(r"внешн\w+ (отправител|организаци|адрес|источник|письм|почт)|извне|"
                           r"outside (of )?(the|your) organi[sz]ation|external (sender|email)", I)),
    ("caution", re.compile(r"внимани|осторожн|caution|warning|будьте", I)),
    ("links", re.compile(r"ссылк|вложени|links|attachments", I)),
]
ANY_THEME = re.compile("|".join(f"(?:{p.pattern})" for _, p in THEMES + BANNER_THEMES), I)
HEADINGS = re.compile(r"^(конфиденциальность|предупреждение о конфиденциальности|"
                      r"уведомление о конфиденциальности|confidentiality( notice)?|disclaimer|"
                      r"отказ от ответственности)\s*[:.]", I)


def themes(text: str, table) -> int:
    return sum(1 for _, pattern in table if pattern.search(text))


def is_disclaimer(paragraph: str, trailing: bool = False) -> bool:
    """Three themes anywhere; at the very end of the text (where servers append it) two,
    one of them confidentiality («Сообщение предназначено только для адресата и может
    содержать конфиденциальную информацию»)."""
    text = " ".join(paragraph.split())
    if len(text) < 40 or not ANY_THEME.search(text):
        return False
    found = {name for name, pattern in THEMES if pattern.search(text)}
    if HEADINGS.match(text) and found:
        return True
    if trailing and "confidential" in found and len(found) >= 2:
        return True
    banner = {name for name, pattern in BANNER_THEMES if pattern.search(text)}
    return len(found) >= 3 or len(banner) >= 3 or ("outside" in banner and len(banner) >= 2)


def disclaimer_themes(line: str) -> int:
    """How many themes of a disclaimer or a banner one line speaks of."""
    return themes(line, THEMES) + themes(line, BANNER_THEMES)
