"""One instance per data folder (issue 10): two `once`, two `serve`, or `serve` beside a cron
`once` would each apply the same decisions and send the same mail.

The lock is the operating system's own (`filelock`: `flock` on Unix, `msvcrt.locking` on
Windows) on `otklik.lock` in the data folder, so it dies with its process: after a kill -9 or a
power cut the next start simply takes it. Who holds it (PID, command, host, since when) is kept
in `otklik.lock.info` beside it, a separate file because Windows forbids reading a locked byte;
it serves only the message of the instance that has to wait, never the decision.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import platform
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable

from filelock import FileLock, Timeout

from bridge.core.errors import OtklikError
from bridge.storage.files import DataFiles

log = logging.getLogger("otklik.instance")

INFO_WAIT = 1.0          # seconds: the winner writes its info file right after it took the lock


class InstanceBusy(OtklikError):
    """Another Otklik works on this data folder; try again when it has finished."""

    exit_code = 4


class InstanceLost(InstanceBusy):
    """The lock file was removed or replaced under a running instance: another may run now."""


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str
    host: str
    since: datetime | None

    def describe(self, local: Callable[[datetime], datetime]) -> str:
        since = f", с {local(self.since):%d.%m.%Y %H:%M}" if self.since else ""
        host = f" на компьютере «{self.host}»" if self.host and self.host != platform.node() else ""
        return f"PID {self.pid}{host}, команда {self.command}{since}"


class DataFolderLock:
    """The exclusive lock of one data folder, held from `acquire` until `release` (or death)."""

    def __init__(self, files: DataFiles, command: str) -> None:
        self.files, self.command = files, command
        self._lock = FileLock(files.lock_path, timeout=0, thread_local=False, fallback_to_soft=False,
                              preserve_lock_file=True)
        self._identity: tuple[int, int] | None = None

    def acquire(self, now: datetime, local: Callable[[datetime], datetime]) -> Holder | None:
        """Take the lock or raise `InstanceBusy`; returns the holder that died with it held, if any."""
        root = self.files.root
        try:
            self._lock.acquire()
        except Timeout:
            holder = _read_holder(self.files.lock_info_path, wait=INFO_WAIT)
            who = holder.describe(local) if holder else "сведения о нём ещё не записаны"
            raise InstanceBusy(f"папку данных «{root}» уже использует другой запуск Отклика ({who}); "
                               "дождитесь его завершения или остановите службу — два запуска сразу "
                               "удвоили бы письма и публикации") from None
        except OSError as exc:
            raise OtklikError(f"не удалось заблокировать папку данных «{root}» ({_why(exc)}): нужна папка "
                              "на локальном диске с правом записи для пользователя службы") from None
        stale = _read_holder(self.files.lock_info_path)
        try:
            _write_json(self.files.lock_info_path, {
                "pid": os.getpid(), "command": self.command, "host": platform.node(), "since": now.isoformat()})
            self._identity = _identity(self.files.lock_path)
        except OSError as exc:
            self.release()
            raise OtklikError(f"не удалось записать «{self.files.lock_info_path.name}» в папке данных "
                              f"«{root}» ({_why(exc)}): нужна папка с правом записи") from None
        if stale is not None and stale.pid != os.getpid():
            log.warning("предыдущий запуск (PID %s, %s) завершился, не сняв блокировку (сбой или kill -9); "
                        "блокировка перехвачена", stale.pid, stale.command)
        return stale

    def check_held(self) -> None:
        """Raise `InstanceLost` when `otklik.lock` is no longer the file this instance locked
        (someone deleted a "stale" lock file by hand: a second instance could lock a new one)."""
        if self._identity is None:
            return
        try:
            now_there = _identity(self.files.lock_path)
        except OSError:
            now_there = None
        if now_there != self._identity:
            raise InstanceLost(f"файл блокировки «{self.files.lock_path}» удалён или заменён во время работы: "
                               "другой запуск мог начать работу с той же папкой данных; работа остановлена, "
                               "запустите её снова, когда других запусков нет")

    def release(self) -> None:
        if not self._lock.is_locked:
            return
        if self._identity is not None and _read_holder(self.files.lock_info_path, pid=os.getpid()):
            self.files.lock_info_path.unlink(missing_ok=True)   # a clean stop leaves no holder behind
        self._identity = None
        self._lock.release(force=True)


def _read_holder(path: Path, wait: float = 0.0, pid: int | None = None) -> Holder | None:
    """The holder written in the info file (None when absent, unreadable or, with `pid`, another's)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            since = datetime.fromisoformat(data["since"]) if data.get("since") else None
            holder = Holder(int(data["pid"]), str(data.get("command", "")), str(data.get("host", "")), since)
            return holder if pid is None or holder.pid == pid else None
        except (OSError, ValueError, KeyError, TypeError):
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)


def _write_json(path: Path, data: dict) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    for attempt in range(5):
        try:
            os.replace(temporary, path)
            return
        except PermissionError:   # Windows: a waiting instance is reading the file this instant
            if attempt == 4:
                raise
            time.sleep(0.05)


def _identity(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_dev, stat.st_ino


_REASONS = {errno.EACCES: "нет прав на запись", errno.EPERM: "нет прав на запись",
            errno.EROFS: "файловая система только для чтения", errno.ENOSPC: "нет места на диске",
            errno.ENOSYS: "файловая система не поддерживает блокировки", errno.ENOENT: "папки нет"}


def _why(exc: OSError) -> str:
    """The OS error in Russian (its own `strerror` is in the system's language)."""
    return _REASONS.get(exc.errno, f"ошибка ОС {exc.errno}")
