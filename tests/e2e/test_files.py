"""Files both ways (issue 11, SPEC §1 steps 4–7), entered only through the product's doors.

A citizen writes with a photo or a document at a network's stand-in, which serves the bytes at
the URL or file API the network documents; the bridge downloads them at intake, lists them in
«Вложения» and attaches them to the department's email (and the п. 3.8 registration card). The
department answers from its mail program with a scan and a photo (a mail APPENDed to Dovecot);
the operator approves in the workbook; what the stand-in finally received is the uploaded bytes
attached to the published comment or message. A file over `attachment_limit_mb` stays a link,
and the row and the email say so.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
from email.message import EmailMessage

import pytest

from bridge.core.model import Status
from standins.department_replies import reply
from tests.e2e.test_full_disk import tiny  # noqa: F401 - pytest fixture by name
from tests.e2e_channels.conftest import mailboxes, stand  # noqa: F401 - pytest fixtures by name

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
SCAN = b"%PDF-1.4 signed scan of the act \x00\x01\x02"
ANSWER_PHOTO = b"\x89PNG\r\n\x1a\n" + b"the filled pit" * 50
ANSWER = "Яму засыплем до пятницы."


def _mail(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def _listed(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def _answer_with_files(stand, case_id: str, text: str, files: list[tuple[str, bytes]]) -> None:
    """The department replies from Outlook to the case mail, with these files attached."""
    [sent] = stand.mails_for(case_id)
    department = stand.app.config.department(stand.app.store.get(case_id).department)
    message = _mail(reply(sent, department.emails[0], text, "outlook"))
    for name, data in files:
        maintype, subtype = ("image", "png") if name.endswith(".png") else ("application", "pdf")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    stand.dovecot.deliver(bytes(message), to=stand.app.config.mail["address"])


def _department_mail(stand, case_id: str) -> EmailMessage:
    stand.route(case_id)
    stand.cycle()
    [sent] = stand.mails_for(case_id)
    return _mail(sent)


def test_telegram_photo_to_the_department_and_scan_back_to_the_citizen(stand):
    user = stand.tg.user(7, "Ирина")
    stand.tg.send_dm(user, "Яма во дворе, фото прилагаю", photo=PHOTO)
    stand.cycle()
    case = stand.case_with("Яма во дворе")
    [citizen] = stand.app.files.files(case.id, "citizen")
    assert citizen.read_bytes() == PHOTO
    assert stand.ledger_row(case.id)["Вложения"] == citizen.name          # the operator sees the file

    message = _department_mail(stand, case.id)                              # the department gets it
    assert [part.get_content() for part in message.iter_attachments()] == [PHOTO]
    assert [part.get_filename() for part in message.iter_attachments()] == [citizen.name]
    assert "Вложения:" in _listed(message) and citizen.name in _listed(message)
    assert "tg-file:" not in message.as_string()

    _answer_with_files(stand, case.id, ANSWER, [("акт.pdf", SCAN)])
    stand.cycle()
    answered = stand.app.store.get(case.id)
    assert answered.status == Status.ANSWERED
    assert "акт.pdf" in stand.ledger_row(case.id)["Вложения"]
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    stand.cycle()
    assert stand.app.store.get(case.id).status == Status.PUBLISHED
    [sent] = [p for p in stand.tg.published if p["chat_id"] in (7, "7")]   # the citizen gets the scan
    assert sent["method"] == "sendDocument" and sent["caption"] == ANSWER
    assert [(f["kind"], f["data"]) for f in sent["files"]] == [("document", SCAN)]


def test_telegram_comment_gets_the_answer_photos_as_one_album_in_its_thread(stand):
    thread = stand.tg.channel_post("Ремонт дорог: план на неделю")
    comment = stand.tg.comment(thread, stand.tg.user(14, "Роман"), "А у нас на Цапко яма", photo=PHOTO)
    stand.cycle()
    case = stand.case_with("на Цапко")
    message = _department_mail(stand, case.id)
    assert [part.get_content() for part in message.iter_attachments()] == [PHOTO]
    second = ANSWER_PHOTO + b"2"
    _answer_with_files(stand, case.id, ANSWER, [("до.png", ANSWER_PHOTO), ("после.png", second)])
    stand.cycle()
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    stand.cycle()
    album = [p for p in stand.tg.published if p["method"] == "sendMediaGroup"]
    assert [f["data"] for p in album for f in p["files"]] == [ANSWER_PHOTO, second]
    assert album[0]["caption"] == ANSWER and all(str(p["chat_id"]) == str(stand.tg.group_id) for p in album)
    assert album[0]["reply_parameters"] == {"message_id": comment}       # under the citizen's comment
    assert stand.app.store.get(case.id).status == Status.PUBLISHED


def test_vk_comment_photo_and_the_answer_photo_and_scan_under_it(stand):
    stand.vk.add_user(5, "Иван", "Петров")
    comment = stand.vk.post_wall_comment(10, 5, "Яма у школы", attachments=[stand.vk.citizen_photo(PHOTO)])
    stand.cycle()
    case = stand.case_with("Яма у школы")
    message = _department_mail(stand, case.id)
    assert [part.get_content() for part in message.iter_attachments()] == [PHOTO]

    _answer_with_files(stand, case.id, ANSWER, [("после.png", ANSWER_PHOTO), ("акт.pdf", SCAN)])
    stand.cycle()
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    [published] = [p for p in stand.vk.published if p["method"] == "wall.createComment"]
    assert published["reply_to_comment"] == str(comment) and published["message"] == ANSWER
    assert sorted((kind, f.data) for kind, f in published["files"]) == [("doc", SCAN), ("photo", ANSWER_PHOTO)]
    assert stand.app.store.get(case.id).status == Status.PUBLISHED


def test_vk_direct_message_gets_the_scan_in_the_dialogue(stand):
    stand.vk.add_user(6, "Анна", "Сидорова")
    stand.vk.send_dm(6, "Прошу акт обследования", attachments=[stand.vk.citizen_doc("заявление.pdf", b"%PDF app")])
    stand.cycle()
    case = stand.case_with("Прошу акт")
    message = _department_mail(stand, case.id)
    assert [(p.get_filename(), p.get_content()) for p in message.iter_attachments()] == [("заявление.pdf", b"%PDF app")]
    _answer_with_files(stand, case.id, ANSWER, [("акт.pdf", SCAN), ("фото.png", ANSWER_PHOTO)])
    stand.cycle()
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    [published] = [p for p in stand.vk.published if p["method"] == "messages.send"]
    assert published["peer_id"] == "6"
    assert sorted((kind, f.data) for kind, f in published["files"]) == [("doc", SCAN), ("photo", ANSWER_PHOTO)]


def test_ok_comment_gets_the_answer_photo_and_the_operator_is_told_of_the_scan(stand):
    topic = stand.ok.add_topic()
    comment = stand.ok.post_comment(topic, "777", "Сергей Орлов", "Нет света на улице Ленина")
    stand.cycle()
    case = stand.case_with("Нет света")
    _department_mail(stand, case.id)
    _answer_with_files(stand, case.id, ANSWER, [("опора.png", ANSWER_PHOTO), ("акт.pdf", SCAN)])
    stand.cycle()
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    stand.cycle()
    [published] = [p for p in stand.ok.published if p["method"] == "discussions.addDiscussionComment"]
    assert published["reply_to_comment_id"] == comment and published["comment"] == ANSWER
    assert [f.data for f in published["files"]] == [ANSWER_PHOTO]     # uploaded through photosV2
    done = stand.app.store.get(case.id)
    assert done.status == Status.PUBLISHED
    assert "«акт.pdf»" in stand.ledger_row(case.id)["Примечание системы"]   # OK takes photos only


def test_ok_message_picture_reaches_the_department(stand):
    stand.ok.send_group_message("778", "Вера Котова", "Упало дерево на машину", image=PHOTO)
    stand.cycle()
    case = stand.case_with("Упало дерево")
    message = _department_mail(stand, case.id)
    assert [part.get_content() for part in message.iter_attachments()] == [PHOTO]


def test_the_registration_card_carries_and_lists_the_citizens_files(stand):
    """п. 3.8: the card for the registry office has the citizen's photo and document."""
    stand.vk.add_user(15, "Нина", "Белова")
    stand.vk.send_dm(15, "Прошу зарегистрировать жалобу на управляющую компанию",
                     attachments=[stand.vk.citizen_photo(PHOTO), stand.vk.citizen_doc("жалоба.pdf", SCAN)])
    stand.cycle()
    case = stand.case_with("зарегистрировать жалобу")
    stand.operator(case.id, Решение_оператора="Обращение 59-ФЗ")
    stand.cycle()
    stand.operator(case.id, Согласие="да")
    stand.cycle()
    registry = stand.app.config.registry_emails[0]
    cards = [_mail(raw) for _, to, raw in stand.smtp.messages if registry in " ".join(to)]
    assert len(cards) == 1, stand.app.store.get(case.id).system_note
    card = cards[0]
    names = sorted(p.get_filename() for p in card.iter_attachments())
    assert sorted(p.get_content() for p in card.iter_attachments()) == sorted([PHOTO, SCAN])
    assert all(name in _listed(card) for name in names) and "жалоба.pdf" in names


