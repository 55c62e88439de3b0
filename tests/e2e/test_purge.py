"""`purge` leaves nothing of a purged case in the data folder (152-ФЗ, п. 1.4; issue 16).

Everything enters through the doors: a citizen's wall comment reaches the VK Callback endpoint as
VK posts it (so the callback journal holds it), the operator routes and approves in the saved
workbook, the department answers from its mail program with a scan (APPENDed to Dovecot through
LMTP), the answer is published, and the ledger is rewritten several times (dated backups). Then
`python run.py purge` runs as an administrator runs it, and every file under the data folder is
searched byte by byte (ledger/backups unzipped, raw mails decoded, several encodings). A late
reply to the purged case, with a passport scan and an address, must not bring any of it back.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import requests

from bridge.app import build_app
from bridge.config import load
from bridge.core.model import Status
from standins.department_replies import reply
from standins.vk_api import FakeVk
from tests.e2e.personal_data import find
from tests.e2e_channels.conftest import Stand
from tests.e2e_mail.loop import BRIDGE_ADDRESS, PASSWORD, PASSWORD_ENV, write_config_file
from tests.servers.dovecot import dovecot  # noqa: F401 - pytest fixture by name
from tests.servers.smtp import smtp_sink  # noqa: F401 - pytest fixture by name
from tests.storage_backend import raw_mail_rows

ROOT = Path(__file__).resolve().parents[2]
SECRET = "cb-secret"
CITIZEN_TEXT = "Во дворе дома на Ленинградской, 17 третью неделю не вывозят мусор"
ANSWER = "Анна Смирнова, контейнеры у дома на Ленинградской, 17 вывезут завтра до полудня."
LATE = "Дополнение: паспорт Смирновой 4510 987654, адрес Ленинградская, 17, кв. 3 — скан прилагаем."
SCAN = b"%PDF-1.4 PASSPORT-SCAN-4510-987654 Smirnova"
PADDING = bytes(300_000)          # a mail larger than files.RAW_IN_STORE
NEEDLES = ["Смирнов", "Ленинградск", "вывозят мусор", "4510 987654", b"PASSPORT-SCAN", "id501"]


def vk_section(vk: FakeVk) -> str:
    return f"""
