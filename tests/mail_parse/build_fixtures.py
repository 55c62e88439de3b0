"""Regenerate fixtures/*.eml: replies as each client family writes them, byte for byte.

Run `python tests/mail_parse/build_fixtures.py`; the files are committed, so a change here shows
as a reviewable diff. Headers and MIME structure are written by hand (not by the email package)
to keep each client's quirks: charsets, transfer encodings, folded and encoded headers.
"""

from __future__ import annotations

import base64
import quopri
from pathlib import Path

HERE = Path(__file__).parent / "fixtures"
DEPT = "zhkh@adm-okha.ru"
BRIDGE = "obrashcheniya@adm-okha.ru"
OUR_ID = "<OKH-2026-00042.7f3a9c1e@adm-okha.ru>"
SUBJECT = "Re: [OKH-2026-00042] ВКонтакте: Во дворе дома 5 по ул. Ленина не горит фонарь"
ORIGINAL = [
    "Обращение OKH-2026-00042",
    "Канал: ВКонтакте",
    "Автор: Мария С.",
    "Текст: Во дворе дома 5 по ул. Ленина не горит фонарь. Когда починят?",
    "",
    "Ответьте на это письмо; всё, что выше цитаты, станет ответом; вложения будут приложены.",
]


def b64_word(text: str, charset: str = "utf-8") -> str:
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def b64_body(data: bytes) -> str:
    text = base64.b64encode(data).decode()
    return "\r\n".join(text[i:i + 76] for i in range(0, len(text), 76))


def qp_body(text: str, charset: str) -> str:
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def headers(subject_word: str, *, sender: str = f"=?utf-8?B?0J7RgtC00LXQuyDQltCa0KU=?= <{DEPT}>",
            extra: str = "", in_reply_to: str = OUR_ID) -> str:
    lines = [
        "Return-Path: <" + sender.split("<")[-1].rstrip(">") + ">",
        "Received: from mail.adm-okha.ru (mail.adm-okha.ru [127.0.0.1])\r\n\tby mx.adm-okha.ru "
        "with ESMTPS id 4A1B2C3D; Thu, 26 Nov 2026 12:40:11 +1100",
        f"From: {sender}",
        f"To: =?utf-8?B?0J7RgtC60LvQuNC6?= <{BRIDGE}>",
        f"Subject: {subject_word}",
        "Date: Thu, 26 Nov 2026 12:40:03 +1100",
        "Message-ID: <20261126124003.ABCD@mail.adm-okha.ru>",
    ]
    if in_reply_to:
        lines += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    lines.append("MIME-Version: 1.0")
    return "\r\n".join(lines) + ("\r\n" + extra if extra else "")


def write(name: str, text: str, encoding: str = "ascii") -> None:
    data = text.replace("\r\n", "\n").replace("\n", "\r\n").encode(encoding)
    (HERE / name).write_bytes(data)


def quoted(lines: list[str], mark: str = "> ") -> str:
    return "\n".join((mark + line).rstrip() for line in lines)


def outlook_html_cp1251() -> None:
    paras = ["Добрый день!", "", "Фонарь во дворе дома 5 по ул. Ленина будет заменён до 1 декабря.",
             "Работы выполнит МУП «Охаэлектросеть».", "", "С уважением,",
             "Иванов Иван Иванович", "Начальник отдела ЖКХ", "тел. 8 (42437) 2-22-22"]
    body = "".join(f"<p class=MsoNormal>{p or '<o:p>&nbsp;</o:p>'}<o:p></o:p></p>\n" for p in paras)
    orig = "".join(f"<p class=MsoNormal>{p or '&nbsp;'}<o:p></o:p></p>\n" for p in ORIGINAL)
    html = f"""<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office">
<head><meta http-equiv=Content-Type content="text/html; charset=windows-1251">
<style><!-- p.MsoNormal {{margin:0cm;font-size:11.0pt;font-family:"Calibri",sans-serif;}} --></style>
</head><body lang=RU link="#0563C1"><div class=WordSection1>
{body}<p class=MsoNormal><o:p>&nbsp;</o:p></p>
<div><div style='border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm'>
<p class=MsoNormal><b>От:</b> Отклик &lt;{BRIDGE}&gt; <br><b>Отправлено:</b> Thursday, November 26, 2026 10:15 AM<br><b>Кому:</b> {DEPT}<br><b>Тема:</b> [OKH-2026-00042] ВКонтакте: Во дворе дома 5<o:p></o:p></p></div></div>
{orig}</div></body></html>
"""
    write("outlook_html_cp1251.eml", headers(b64_word(SUBJECT, "windows-1251"), extra=(
        "X-Mailer: Microsoft Outlook 16.0\r\nThread-Index: AdtAbCdEfGh==\r\nContent-Language: ru\r\n"
        "Content-Type: text/html;\r\n\tcharset=\"windows-1251\"\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n")) + qp_body(html, "cp1251"))


