"""E-mail addresses on the wire: Cyrillic domains (.рф) in their ASCII form (IDNA, RFC 5890)."""

from __future__ import annotations


def ascii_domain(address: str) -> str:
    """`local@домен.рф` → `local@xn--….xn--p1ai`; an address that cannot be converted stays as it is."""
    local, at, domain = address.strip().rpartition("@")
    if not at or domain.isascii():
        return address.strip()
    try:
        return f"{local}@{domain.encode('idna').decode('ascii')}"
    except UnicodeError:
        return address.strip()
