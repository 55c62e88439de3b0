"""Broken and hostile mail content through `take_reply` into the store and the data folder."""

from __future__ import annotations

import base64
import time

from bridge.steps.outgoing import compose_email
from bridge.core.model import Status
from tests.hostile.conftest import ZHKH, mail, routed_case, take
from tests.e2e_mail.loop import parse


def _with_files(case_id: str, files: list[tuple[str, bytes]], body: str = "Акт во вложении.") -> bytes:
    parts = "".join(
        f"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
        f"filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        f"{base64.encodebytes(data).decode()}\r\n" for name, data in files)
    return mail(case_id, content_type='multipart/mixed; boundary="b"', raw_body=(
        f"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n{parts}--b--\r\n").encode())


def _all_files(root):
    return {p for p in root.rglob("*") if p.is_file()}


def test_hostile_attachment_names_stay_in_the_case_folder(app, clock, tmp_path):
    case_id = routed_case(app, clock)
    before = _all_files(tmp_path)
    files = [("../../x", b"1"), ("..\\..\\boot.ini", b"2"), ("CON", b"3"), ("nul.txt", b"4"),
             ("a" * 300 + ".pdf", b"5"), ("/etc/passwd", b"6"), (".htaccess", b"7")]
    outcome, _ = take(app, _with_files(case_id, files), clock.tick())
    assert outcome == "answer"
    folder = app.config.data_dir / "attachments" / case_id / "answer"   # bridge/storage/files.py
    new = _all_files(tmp_path) - before
    assert {p for p in new if p.suffix != ".eml"} <= set(folder.iterdir())
    assert all(p.parent == folder or p.suffix == ".eml" for p in new)
    names = sorted(p.name for p in folder.iterdir())
    assert "x" in names and "boot.ini" in names and "passwd" in names
    assert "_CON" in names and "_nul.txt" in names, names                # never a Windows device
    assert all(len(n.encode()) <= 180 for n in names) and any(n.endswith(".pdf") for n in names)
    assert sorted(p.read_bytes() for p in folder.iterdir()) == sorted(d for _, d in files)
    assert sorted(app.store.get(case_id).attachments) == names


def test_crlf_in_headers_does_not_leak_into_the_store(app, clock):
    case_id = routed_case(app, clock)
    subject = "=?utf-8?b?" + base64.b64encode(f"Re:\r\nX-Evil: 1\r\n[{case_id}]".encode()).decode() + "?="
    sender = "=?utf-8?q?=D0=9E=0D=0ABcc=3A_victim=40x=2Eru?=\r\n <zhkh@adm-okha.ru>"
    outcome, parsed = take(app, mail(case_id, "Ответ", sender, subject=subject), clock.tick())
    assert (outcome, parsed.sender, parsed.case_id) == ("answer", ZHKH, case_id)
    assert all("\r" not in (r["actor"] or "") and "\n" not in (r["actor"] or "")
               for r in app.store.history(case_id))


def test_25_mb_attachment_is_stored_and_the_outgoing_mail_keeps_the_limit(app, clock):
    case_id = routed_case(app, clock)
    big = bytes(range(256)) * (25 * 1024 * 1024 // 256)
    outcome, _ = take(app, _with_files(case_id, [("план.pdf", big)]), clock.tick())
    assert outcome == "answer"
    stored = app.files.folder(case_id, "answer") / "план.pdf"
    assert stored.read_bytes() == big
    # The same file as a citizen's attachment of a case mail: listed, not attached (config limit).
    app.files.save(case_id, "citizen", [("фото.jpg", big), ("схема.png", b"\x89PNG small")])
    case = app.store.get(case_id)
    raw = compose_email(app.store, app.config, app.files, case, {"template": "new_case", "to": [ZHKH], "msgid": f"<{case_id}.t@x>",
                                    "context": {}}, clock.now)
    assert len(raw) < app.config.attachment_limit * 1.4 + 200_000
    message = parse(raw)
    attached = [p.get_filename() for p in message.iter_attachments()]
    assert attached == ["схема.png"]
    assert "фото.jpg" in message.get_body(("plain",)).get_content()


def _bomb(case_id: str, depth: int, width: int) -> bytes:
    body = ""
    for level in range(depth):
        body += f'Content-Type: multipart/mixed; boundary="n{level}"\r\n\r\n--n{level}\r\n'
    body += "Content-Type: text/plain; charset=utf-8\r\n\r\nглубоко\r\n"
    for level in reversed(range(depth)):
        body += f"--n{level}--\r\n"
    wide = "".join(f"--w\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; "
                   f"filename=\"f{i}.txt\"\r\n\r\n{i}\r\n" for i in range(width))
    return mail(case_id, content_type='multipart/mixed; boundary="w"',
                raw_body=(f"--w\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nОтвет при бомбе.\r\n"
                          f"{wide}--w\r\n{body}--w--\r\n").encode())


def test_mime_bomb_finishes_quickly_and_says_so(app, clock):
    case_id = routed_case(app, clock)
    start = time.monotonic()
    outcome, parsed = take(app, _bomb(case_id, depth=300, width=5000), clock.tick())
    seconds = time.monotonic() - start
    assert seconds < 10, seconds
    assert outcome == "answer" and "слишком сложное" in parsed.note
    assert app.store.get(case_id).dept_answer == "Ответ при бомбе."
    assert len(list(app.files.folder(case_id, "answer").iterdir())) < 1000


def test_broken_base64_and_unknown_charset_still_give_the_answer(app, clock):
    first = routed_case(app, clock)
    raw = mail(first, content_type="text/plain; charset=utf-8", extra="Content-Transfer-Encoding: base64\r\n",
               raw_body=base64.b64encode("Сделаем к среде.".encode()) + b"!!!%%%\r\n")
    assert take(app, raw, clock.tick())[0] == "answer"
    assert app.store.get(first).status == Status.ANSWERED
    second = routed_case(app, clock, "Второй вопрос")
    raw = mail(second, content_type="text/plain; charset=x-klingon-1", msgid="<m2@adm-okha.ru>",
               raw_body="Работы будут выполнены в срок.".encode("cp1251"))
    assert take(app, raw, clock.tick())[0] == "answer"
    assert app.store.get(second).dept_answer == "Работы будут выполнены в срок."