def test_an_answer_that_is_only_a_scan_is_published_with_the_operators_text(stand):
    user = stand.tg.user(8, "Олег")
    stand.tg.send_dm(user, "Когда уберут снег у дома 5?")
    stand.cycle()
    case = stand.case_with("уберут снег")
    _department_mail(stand, case.id)
    _answer_with_files(stand, case.id, "", [("ответ.pdf", SCAN)])
    stand.cycle()
    answered = stand.app.store.get(case.id)
    assert answered.status == Status.ANSWERED and not answered.publish_text.strip()
    stand.operator(case.id, Текст_для_публикации="Ответ администрации — во вложении.",
                   Решение_оператора="Опубликовать")
    stand.cycle()
    stand.cycle()
    assert stand.app.store.get(case.id).status == Status.PUBLISHED
    [sent] = [p for p in stand.tg.published if p["chat_id"] in (8, "8")]
    assert sent["caption"] == "Ответ администрации — во вложении."
    assert [f["data"] for f in sent["files"]] == [SCAN]


def test_an_answer_that_is_only_a_scan_may_go_without_text(stand):
    stand.vk.add_user(9, "Пётр", "Ильин")
    stand.vk.send_dm(9, "Пришлите справку о ремонте")
    stand.cycle()
    case = stand.case_with("справку о ремонте")
    _department_mail(stand, case.id)
    _answer_with_files(stand, case.id, "", [("справка.pdf", SCAN)])
    stand.cycle()
    stand.operator(case.id, Решение_оператора="Опубликовать")
    stand.cycle()
    assert stand.app.store.get(case.id).status == Status.PUBLISHED, stand.app.store.get(case.id).system_note
    [published] = [p for p in stand.vk.published if p["method"] == "messages.send"]
    assert "message" not in published and [f.data for _, f in published["files"]] == [SCAN]


