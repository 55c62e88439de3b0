"""A private Dovecot (IMAP + LMTP) on a free loopback port, for integration tests.

Each `dovecot` fixture gets its own temp folder with config, runtime dir, passwd-file and
Maildirs, so tests never share mail. Delivery goes through LMTP on a unix socket, the way a real
MTA hands mail to Dovecot. Requires Debian's `dovecot-imapd` and `dovecot-lmtpd`: when they are
missing the fixture FAILS (CI installs them), it never skips.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

DOVECOT_BINARY = "/usr/sbin/dovecot"
DOVEADM_BINARY = "/usr/bin/doveadm"
START_TIMEOUT = 10.0

CONFIG_TEMPLATE = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = otklik-test-{port}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:{root}/mail/%u/Maildir
mail_uid = {mail_uid}
mail_gid = {mail_gid}
imap_idle_notify_interval = 2 mins
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
service anvil {{
  chroot =
  # No auth penalty: a wrong-password test must not slow every later login by seconds.
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@localhost
}}
"""


def find_free_port() -> int:
    """Ask the kernel for a free loopback port (closed again before Dovecot binds it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def pick_process_users() -> dict[str, str | int]:
    """As root Dovecot needs unprivileged users; otherwise everything runs as ourselves."""
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        return {
            "internal_user": "dovecot", "login_user": "dovenull",
            "mail_uid": nobody.pw_uid, "mail_gid": nobody.pw_gid,
        }
    me = pwd.getpwuid(os.geteuid()).pw_name
    return {
        "internal_user": me, "login_user": me,
        "mail_uid": os.geteuid(), "mail_gid": os.getegid(),
    }


class Dovecot:
    """One private Dovecot instance; `add_user` then `deliver` mail, connect to host:port."""

    host = "127.0.0.1"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = 0
        self.users: dict[str, str] = {}
        self._process: subprocess.Popen | None = None
        self._settings = pick_process_users()

    @property
    def config_path(self) -> Path:
        return self.root / "dovecot.conf"

    @property
    def lmtp_socket(self) -> Path:
        return self.root / "run" / "lmtp"

    def start(self) -> None:
        require_dovecot()
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        self._chown_mail_root()
        (self.root / "passwd").touch()
        self.port = find_free_port()
        self.config_path.write_text(
            CONFIG_TEMPLATE.format(root=self.root, port=self.port, **self._settings))
        self._process = subprocess.Popen(
            [DOVECOT_BINARY, "-F", "-c", str(self.config_path)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        self._wait_until_listening()

    def _chown_mail_root(self) -> None:
        if os.geteuid() == 0:
            os.chown(self.root / "mail", int(self._settings["mail_uid"]),
                     int(self._settings["mail_gid"]))

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self._process.stderr.read().decode()}"
                                   f"\n{self.read_log()}")
            if self.lmtp_socket.exists() and port_accepts(self.host, self.port):
                return
            time.sleep(0.01)
        raise RuntimeError(f"dovecot did not start in {START_TIMEOUT}s\n{self.read_log()}")

    def stop(self) -> None:
        if self._process is None:
            return
        # The master and all its children share the session we created: a graceful SIGTERM
        # costs Dovecot ~1 s of waiting for children, so end the whole group at once.
        try:
            os.killpg(self._process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self._process.wait()
        self._process = None

    def read_log(self) -> str:
        log = self.root / "dovecot.log"
        return log.read_text(errors="replace") if log.exists() else ""

    def add_user(self, address: str, password: str = "secret") -> str:
        """Add a mailbox user named by its full address; returns the address."""
        self.users[address] = password
        lines = [f"{name}:{{PLAIN}}{secret}::::::" for name, secret in self.users.items()]
        (self.root / "passwd").write_text("\n".join(lines) + "\n")
        return address

    def deliver(self, raw: bytes, to: str, sender: str = "sender@example.org") -> None:
        """Deliver one message to `to` through Dovecot's LMTP socket."""
        self.deliver_many([raw], to, sender)

    def deliver_many(self, raws: list[bytes], to: str,
                     sender: str = "sender@example.org") -> None:
        """Deliver several messages in one LMTP session (a burst)."""
        with smtplib.LMTP(str(self.lmtp_socket)) as lmtp:
            for raw in raws:
                lmtp.sendmail(sender, [to], raw)

    def doveadm(self, *args: str) -> str:
        result = subprocess.run([DOVEADM_BINARY, "-c", str(self.config_path), *args],
                                capture_output=True, text=True, timeout=10)
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {args} failed: {result.stderr}")
        return result.stdout

    def kick(self, user: str) -> None:
        """Drop every IMAP connection of `user` from the server side."""
        self.doveadm("kick", user)


def port_accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def require_dovecot() -> None:
    if not (os.access(DOVECOT_BINARY, os.X_OK) and shutil.which("doveadm")):
        pytest.fail("Dovecot is not installed: apt-get install dovecot-imapd dovecot-lmtpd "
                    "(the IMAP integration tests need a real server)", pytrace=False)


@pytest.fixture
def dovecot():
    """A fresh private Dovecot for one test; stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="otklik-dovecot-"))
    server = Dovecot(root)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
