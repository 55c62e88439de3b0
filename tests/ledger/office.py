"""LibreOffice for the tests: one headless profile per module, and a conversion that must work.

LibreOffice is required (Debian: libreoffice-calc-nogui): without it these tests fail, never skip.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

TIMEOUT = 120


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if not found:
        pytest.fail("LibreOffice is not installed (no `soffice` / `libreoffice` on PATH): "
                    "install the Debian package libreoffice-calc-nogui; this proof must not be skipped.")
    return found


@pytest.fixture(scope="module")
def profile(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("lo-profile")


def convert(profile: Path, target: str, out: Path, *sources: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    command = [soffice(), "--headless", "--norestore", "--nologo", f"-env:UserInstallation={profile.as_uri()}",
               "--convert-to", target, "--outdir", str(out), *map(str, sources)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"LibreOffice did not convert within {TIMEOUT} s: {command}")
    suffix = target.split(":")[0]
    missing = [s.name for s in sources if not (out / f"{s.stem}.{suffix}").exists()]
    assert done.returncode == 0 and not missing, f"soffice failed ({done.returncode}): {done.stdout}{done.stderr}"