def outlook_plain_cp1251() -> None:
    text = ("Добрый день.\nЗаявка передана подрядчику, срок исполнения — 30.11.2026.\n\n"
            "С уважением,\nПетрова А.С.\nведущий специалист\n\n"
            "-----Исходное сообщение-----\n"
            f"От: Отклик <{BRIDGE}>\nОтправлено: Thursday, November 26, 2026 10:15 AM\n"
            f"Кому: {DEPT}\nТема: [OKH-2026-00042] ВКонтакте: Во дворе дома 5\n\n"
            + "\n".join(ORIGINAL) + "\n")
    write("outlook_plain_cp1251.eml", headers("=?windows-1251?Q?RE:_[OKH-2026-00042]_test?=", extra=(
        "X-Mailer: Microsoft Outlook 14.0\r\nContent-Type: text/plain; charset=\"windows-1251\"\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n")) + qp_body(text, "cp1251"))


def owa_html_only() -> None:
    html = f"""<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">
<style type="text/css" style="display:none;"> P {{margin-top:0;margin-bottom:0;}} </style></head>
<body dir="ltr"><div style="font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;">
Проверка проведена, нарушений не выявлено.</div>
<div style="font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;"><br></div>
<div style="font-family: Calibri, Arial, Helvetica, sans-serif; font-size: 12pt;">Повторный осмотр &mdash; 3&nbsp;декабря.</div>
<div style="font-size: 12pt;"><br></div>
<div style="font-size: 9pt;">Конфиденциальность: это сообщение предназначено только для адресата.</div>
<div id="appendonsend"></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>От:</b> Отклик &lt;{BRIDGE}&gt;<br>
<b>Отправлено:</b> 26 ноября 2026 г. 10:15<br><b>Кому:</b> {DEPT}<br><b>Тема:</b> [OKH-2026-00042] ВКонтакте</font>
<div>&nbsp;</div></div>
<div>{'<br>'.join(ORIGINAL)}</div></body></html>
"""
    write("owa_html_only.eml", headers(b64_word(SUBJECT), extra=(
        "Content-Type: text/html; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n"
        "X-MS-Exchange-Organization-SCL: -1\r\n\r\n")) + b64_body(html.encode()))


def thunderbird_below_quote() -> None:
    text = ("26.11.2026 10:15, Отклик пишет:\n" + quoted(ORIGINAL) + "\n\n"
            "Фонарь заменили сегодня утром. \nПросим сообщить, если он снова погаснет.\n\n"
            "-- \nИванов И.И.\nОтдел ЖКХ\n")
    write("thunderbird_below_quote.eml", headers(b64_word(SUBJECT), extra=(
        "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Thunderbird/128.5.0\r\n"
        "Content-Type: text/plain; charset=UTF-8; format=flowed\r\n"
        "Content-Language: ru\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")) + text, "utf-8")


def gmail_html_only() -> None:
    html = f"""<div dir="ltr"><div>Здравствуйте!</div><div><br></div><div>Освещение восстановлено 27 ноября.</div><div>Спасибо за сообщение.</div><br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature"><div dir="ltr">Отдел ЖКХ<br>администрации Охинского округа</div></div></div><br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">чт, 26 нояб. 2026&nbsp;г. в 10:15, Отклик &lt;<a href="mailto:{BRIDGE}">{BRIDGE}</a>&gt;:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">{'<br>'.join(ORIGINAL)}</blockquote></div>
"""
    write("gmail_html_only.eml", headers(b64_word(SUBJECT), extra=(
        "Content-Type: text/html; charset=\"UTF-8\"\r\nContent-Transfer-Encoding: quoted-printable"
        "\r\n\r\n")) + qp_body(html, "utf-8"))