def test_a_file_over_the_limit_stays_a_link_and_everyone_is_told(stand):
    stand.app.config = dataclasses.replace(stand.app.config, attachment_limit=1024 * 1024)   # 1 MB
    stand.vk.add_user(5, "Иван", "Петров")
    big = stand.vk.citizen_photo(b"\xff\xd8" + b"x" * (1024 * 1024 + 10))
    small = stand.vk.citizen_doc("план.pdf", b"%PDF plan")
    stand.vk.post_wall_comment(10, 5, "Свалка за гаражами", attachments=[big, small])
    user = stand.tg.user(11, "Мария")
    stand.tg.send_dm(user, "Огромное фото ямы", photo=b"\xff\xd8" + b"y" * (1024 * 1024 + 10))
    stand.cycle()
    for words in ("Свалка за гаражами", "Огромное фото"):
        case = stand.case_with(words)
        row = stand.ledger_row(case.id)
        assert "больше 1 МБ, только ссылка" in row["Вложения"]
        assert "больше 1 МБ" in row["Примечание системы"]
        message = _department_mail(stand, case.id)
        assert "не скачан, только ссылка" in _listed(message)
    vk_case = stand.case_with("Свалка за гаражами")
    assert [p.name for p in stand.app.files.files(vk_case.id, "citizen")] == ["план.pdf"]
    assert big["photo"]["sizes"][-1]["url"] in stand.ledger_row(vk_case.id)["Вложения"]
    tg_case = stand.case_with("Огромное фото")
    assert stand.app.files.files(tg_case.id, "citizen") == []
    assert "tg-file:" not in stand.ledger_row(tg_case.id)["Вложения"]


