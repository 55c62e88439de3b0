"""RFC 3676 format=flowed decoding (mailer/flowed.py) and its use for text/plain parts."""

from __future__ import annotations

import pytest

from mailer.flowed import decode_flowed
from mailer.reply import parse_reply


@pytest.mark.parametrize("text, delsp, expected", [
    ("Первая часть \nвторая часть.\nНовая строка.", False, "Первая часть вторая часть.\nНовая строка."),
    ("Россия — стра \nна", True, "Россия — страна"),                       # §4.5 DelSp=yes
    ("слово  \nследующее", True, "слово следующее"),
    ("> цитата \n> продолжение\nответ", False, "> цитата продолжение\nответ"),
    (">> глубже \n> мельче", False, "> > глубже\n> мельче"),                  # depth change ends it
    (" From stuffed\n >not a quote", False, "From stuffed\n>not a quote"),  # §4.4 stuffing
    ("Ответ \n-- \nИванов", False, "Ответ\n--\nИванов"),                   # §4.3 sig separator
    ("a\r\nb \r\nc", False, "a\nb c"),
    ("", False, ""),
])
def test_decode_flowed(text, delsp, expected):
    assert decode_flowed(text, delsp) == expected


def raw(ctype: str, body: str) -> bytes:
    return ("From: zhkh@adm-okha.ru\r\nSubject: Re: [OKH-2026-00042] x\r\n"
            f"Content-Type: {ctype}\r\n\r\n{body}").encode()


@pytest.mark.parametrize("ctype, answer", [
    ("text/plain; charset=utf-8; format=flowed", "Длинный абзац, который клиент разбил на две строки."),
    ("text/plain; charset=utf-8; format=\"Flowed\"; DelSp=\"No\"",
     "Длинный абзац, который клиент разбил на две строки."),
    ("text/plain; charset=utf-8", "Длинный абзац, который клиент разбил\nна две строки."),
])
def test_flowed_only_when_declared(ctype, answer):
    body = "Длинный абзац, который клиент разбил \r\nна две строки.\r\n\r\n-- \r\nОтдел ЖКХ\r\n"
    assert parse_reply(raw(ctype, body), departments={"zhkh@adm-okha.ru": "zhkh"}).answer == answer