def gmail_plain_wrapped() -> None:
    text = ("Добрый день.\n\nДвор включён в план ремонта на 2027 год.\n\n"
            "чт, 26 нояб. 2026 г. в 10:15, Отклик <\nobrashcheniya@adm-okha.ru>:\n\n"
            + quoted(ORIGINAL) + "\n")
    html = "<div dir=\"ltr\">Добрый день.<div><br></div><div>Двор включён в план ремонта на 2027 год.</div></div>"
    boundary = "000000000000a1b2c3d4e5f60718"
    body = (f"--{boundary}\nContent-Type: text/plain; charset=\"UTF-8\"\nContent-Transfer-Encoding: "
            f"base64\n\n{b64_body(text.encode())}\n--{boundary}\nContent-Type: text/html; "
            f"charset=\"UTF-8\"\nContent-Transfer-Encoding: base64\n\n{b64_body(html.encode())}\n"
            f"--{boundary}--\n")
    write("gmail_plain_wrapped.eml", headers(b64_word(SUBJECT), extra=(
        f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n")) + body)


def yandex_html() -> None:
    html = (f"<div>Заявка принята, выезд бригады — завтра.</div><div> </div><div>-- <br />"
            f"Отправлено из приложения Яндекс Почта</div><div> </div><div>26.11.2026, 10:15, "
            f"\"Отклик\" &lt;{BRIDGE}&gt;:</div><blockquote>{'<br />'.join(ORIGINAL)}</blockquote>")
    write("yandex_html.eml", headers(b64_word(SUBJECT), extra=(
        "X-Mailer: Yamail [ http://yandex.ru ] 5.0\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n")) + html + "\n", "utf-8")


def mailru_html() -> None:
    html = (f"<HTML><BODY><div>Яму на проезде засыпали.</div><div>&nbsp;</div><div>Отправлено из "
            f"мобильной Почты Mail.ru</div><br><br><br>Четверг, 26 ноября 2026, 10:15 +11:00 от "
            f"Отклик &lt;{BRIDGE}&gt;:<br>\n<blockquote style=\"border-left:1px solid #0857A6; "
            f"margin:10px; padding:0 0 0 10px;\"><div id=\"\"><div class=\"js-helper js-readmsg-msg\">"
            f"<style type=\"text/css\"></style><div>{'<br>'.join(ORIGINAL)}</div></div></div>"
            f"</blockquote></BODY></HTML>")
    write("mailru_html.eml", headers(b64_word(SUBJECT), extra=(
        "X-Mailer: Mail.Ru Mailer 1.0\r\nContent-Type: text/html; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n")) + b64_body(html.encode()))


def iphone_footer() -> None:
    text = ("Информацию проверим и ответим до пятницы.\n\nОтправлено с iPhone\n\n"
            "> 26 нояб. 2026 г., в 10:15, Отклик <obrashcheniya@adm-okha.ru> написал(а):\n>\n"
            + quoted(ORIGINAL) + "\n")
    write("iphone_footer.eml", headers(b64_word(SUBJECT), extra=(
        "X-Mailer: iPhone Mail (22B91)\r\nContent-Type: text/plain;\r\n\tcharset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n\r\n")) + qp_body(text, "utf-8"))


def thebat_koi8r() -> None:
    text = ("Здравствуйте, Отклик.\n\nВы писали 26 ноября 2026 г., 10:15:\n\n"
            + quoted(ORIGINAL, "> ") + "\n\n"
            "Контейнерная площадка будет очищена в субботу.\n\n"
            "-- \nС уважением,\n Отдел ЖКХ                          mailto:zhkh@adm-okha.ru\n")
    write("thebat_koi8r.eml", headers(b64_word(SUBJECT, "koi8-r"), extra=(
        "X-Mailer: The Bat! (v10.5.3) Professional\r\nContent-Type: text/plain; charset=koi8-r\r\n"
        "Content-Transfer-Encoding: 8bit\r\n\r\n")) + text, "koi8-r")


def moyofis_header_block() -> None:
    text = ("Сообщаем, что ремонт кровли дома 12 по ул. Советской включён в план на июнь.\n\n"
            "Данное сообщение и вложения к нему предназначены только для адресата.\n\n"
            "-------- Исходное сообщение --------\n"
            f"От: Отклик <{BRIDGE}>\nКому: {DEPT}\nДата: 26.11.2026 10:15\n"
            "Тема: [OKH-2026-00042] ВКонтакте\n\n" + "\n".join(ORIGINAL) + "\n")
    write("moyofis_header_block.eml", headers(b64_word(SUBJECT), extra=(
        "X-Mailer: MyOffice Mail\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n")) + b64_body(text.encode()))


def inline_reply() -> None:
    text = ("26.11.2026 10:15, Отклик пишет:\n> Текст: Во дворе дома 5 по ул. Ленина не горит "
            "фонарь.\n\nФонарь заменят до 1 декабря.\n\n> И ещё: во дворе яма на проезде.\n\n"
            "Яму засыплют щебнем на этой неделе.\nАсфальтирование — весной.\n\n"
            "> Ответьте на это письмо; всё, что выше цитаты, станет ответом.\n\n"
            "С уважением,\nОтдел ЖКХ\n")
    write("inline_reply.eml", headers(b64_word(SUBJECT), extra=(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"))
        + text, "utf-8")


def multipart(boundary: str, parts: list[str]) -> str:
    return "".join(f"--{boundary}\n{part}\n" for part in parts) + f"--{boundary}--\n"


def only_attachment() -> None:
    text = "26.11.2026 10:15, Отклик пишет:\n" + quoted(ORIGINAL) + "\n"
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    body = multipart("----=_Part_1", [
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + b64_body(text.encode()),
        f"Content-Type: application/pdf; name=\"{b64_word('Ответ на обращение.pdf')}\"\n"
        f"Content-Disposition: attachment; filename=\"{b64_word('Ответ на обращение.pdf')}\"\n"
        f"Content-Transfer-Encoding: base64\n\n{b64_body(pdf)}"])
    write("only_attachment.eml", headers(b64_word(SUBJECT), extra=(
        "Content-Type: multipart/mixed; boundary=\"----=_Part_1\"\r\n\r\n")) + body)


def rfc2231_cyrillic_name() -> None:
    utf = "Акт%20обследования%20освещения%20ул.%20Ленина%2C%20д.%205.docx"
    encoded = "".join(f"%{b:02X}" if b > 127 else chr(b) for b in utf.encode("utf-8"))
    cp = "".join(f"%{b:02X}" for b in "Фото.jpg".encode("cp1251"))
    body = multipart("b1", [
        "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
        "Акт обследования во вложении.\n\n" + quoted(ORIGINAL[:2]),
        "Content-Type: application/vnd.openxmlformats-officedocument.wordprocessingml.document\n"
        f"Content-Disposition: attachment;\n filename*0*=utf-8''{encoded[:60]};\n"
        f" filename*1*={encoded[60:]}\nContent-Transfer-Encoding: base64\n\n"
        + b64_body(b"PK\x03\x04fake-docx"),
        f"Content-Type: image/jpeg\nContent-Disposition: attachment; filename*=windows-1251''{cp}\n"
        "Content-Transfer-Encoding: base64\n\n" + b64_body(b"\xff\xd8\xff\xe0fake-jpeg")])
    write("rfc2231_cyrillic_name.eml", headers(b64_word(SUBJECT), extra=(
        "Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n")) + body, "utf-8")


def cid_logo() -> None:
    html = ("<html><body><p>График вывоза мусора утверждён, копия во вложении.</p>"
            "<p>С уважением,<br>Отдел ЖКХ<br><img src=\"cid:image001.png@01DB4F2A.5C3E1B20\" "
            "width=120></p><div class=\"gmail_quote\">" + "<br>".join(ORIGINAL) + "</div></body></html>")
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDRfake"
    related = multipart("rel", [
        "Content-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        + b64_body(html.encode()),
        "Content-Type: image/png; name=\"image001.png\"\nContent-Description: image001.png\n"
        "Content-Disposition: inline; filename=\"image001.png\"\n"
        "Content-ID: <image001.png@01DB4F2A.5C3E1B20>\nContent-Transfer-Encoding: base64\n\n"
        + b64_body(png)])
    body = multipart("mix", [
        "Content-Type: multipart/related; boundary=\"rel\"; type=\"text/html\"\n\n" + related,
        f"Content-Type: image/jpeg; name=\"{b64_word('график.jpg')}\"\n"
        f"Content-Disposition: attachment; filename=\"{b64_word('график.jpg')}\"\n"
        "Content-Transfer-Encoding: base64\n\n" + b64_body(b"\xff\xd8\xff\xe0graph")])
    write("cid_logo.eml", headers(b64_word(SUBJECT), extra=(
        "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n")) + body)


def auto_reply_oof() -> None:
    text = "Я в отпуске до 10 декабря. По срочным вопросам звоните 2-22-23.\n"
    write("auto_reply_oof.eml", headers(
        b64_word("Автоматический ответ: [OKH-2026-00042] ВКонтакте: Во дворе дома 5"), extra=(
            "Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: All\r\n"
            "Content-Type: text/plain; charset=\"utf-8\"\r\nContent-Transfer-Encoding: base64\r\n"
            "\r\n")) + b64_body(text.encode()))


def bounce_dsn() -> None:
    body = multipart("D1A2B3.1764121211/mx.adm-okha.ru", [
        "Content-Description: Notification\nContent-Type: text/plain; charset=us-ascii\n\n"
        "This is the mail system at host mx.adm-okha.ru.\n\nI'm sorry to have to inform you that "
        "your message could not\nbe delivered to one or more recipients.\n\n"
        "<zhkh-old@adm-okha.ru>: host mail.adm-okha.ru said: 550 5.1.1 User unknown\n",
        "Content-Description: Delivery report\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.adm-okha.ru\nArrival-Date: Thu, 26 Nov 2026 10:15:02 +1100\n\n"
        "Final-Recipient: rfc822; zhkh-old@adm-okha.ru\nOriginal-Recipient: rfc822;"
        "ZHKH-old@adm-okha.ru\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 "
        "User unknown\n",
        "Content-Description: Undelivered Message Headers\nContent-Type: text/rfc822-headers\n\n"
        f"From: {BRIDGE}\nTo: zhkh-old@adm-okha.ru\nSubject: {b64_word(SUBJECT[4:])}\n"
        f"Message-ID: {OUR_ID}\n"])
    write("bounce_dsn.eml", headers("Undelivered Mail Returned to Sender",
                                    sender="MAILER-DAEMON@mx.adm-okha.ru (Mail Delivery System)",
                                    in_reply_to="", extra=(
        "Auto-Submitted: auto-replied\r\nContent-Type: multipart/report; report-type=delivery-status;"
        "\r\n\tboundary=\"D1A2B3.1764121211/mx.adm-okha.ru\"\r\n\r\n")) + body)


def unknown_sender() -> None:
    text = "Это ответ с личной почты: фонарь заменим до 1 декабря.\n\n" + quoted(ORIGINAL) + "\n"
    write("unknown_sender.eml", headers(b64_word(SUBJECT), sender="Иванов <ivanov.private@mail.ru>",
                                        extra="Content-Type: text/plain; charset=utf-8\r\n"
                                              "Content-Transfer-Encoding: 8bit\r\n\r\n")
          + text, "utf-8")


def no_case() -> None:
    text = "Коллеги, пришлите, пожалуйста, график отпусков на 2027 год.\n\nС уважением,\nОтдел ЖКХ\n"
    write("no_case.eml", headers(b64_word("График отпусков"), in_reply_to="", extra=(
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"))
        + text, "utf-8")


def winmail_dat() -> None:
    text = ("Ответ во вложении.\n\n-----Original Message-----\nFrom: Otklik\nSent: Thursday, "
            "November 26, 2026 10:15 AM\nTo: zhkh\nSubject: [OKH-2026-00042]\n")
    body = multipart("tnef", [
        "Content-Type: text/plain; charset=\"windows-1251\"\nContent-Transfer-Encoding: "
        "quoted-printable\n\n" + qp_body(text, "cp1251"),
        "Content-Type: application/ms-tnef; name=\"winmail.dat\"\nContent-Transfer-Encoding: base64"
        "\nContent-Disposition: attachment; filename=\"winmail.dat\"\n\n"
        + b64_body(b"\x78\x9f\x3e\x22\x01\x00fake-tnef")])
    write("winmail_dat.eml", headers("RE: [OKH-2026-00042] test", extra=(
        "X-MS-TNEF-Correlator: <00000000AB@adm-okha.ru>\r\n"
        "Content-Type: multipart/mixed; boundary=\"tnef\"\r\n\r\n")) + body)


if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    for build in (outlook_html_cp1251, outlook_plain_cp1251, owa_html_only,
                  thunderbird_below_quote, gmail_html_only, gmail_plain_wrapped, yandex_html,
                  mailru_html, iphone_footer, thebat_koi8r, moyofis_header_block, inline_reply,
                  only_attachment, rfc2231_cyrillic_name, cid_logo, auto_reply_oof, bounce_dsn,
                  unknown_sender, no_case, winmail_dat):
        build()