@pytest.mark.parametrize("network", ["vk", "telegram", "ok"])
def test_an_informational_answer_carries_its_files_to_the_pages(stand, network):
    if network == "vk":
        stand.vk.add_user(5, "Иван", "Петров")
        stand.vk.post_wall_comment(10, 5, "Какой график вывоза мусора?")
    elif network == "telegram":
        stand.tg.send_dm(stand.tg.user(12, "Ольга"), "Какой график вывоза мусора?")
    else:
        stand.ok.post_comment(stand.ok.add_topic(), "779", "Ольга Ким", "Какой график вывоза мусора?")
    stand.cycle()
    case = stand.case_with("график вывоза")
    _department_mail(stand, case.id)
    _answer_with_files(stand, case.id, "График — во вложении.", [("график.png", ANSWER_PHOTO)])
    stand.cycle()
    stand.operator(case.id, Информационный="да", Решение_оператора="Опубликовать")
    stand.cycle()
    stand.cycle()
    posts = [p for p in stand.tg.published if str(p["chat_id"]) == str(stand.tg.channel_id)]
    assert [f["data"] for p in posts for f in p["files"]] == [ANSWER_PHOTO]
    [wall] = [p for p in stand.vk.published if p["method"] == "wall.post"]
    assert [f.data for _, f in wall["files"]] == [ANSWER_PHOTO]
    [topic] = [p for p in stand.ok.published if p["method"] == "mediatopic.post"]
    assert [f.data for f in topic["files"]] == [ANSWER_PHOTO]
    [answer_file] = stand.app.files.files(case.id, "answer")   # where the site section finds it
    assert answer_file.read_bytes() == ANSWER_PHOTO


def test_the_demo_shows_a_photo_going_to_the_department_and_a_scan_coming_back(tmp_path):
    """`python run.py demo`: the citizen's photo is attached to a department mail, the scan is
    uploaded with the published answer, and the narration says both."""
    import subprocess
    import sys
    from pathlib import Path

    from bridge.demo import DEMO_PHOTO, DEMO_SCAN
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, str(root / "run.py"), "demo"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "фото гражданина ушло в отдел вложением письма" in result.stdout
    assert "Гражданин получил под своим комментарием ответ и скан отдела" in result.stdout
    mails = [_mail(path.read_bytes()) for path in (tmp_path / "demo-output" / "Отправленные письма").glob("*.eml")]
    assert any(part.get_content() == DEMO_PHOTO for mail in mails for part in mail.iter_attachments())
    [scan] = (tmp_path / "demo-output" / "data" / "attachments").glob("*/answer/*.pdf")
    assert scan.read_bytes() == DEMO_SCAN


def test_hostile_attachments_lose_nothing(stand):
    """A file that is gone (404), a web link to an inner address, a Telegram document named to
    escape the folder: the case opens, the good file is kept, the rest are links, nothing is
    written outside the case folder, no link is ever fetched."""
    stand.vk.add_user(5, "Иван", "Петров")
    gone = stand.vk.doc_attachment(1, "схема.pdf", stand.vk.base_url + "/files/missing")
    inner = {"type": "link", "link": {"url": stand.vk.base_url + "/files/secret", "title": "внутренний адрес"}}
    stand.vk.post_wall_comment(10, 5, "Три вложения сразу", attachments=[gone, inner, stand.vk.citizen_photo(PHOTO)])
    user = stand.tg.user(13, "Гость")
    stand.tg.send_dm(user, "Документ с хитрым именем", document=("../../../etc/passwd", b"root:x:0:0"))
    stand.tg.send_dm(user, "Ещё один", document=("CON." + "я" * 200 + ".pdf", b"%PDF long"))
    stand.cycle()

    vk_case = stand.case_with("Три вложения")
    row = stand.ledger_row(vk_case.id)
    assert "схема.pdf (не скачано" in row["Вложения"] and "внутренний адрес (" in row["Вложения"]
    assert "не удалось скачать" in row["Примечание системы"]
    assert [p.read_bytes() for p in stand.app.files.files(vk_case.id, "citizen")] == [PHOTO]
    assert not [r for r in stand.vk.file_requests if "secret" in r]           # a link is never fetched

    for words, data in (("хитрым именем", b"root:x:0:0"), ("Ещё один", b"%PDF long")):
        case = stand.case_with(words)
        [kept] = stand.app.files.files(case.id, "citizen")
        assert kept.read_bytes() == data and kept.parent == stand.app.files.folder(case.id, "citizen")
        assert "/" not in kept.name and len(kept.name.encode()) <= 180 and not kept.name.upper().startswith("CON.")
    assert not (stand.app.config.data_dir / "etc").exists()


