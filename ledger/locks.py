"""Who holds the ledger's lock file, and whether that program is still there (issue 16).

LibreOffice's `.~lock.<name>#` is one line `<name>,<login>,<host>,<DD.MM.YYYY HH:MM>,<profile>;`
(the first field is the name set in LibreOffice's options, often empty); Excel's `~$<name>` is
165 bytes: the user name's length, the name in the ANSI code page padded to 54 bytes, then the
length again, a zero and the name in UTF-16LE. A lock survives a crash, and then every rewrite
waits for ever: a lock older than STALE_LOCK_HOURS is looked at, and the operator told what to do.
"""

from __future__ import annotations

import os
import socket
import subprocess
from dataclasses import dataclass
from pathlib import Path

try:
    import pwd
except ImportError:         # Windows: processes are listed by tasklist
    pwd = None

STALE_LOCK_HOURS = 3
LIBREOFFICE_PROCESSES = ("soffice.bin", "soffice", "soffice.exe")
EXCEL_PROCESS = "EXCEL.EXE"


@dataclass(frozen=True)
class LockOwner:
    program: str        # «LibreOffice» | «Excel»
    user: str           # the login (LibreOffice) or the Office user name (Excel); '' when unreadable
    host: str = ""      # the computer (LibreOffice only; Excel's lock does not say)
    since: str = ""     # the time the lock says it was taken, as written there


def lock_owner(lock: Path) -> LockOwner:
    try:
        data = lock.read_bytes()[:4096]
    except OSError:
        data = b""
    if lock.name.startswith("~$"):
        return LockOwner("Excel", _excel_user(data))
    fields = _lo_fields(data.decode("utf-8", "replace"))
    name, login, host, since = (fields + [""] * 4)[:4]
    return LockOwner("LibreOffice", login or name, host, since)


def _lo_fields(line: str) -> list[str]:
    """The comma-separated fields; LibreOffice escapes a comma or semicolon in a field with «\\»."""
    fields, current, escaped = [], [], False
    for char in line.strip().rstrip(";"):
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    fields.append("".join(current).strip())
    return fields


def _excel_user(data: bytes) -> str:
    if len(data) < 2:
        return ""
    size = data[0]
    wide = data[56:56 + 2 * size] if len(data) >= 56 + 2 * size and data[54] == size else b""
    if wide:
        return wide.decode("utf-16-le", "replace").strip()
    return data[1:1 + size].decode("cp1251", "replace").strip()


def owner_gone(owner: LockOwner) -> bool | None:
    """True: the program that took the lock is not running any more; False: it is; None: this
    computer can't tell (the lock was taken on another one)."""
    if owner.program == "LibreOffice":
        if not owner.host or not _this_host(owner.host):
            return None
        return not _running(LIBREOFFICE_PROCESSES, owner.user)
    if os.name == "nt":     # Excel on this computer, if anywhere we can see
        return not _running((EXCEL_PROCESS,), "")
    return None


def _this_host(host: str) -> bool:
    here = {socket.gethostname().lower(), socket.getfqdn().lower()}
    return host.lower() in here or host.lower().split(".")[0] in {h.split(".")[0] for h in here}


def _running(names: tuple[str, ...], user: str) -> bool:
    wanted = {n.lower() for n in names}
    if os.name == "nt":
        return _running_on_windows(wanted)
    try:
        uid = pwd.getpwnam(user).pw_uid if user else None
    except KeyError:
        return False                    # no such login here: nothing of theirs can run
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip().lower() in wanted and (uid is None or entry.stat().st_uid == uid):
                return True
        except OSError:
            continue                    # the process ended meanwhile
    return False


def _running_on_windows(wanted: set[str]) -> bool:
    try:
        listed = subprocess.run(["tasklist", "/FO", "CSV", "/NH"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return True                     # can't tell: never call a live lock dead
    names = {line.split(",")[0].strip('"').lower() for line in listed.stdout.splitlines() if line}
    return bool(names & wanted)


def stale_lock_advice(lock: Path, owner: LockOwner, gone: bool | None, hours: int) -> str:
    """What the operator (digest, «Оповещения») and the administrator (log) must do, in Russian."""
    who = f"{owner.program}" + (f" пользователя «{owner.user}»" if owner.user else "") + \
          (f" на компьютере «{owner.host}»" if owner.host else "") + (f" ({owner.since})" if owner.since else "")
    if gone:
        return (f"Файл блокировки «{lock.name}» остался после сбоя: его создал {who}, а эта программа уже не "
                f"запущена. Журнал не обновляется уже более {hours} ч. Что сделать: удалите файл «{lock}» "
                "(он скрытый; журнал при этом не пострадает), служба запишет журнал в следующем цикле.")
    return (f"Журнал заблокирован более {hours} ч: файл блокировки «{lock.name}» создал {who}. Если журнал там "
            "открыт, закройте его. Если он закрыт (или компьютер перезагружался), блокировка осталась после "
            f"сбоя: удалите файл «{lock}» (он скрытый), служба запишет журнал в следующем цикле.")
