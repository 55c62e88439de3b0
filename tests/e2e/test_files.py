"""Files both ways live where bridge/storage/files.py says (issue 9), entered only through the doors.

A citizen sends a photo to the Telegram bot; the bridge downloads it at intake into
`attachments/<case>/citizen/` and attaches it to the department's email; the department answers
with a scan, which lands in `attachments/<case>/answer/`. Before the fix the citizen's file was
only a `tg-file:` reference (nothing wrote the citizen folder) and the answer's file was saved in
one folder and published from another.
"""

from __future__ import annotations

import email
import email.policy

from standins.department_replies import reply
from tests.e2e_channels.conftest import mailboxes, stand  # noqa: F401 - pytest fixtures by name

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40
SCAN = b"%PDF-1.4 signed scan of the act"


def test_citizen_photo_and_department_scan_live_in_their_folders(stand):
    user = stand.tg.user(7, "Ирина")
    stand.tg.send_dm(user, "Яма во дворе, фото прилагаю", photo=PHOTO)
    stand.cycle()
    case = stand.case_with("Яма во дворе")
    files = stand.app.files
    [citizen] = files.files(case.id, "citizen")
    assert citizen.read_bytes() == PHOTO
    assert case.attachments == [citizen.name]
    assert stand.ledger_row(case.id)["Вложения"] == citizen.name

    stand.route(case.id)
    stand.cycle()
    [sent] = stand.mails_for(case.id)
    message = email.message_from_bytes(sent, policy=email.policy.default)
    assert [part.get_content() for part in message.iter_attachments()] == [PHOTO]

    department = stand.app.config.department(stand.app.store.get(case.id).department)
    stand.dovecot.deliver(reply(sent, department.emails[0], "Яму засыплем до пятницы.", "outlook",
                                attachment=("акт.pdf", SCAN)), to=stand.app.config.mail["address"])
    stand.cycle()
    [answer] = files.files(case.id, "answer")
    assert answer.read_bytes() == SCAN
    assert files.files(case.id, "citizen") == [citizen]
    assert stand.app.store.get(case.id).attachments == [citizen.name, answer.name]