def test_a_stop_between_the_case_and_its_files_loses_no_file(stand, monkeypatch):
    """The service dies (in-process: an exception no loop catches) after the case was made and
    before its files were kept; the cursor did not move, the item comes again, the files are kept."""
    import bridge.steps.intake as intake
    real = intake.keep_files

    def dies(*args, **kwargs):
        raise KeyboardInterrupt("killed between the case and its files")
    monkeypatch.setattr(intake, "keep_files", dies)
    stand.vk.add_user(5, "Иван", "Петров")
    stand.vk.post_wall_comment(10, 5, "Упал забор на тротуар", attachments=[stand.vk.citizen_photo(PHOTO)])
    with pytest.raises(KeyboardInterrupt):
        stand.cycle()
    case = stand.case_with("Упал забор")
    assert case.attachments == [] and stand.app.files.files(case.id, "citizen") == []
    monkeypatch.setattr(intake, "keep_files", real)
    stand.cycle()
    [kept] = stand.app.files.files(case.id, "citizen")
    assert kept.read_bytes() == PHOTO and stand.ledger_row(case.id)["Вложения"] == kept.name
    assert len(stand.cases()) == 1


def test_a_full_disk_keeps_the_message_and_the_files_link(tiny, monkeypatch):
    """A real tiny tmpfs (root only): the citizen's photo does not fit, the message does — the case
    opens with the photo as a link and a note, and the next message is taken in as usual."""
    from datetime import datetime, timedelta, timezone

    from bridge.app import build_app
    from bridge.config import load
    from bridge.cycle import run_cycle
    from standins.telegram_api import FakeTelegram
    from tests.e2e.test_full_disk import fill

    disk = tiny
    with FakeTelegram() as tg:
        monkeypatch.setenv("OTKLIK_TG_TOKEN", tg.token)
        config = dataclasses.replace(load(None), data_dir=disk / "data", ledger=disk / "data" / "Журнал.xlsx",
                                     site_dir=disk / "site", mail={},
                                     channels={"telegram": {"token_env": "OTKLIK_TG_TOKEN", "api_url": tg.api_url}})
        app = build_app(config)
        now = datetime(2026, 12, 2, 1, 0, tzinfo=timezone.utc)
        run_cycle(app, now)
        filler = fill(disk, leave=700 * 1024)
        tg.send_dm(tg.user(9, "Олег"), "Фото затопленного подвала", photo=b"\xff\xd8" + b"z" * (2 * 1024 * 1024))
        run_cycle(app, now + timedelta(minutes=1))
        [case] = app.store.all_cases()
        assert case.text == "Фото затопленного подвала"
        assert "не сохранено" in case.attachments[0] and "не удалось сохранить" in case.system_note
        assert app.files.files(case.id, "citizen") == []
        filler.unlink()
        tg.send_dm(tg.user(9, "Олег"), "И ещё одно", photo=PHOTO)
        run_cycle(app, now + timedelta(minutes=2))
        second = next(c for c in app.store.all_cases() if c.text == "И ещё одно")
        assert [p.read_bytes() for p in app.files.files(second.id, "citizen")] == [PHOTO]
        app.store.close()
