"""Files both ways (issue 11): what citizens' downloads and answers' uploads cost.

Run from the repository root:  python bench/files.py [--messages N] [--size-mb S]

1. Intake: N VK wall comments, each with a photo of S MB served by the VK stand-in on 127.0.0.1,
   taken in by `App.take_channels` (long poll, download, `attachments/<case>/citizen/`).
2. A huge file: a 200 MB document refused by the 10 MB limit — time and the peak of Python
   allocations of `VkChannel.download` (the declared size refuses it before a byte is read).
3. Publication: an answer with ten 1 MB photos and a 5 MB scan to a VK dialogue (upload servers,
   multipart uploads, saves, messages.send) and to a Telegram dialogue (media groups).
Each part uses its own temporary data folder and removes it.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]   # bench/ledger.py

from bridge.app import build_app  # noqa: E402
from bridge.channels.base import AttachmentRef, FileTooBig  # noqa: E402
from bridge.channels.telegram import TelegramChannel  # noqa: E402
from bridge.channels.vk import VkChannel  # noqa: E402
from bridge.config import load  # noqa: E402
from standins.telegram_api import FakeTelegram  # noqa: E402
from standins.vk_api import FakeVk  # noqa: E402

MB = 1024 * 1024


def intake(messages: int, size_mb: float) -> str:
    folder = Path(tempfile.mkdtemp(prefix="otklik-bench-files-"))
    try:
        with FakeVk() as vk:
            os.environ["OTKLIK_VK_TOKEN"] = vk.token
            config = dataclasses.replace(load(None), data_dir=folder / "data", ledger=folder / "Журнал.xlsx",
                                         site_dir=folder / "site", mail={},
                                         channels={"vk": {"group_id": vk.group_id, "token_env": "OTKLIK_VK_TOKEN",
                                                          "api_url": vk.api_url, "min_interval": 0}})
            app = build_app(config)
            now = datetime.now(timezone.utc)
            app.take_channels(now)
            photo = b"\xff\xd8" + os.urandom(int(size_mb * MB))
            for number in range(messages):
                vk.add_user(number + 1, "Житель", str(number))
                vk.post_wall_comment(10, number + 1, f"Фото {number}", attachments=[vk.citizen_photo(photo)])
            started = time.perf_counter()
            while len(app.store.all_cases()) < messages:
                app.take_channels(now)
            took = time.perf_counter() - started
            kept = sum(len(app.files.files(c.id, "citizen")) for c in app.store.all_cases())
            app.store.close()
        total = messages * len(photo) / MB
        return (f"intake: {messages} comments with a {size_mb:g} MB photo each — {took:.2f} s, "
                f"{messages / took:.0f} messages/s, {total / took:.0f} MB/s, {kept} files kept")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def huge_file() -> str:
    with FakeVk() as vk:
        path = "/files/huge"
        vk.served[path] = b"\0" * (200 * MB)
        channel = VkChannel(vk.group_id, vk.token, vk.api_url)
        ref = AttachmentRef("huge.pdf", vk.base_url + path, "doc")
        tracemalloc.start()
        started = time.perf_counter()
        try:
            channel.download(ref, limit=10 * MB)
            outcome = "downloaded (!)"
        except FileTooBig:
            outcome = "refused"
        took = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del vk.served[path]
    return f"huge file: a 200 MB document over the 10 MB limit {outcome} in {took * 1000:.0f} ms, " \
           f"peak Python allocations {peak / MB:.2f} MB"


def publication() -> str:
    folder = Path(tempfile.mkdtemp(prefix="otklik-bench-files-"))
    try:
        files = []
        for number in range(10):
            path = folder / f"фото{number}.jpg"
            path.write_bytes(b"\xff\xd8" + os.urandom(MB))
            files.append(path)
        scan = folder / "акт.pdf"
        scan.write_bytes(b"%PDF" + os.urandom(5 * MB))
        files.append(scan)
        lines = []
        with FakeVk() as vk:
            channel = VkChannel(vk.group_id, vk.token, vk.api_url, min_interval=0)
            started = time.perf_counter()
            channel.publish_reply({"method": "messages.send", "peer_id": 5}, "Ответ", files, "bench")
            lines.append(f"VK dialogue {time.perf_counter() - started:.2f} s ({len(vk.calls)} API calls)")
        with FakeTelegram() as tg:
            tg.send_dm(tg.user(5, "Житель"), "вопрос")
            channel = TelegramChannel(tg.token, tg.api_url)
            started = time.perf_counter()
            channel.publish_reply({"chat_id": 5}, "Ответ", files, "bench")
            lines.append(f"Telegram dialogue {time.perf_counter() - started:.2f} s "
                         f"({len(tg.published)} messages)")
        return "publication of ten 1 MB photos and a 5 MB scan: " + "; ".join(lines)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--size-mb", type=float, default=1.0)
    args = parser.parse_args()
    for line in (intake(args.messages, args.size_mb), huge_file(), publication()):
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
