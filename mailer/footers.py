"""The "sent from" lines that mail clients add under what the user typed (SPEC §3 «mobile footers»).

One row per client: (client, pattern of the whole line). A line that matches is not the
department's, nor is anything after it. To teach the parser a new client, add a row; keep the
pattern anchored to the whole line so that a sentence such as «Отправлено с курьером 26 ноября»
stays in the answer.
"""

from __future__ import annotations

import re

DEVICE = (r"(iphone|ipad|apple watch|android|samsung|galaxy|huawei|honor|xiaomi|redmi|poco|"
          r"realme|oppo|vivo|oneplus|nokia|sony|xperia|motorola|google pixel|pixel|blackberry|"
          r"смартфона|телефона|планшета|мобильного( телефона| устройства)?|устройства|айфона)")
PLATFORM = r"(android|ios|iphone|ipad|windows( 10| 11| phone)?|mac|macos|телефона|смартфона)"

SENT = r"(отправлено|послано|sent)"
FOOTERS: list[tuple[str, str]] = [
    # (client, the whole line)
    ("iPhone / iPad / Android devices",
     rf"{SENT}\s+(с|со|from)\s+(моего\s+|my\s+)?({DEVICE})(\s+[\w.+-]+){{0,4}}"),
    ("Android devices, English", r"sent from my\s+[\w .+-]{2,40}"),
    ("Samsung Email", r"отправлено с (устройства|помощью) [\w .+-]{2,30}"),
    ("Outlook mobile",
     rf"(получить|скачайте|скачать|get|download)\s+outlook\s+(для|for)\s+{PLATFORM}"),
    ("Outlook mobile, sent",
     rf"{SENT}\s+(из|from|с помощью|via)\s+outlook\s+(для|for)\s+{PLATFORM}"),
    ("Outlook.com", rf"{SENT}\s+(из|from)\s+outlook(\.com)?"),
    ("Windows Mail",
     rf"{SENT}\s+(из|from)\s+(приложения\s+)?(почты|почта|mail)\s+(для|for)\s+windows"
     r"(\s+(10|11))?"),
    ("Yandex Mail", rf"{SENT}\s+(из|from|с)\s+(мобильной\s+|приложения\s+)?(яндекс|yandex)[\s.]*"
                    r"(почты|почта|mail|360)(\s+(для|for)\s+\w+)?(\s+for mobile)?"),
    ("Mail.ru", rf"{SENT}\s+(из|from|с)\s+(мобильной\s+|приложения\s+)?(почты\s+|почта\s+)?"
                r"mail(\.ru)?(\s+app)?(\s+(для|for)\s+\w+)?"),
    ("Rambler", rf"{SENT}\s+(из|from)\s+(мобильной\s+|приложения\s+)?(рамблер|rambler)[\s/.]*"
                r"(почты|почта|mail)?"),
    ("Gmail mobile", rf"{SENT}\s+(из|from|с)\s+(мобильного\s+приложения\s+)?gmail"
                     rf"(\s+(для|for)\s+{PLATFORM}|\s+mobile)?"),
    ("Битрикс24", rf"{SENT}\s+(из|from|с помощью|via)\s+(битрикс|bitrix)\s*24"),
    ("МойОфис", rf"{SENT}\s+(из|from|с помощью)\s+(приложения\s+)?(мойофис|myoffice)"
                r"(\s+(почта|почты|mail))?(\s+(для|for)\s+\w+)?"),
    ("Р7-Офис", rf"{SENT}\s+(из|from|с помощью)\s+(р7|r7)[\s-]*(офис|office)"
                r"(\s+(почта|почты|mail))?"),
    ("Apple Mail for Mac", rf"{SENT}\s+(из|from|с)\s+(почты|mail)\s+(для|for)\s+mac"),
    ("generic mobile app",
     rf"{SENT}\s+(из|from|с)\s+(мобильного\s+приложения|мобильной\s+почты|mobile)"
     r"\s*[\w .]{0,30}"),
    ("any app for a platform",
     rf"{SENT}\s+(из|from|с|со)\s+[\w .+-]{{1,30}}\s+(для|for)\s+{PLATFORM}"),
    ("any mail app", r"(отправлено|sent|написано)\s+(с помощью|через|using|with|via)\s+"
                     r"[\w .+-]{0,30}(app|mail|приложени\w*|outlook|spark|bluemail|proton)"
                     r"[\w .+-]{0,30}"),
    ("antivirus stamp", r"(проверено|сообщение проверено|письмо проверено|this (message|e-?mail) "
                        r"(has been|was) scanned|scanned by)\b.{0,60}(антивирус|kaspersky|касперск|"
                        r"dr\.?\s?web|eset|virus|mail security|security for).{0,40}"),
    ("print footer", r"(пожалуйста,?\s+)?(подумайте|задумайтесь)\s+об окружающей среде.{0,60}|"
                     r"please consider the environment.{0,60}"),
]

LINK = re.compile(r"\s*(<(https?|mailto):[^<>\s]*>|\[(https?|mailto):[^\]\s]*\]|"
                  r"\((https?|mailto):[^()\s]*\))")
QUOTE_MARKS = re.compile("[\"«»„“”'`]")
# Every row starts with one of these words (a cheap test before the table is tried).
FIRST_WORD = re.compile(r"^[\s\-–—_]*(отправлено|послано|sent|получить|скачайте|скачать|get|"
                        r"download|проверено|сообщение|письмо|this|scanned|пожалуйста|подумайте|"
                        r"задумайтесь|please|написано)\b", re.IGNORECASE)
PATTERNS = [(client, re.compile(rf"^[\s\-–—_]*{pattern}[\s.!]*$", re.IGNORECASE))
            for client, pattern in FOOTERS]


def footer_client(line: str) -> str | None:
    """The client whose "sent from" line this is, or None."""
    text = LINK.sub("", line).strip()   # plain alternatives keep the link: «Почты<https://…>»
    text = QUOTE_MARKS.sub("", text)      # «Отправлено из приложения "Почта" для Windows»
    if not text or len(text) > 90 or not FIRST_WORD.match(text):
        return None
    return next((client for client, pattern in PATTERNS if pattern.match(text)), None)
