"""check-config for the official pages (SPEC §6): every configured page is contacted for real.

Each network's `diagnose(channel)` returns (what, problem, note) lines: a problem is one Russian
line saying what to fix; a note says what works, which token a feature needs, or what the
network's API does not offer at all. Here they become check-config's (name, problem) pairs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Mapping

from bridge.channels import build_channels, network_of


def channel_checks(pages: Mapping[str, Mapping], secrets: Callable[[str], str],
                   data_dir: Path | None = None) -> list[tuple[str, str]]:
    """One page after another; a page that cannot be built or reached never hides the others."""
    results: list[tuple[str, str]] = []
    for key, section in pages.items():
        title = f"Канал {key}"
        try:
            (channel,) = build_channels({key: section}, secrets, data_dir)
        except Exception as exc:   # noqa: BLE001 - check-config reports, never crashes
            results.append((title, _one_line(exc)))
            continue
        try:
            lines = _diagnose(channel)
        except Exception as exc:   # noqa: BLE001
            results.append((title, _one_line(exc)))
            continue
        for what, problem, note in lines:
            results.append((f"{title} · {what}" + (f" — {note}" if note and not problem else ""), problem))
    return results


def _diagnose(channel) -> list[tuple[str, str, str]]:
    network = network_of(channel.name)
    if network == "vk":
        from bridge.channels.vk_checks import diagnose
    elif network == "telegram":
        from bridge.channels.telegram_checks import diagnose
    else:
        from bridge.channels.ok_checks import diagnose
    return diagnose(channel)


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__