[vk]
group_id = {vk.group_id}
token_env = "OTKLIK_VK_TOKEN"
user_token_env = "OTKLIK_VK_USER_TOKEN"
api_url = "{vk.api_url}"
min_interval = 0
mode = "callback"
callback_port = 0
confirmation = "c0de"
callback_secret_env = "OTKLIK_VK_SECRET"
"""


def test_purge_leaves_no_byte_of_the_case_and_a_late_reply_brings_none_back(tmp_path, dovecot, smtp_sink,
                                                                             monkeypatch):
    with FakeVk() as vk:
        env = {PASSWORD_ENV: PASSWORD, "OTKLIK_VK_TOKEN": vk.token, "OTKLIK_VK_USER_TOKEN": vk.user_token,
               "OTKLIK_VK_SECRET": SECRET}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        dovecot.add_user(BRIDGE_ADDRESS, PASSWORD)
        config_path = write_config_file(tmp_path, dovecot, smtp_sink.port)
        with open(config_path, "a", encoding="utf-8") as fh:
            fh.write(vk_section(vk))
        data = tmp_path / "data"
        stand = Stand(build_app(load(config_path)), vk, None, None, smtp_sink, dovecot)
        try:
            case_id, closed_at = _a_whole_case(stand)
        finally:
            _close(stand)
        journal = data / "vk_callback.jsonl"
        assert journal.stat().st_size > 0
        assert len(list((data / "backups").glob("*.xlsx"))) >= 3
        before_purge = find(data, NEEDLES)
        assert any("backups" in hit for hit in before_purge) and any(".eml" in hit for hit in before_purge)
        assert any("attachments" in hit for hit in before_purge) and any("otklik.sqlite3" in hit
                                                                       for hit in before_purge)

        run_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
        before = (stand.app.config.calendar.local(closed_at) + timedelta(days=1)).date().isoformat()
        refused = _run(tmp_path, run_env, config_path, "purge", "--before", before)
        assert refused.returncode != 0 and "--yes" in refused.stderr, refused.stderr
        assert find(data, NEEDLES) == before_purge          # a refused date changes nothing

        done = _run(tmp_path, run_env, config_path, "purge", "--before", before, "--yes")
        assert done.returncode == 0, done.stderr
        assert "Удалены персональные данные 1 " in done.stdout
        assert find(data, NEEDLES) == []
        assert not (data / "site" / "files" / case_id).exists()
        assert not Path(f"{data / 'otklik.sqlite3'}-wal").exists() or \
            Path(f"{data / 'otklik.sqlite3'}-wal").stat().st_size == 0
        lines = journal.read_text().splitlines()
        assert lines and all('"otklik_purged"' in line for line in lines)

        # The department writes again, to the same thread, with a passport scan.
        [first] = [raw for _, _, raw in smtp_sink.messages if case_id.encode() in raw.split(b"\r\n\r\n")[0]][:1]
        dovecot.deliver(reply(first, "zhkh@adm-okha.ru", LATE, "gmail", attachment=("паспорт.pdf", SCAN)),
                        to=BRIDGE_ADDRESS)
        once = _run(tmp_path, run_env, config_path, "once")
        assert once.returncode == 0, once.stderr
        assert find(data, NEEDLES) == []
        app = build_app(load(config_path), connect=False)
        try:
            case = app.store.get(case_id)
            assert case.status == Status.PUBLISHED and case.dept_answer == "" and case.attachments == []
            alerts = [r["text"] for r in app.store.db.execute("SELECT text FROM alerts WHERE kind = 'purged_case'")]
            assert len(alerts) == 1 and case_id in alerts[0] and "не сохранены" in alerts[0]
        finally:
            app.store.close()
        assert not (data / "attachments" / case_id).exists()


def _a_whole_case(stand: Stand):
    vk = stand.vk
    vk.add_user(501, "Анна", "Смирнова")
    stand.cycle()                                    # the callback endpoint is up
    url = f"http://127.0.0.1:{_listener(stand).server_address[1]}/"
    vk.post_wall_comment(10, 501, CITIZEN_TEXT)
    assert requests.post(url, json={**vk.events[-1], "secret": SECRET}, timeout=5).text == "ok"
    stand.cycle()
    case = stand.case_with("Ленинградской")
    assert case.author_name == "Анна Смирнова"
    stand.route(case.id)
    stand.cycle()
    [sent] = stand.mails_for(case.id)
    # A large reply (its raw copy a file in mail/), then an auto-reply from a stranger quoting the
    # citizen (a small one: its raw copy in the store, linked to no case but naming it).
    stand.dovecot.deliver(reply(sent, "zhkh@adm-okha.ru", ANSWER, "outlook", attachment=("акт.pdf", SCAN + PADDING)),
                          to=BRIDGE_ADDRESS)
    stand.dovecot.deliver((f"From: robot@mail.example\r\nTo: {BRIDGE_ADDRESS}\r\nSubject: =?utf-8?b?"
                           + base64.b64encode("Автоответ: ваше письмо".encode()).decode() + "?=\r\n"
                           f"X-Auto-Response-For: {case.id}\r\nMessage-ID: <auto-1@mail.example>\r\nMIME-Version: 1.0\r\n"
                           "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                           f"Ваше письмо получено:\r\n> {CITIZEN_TEXT}\r\n").encode(), to=BRIDGE_ADDRESS)
    stand.cycle()
    assert raw_mail_rows(stand.app.store).get("<auto-1@mail.example>") is not None     # kept, linked to no case
    assert stand.app.store.get(case.id).status == Status.ANSWERED
    stand.operator(case.id, **{"Решение_оператора": "Опубликовать", "Информационный": "да"})
    for _ in range(3):
        stand.cycle(timedelta(minutes=1))
    done = stand.app.store.get(case.id)
    assert done.status == Status.PUBLISHED and done.closed_at, done.system_note
    page = (stand.app.config.site_dir / "index.html").read_text(encoding="utf-8")
    assert "Смирнова" in page and f'href="files/{case.id}/' in page     # the scan is published with it
    feed = (stand.app.config.site_dir / "rss.xml").read_text(encoding="utf-8")
    assert f'<enclosure url="https://adm-okha.ru/info/files/{case.id}/' in feed
    return case.id, done.closed_at


def _listener(stand: Stand):
    [channel] = [c for c in stand.app.ports.channels.values() if getattr(c, "callback", None)]
    return channel.listener


def _close(stand: Stand) -> None:
    listener = _listener(stand)
    if listener is not None:
        listener.shutdown()
        listener.server_close()
    stand.app.mailbox.close()
    stand.app.store.close()


def _run(cwd: Path, env: dict, config: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(ROOT / "run.py"), *args, "--config", str(config)], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL)


def test_a_future_date_asks_on_a_terminal(tmp_path):
    import bridge.config
    config = tmp_path / "otklik.toml"
    config.write_text(bridge.config.DEMO_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    for answer, code, said in ((b"\x04", 1, "Ничего не удалено"), ("нет\n".encode(), 1, "Ничего не удалено"),
                               ("да\n".encode(), 0, "Удалены персональные данные 0")):
        returncode, output = _on_a_terminal([sys.executable, str(ROOT / "run.py"), "purge", "--before", "2099-01-01",
                                             "--config", str(config)], tmp_path, answer)
        assert "Продолжить? (да/нет)" in output and said in output and returncode == code, output


def _on_a_terminal(command: list[str], cwd: Path, answer: bytes) -> tuple[int, str]:
    import pty
    import select
    import time
    master, slave = pty.openpty()
    process = subprocess.Popen(command, stdin=slave, stdout=slave, stderr=slave, cwd=cwd,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    os.close(slave)
    output, asked = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if select.select([master], [], [], 0.2)[0]:
            try:
                output += os.read(master, 4096)
            except OSError:
                break
        if not asked and "Продолжить".encode() in output:
            os.write(master, answer)
            asked = True
    process.wait(timeout=30)
    while select.select([master], [], [], 0.2)[0]:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    return process.returncode, output.decode("utf-8", "replace")
