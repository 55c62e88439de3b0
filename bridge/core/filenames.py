"""What a file name may not be, wherever a file is written (mail attachments, the data folder)."""

from __future__ import annotations

# Device names on Windows, with or without an extension (CON, nul.txt): never a file's name.
WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)),
                              *(f"LPT{n}" for n in range(1, 10))})
