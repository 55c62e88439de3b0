"""A local stand-in for an Exchange server's EWS endpoint (http.server on 127.0.0.1), for tests
and demos, written from Microsoft's EWS reference (learn.microsoft.com/en-us/exchange/
client-developer/web-service-reference/, "WSR" below) — not from any client.

Here: HTTP, auth and the hands of the world (mail arrives, a person makes or deletes a folder); the
mailbox and its operations, each citing its reference page, are in standins/ews_operations.py. One
mailbox in memory: the Inbox, the top of the store, and folders created under them; what is not implemented is refused the way EWS refuses
a request its schema does not know (HTTP 500 with a SOAP fault, ErrorSchemaValidation). Auth:
Basic (the mailbox's user and password), or an OAuth 2.0 access token from `token_url` (the
Microsoft identity platform's client-credentials grant); an app-only token must name the mailbox in
an ExchangeImpersonation header, as EWS requires (WSR exchangeimpersonation; "Authenticate an EWS
application by using OAuth").
"""

from __future__ import annotations

import base64
import http.server
import json
import secrets
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from standins.ews_operations import (ENVELOPE, INBOX, NS, OPERATIONS, SCHEMA_FAULT, TYPES, FakeFolder,
                                     FakeMailboxData, StoredItem, failure, response_messages)

__all__ = ["FakeEwsServer", "FakeMailboxData", "StoredItem"]


class _EwsHandler(http.server.BaseHTTPRequestHandler):
    server: "_EwsHttpServer"

    def do_POST(self) -> None:
        fake = self.server.fake
        if urlsplit(self.path).path.endswith("/oauth2/v2.0/token"):
            return self._reply(*fake.issue_token(self.path, self._body()), "application/json")
        body = self._body()
        auth = fake.authenticate(self.headers.get("Authorization", ""))
        if auth is None:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="ews"')
            self.send_header("WWW-Authenticate", "Bearer")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        fake.bodies.append(body)
        try:
            envelope = ET.fromstring(body)
            operation = envelope.find("s:Body", NS)[0]
        except (ET.ParseError, TypeError, IndexError):
            return self._reply(500, SCHEMA_FAULT.format(what="not a SOAP request").encode(), "text/xml")
        name = operation.tag.split("}")[1]
        ctx = fake.context(envelope, auth)
        with fake.data.lock:
            fake.data.requests.append(name)
            if isinstance(ctx, str):
                reply = response_messages(name, [failure(name, *ctx.split("|", 1))])
            else:
                handler = OPERATIONS.get(name)
                reply = handler(operation, fake.data, ctx) if handler else None
        if reply is None:
            return self._reply(500, SCHEMA_FAULT.format(what=escape(name)).encode(), "text/xml")
        self._reply(200, ENVELOPE.format(body=reply).encode("utf-8"), "text/xml; charset=utf-8")

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _reply(self, status: int, payload: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


class _EwsHttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    fake: "FakeEwsServer"


class FakeEwsServer:
    """`start()`, point exchangelib at `.url`; `deliver(raw)` adds mail to the Inbox, `.sent`
    holds what was sent. OAuth: an app registered as (`client_id`, `client_secret`) in `tenant`."""

    def __init__(self, user: str = "obrashcheniya@adm.example", password: str = "ews-password",
                 client_id: str = "11111111-2222-3333-4444-555555555555", client_secret: str = "app-secret",
                 tenant: str = "adm-okha.onmicrosoft.com") -> None:
        self.user, self.password = user, password
        self.client_id, self.client_secret, self.tenant = client_id, client_secret, tenant
        self.data = FakeMailboxData()
        self.bodies: list[bytes] = []
        self.tokens: dict[str, float] = {}          # access token → expiry (monotonic)
        self._server: _EwsHttpServer | None = None
        self._counter = 0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        return f"{self.base}/EWS/Exchange.asmx"

    @property
    def token_url(self) -> str:
        return f"{self.base}/{self.tenant}/oauth2/v2.0/token"

    @property
    def sent(self) -> list[bytes]:
        return self.data.sent

    # -- auth -------------------------------------------------------------------------------------

    def authenticate(self, header: str) -> str | None:
        """'basic' or 'oauth' for a valid Authorization header, else None (HTTP 401)."""
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        if header == f"Basic {expected}":
            return "basic"
        scheme, _, token = header.partition(" ")
        if scheme.lower() == "bearer" and self.tokens.get(token, 0) > time.monotonic():
            return "oauth"
        return None

    def context(self, envelope: ET.Element, auth: str):
        """What the SOAP header says, checked as EWS does; a 'code|text' string is a refusal."""
        impersonated = envelope.find("s:Header/t:ExchangeImpersonation/t:ConnectingSID", NS)
        address = None
        if impersonated is not None:
            address = next((e.text for e in impersonated if e.text), None)
        if auth == "oauth":
            if address is None:   # app-only tokens act for a mailbox only through impersonation
                return ("ErrorInvalidExchangeImpersonationHeaderData|"
                        "ExchangeImpersonation SOAP header must be present for this type of OAuth token.")
            if address.lower() != self.user.lower():
                return "ErrorNonExistentMailbox|The SMTP address has no mailbox associated with it."
            return {"delegate": False}
        if address is not None:
            return "ErrorImpersonateUserDenied|The account does not have permission to impersonate the requested user."
        mailboxes = {e.text.lower() for e in envelope.iter(f"{{{TYPES}}}EmailAddress") if e.text}
        return {"delegate": bool(mailboxes - {self.user.lower()})}

    def issue_token(self, path: str, body: bytes) -> tuple[int, bytes]:
        """The Microsoft identity platform's token endpoint, client-credentials grant
        (learn.microsoft.com/en-us/entra/identity-platform/v2-oauth2-client-creds-grant-flow):
        form-encoded grant_type, client_id, client_secret, scope ending in «/.default»."""
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        tenant = urlsplit(path).path.strip("/").split("/")[0]

        def error(status: int, code: str, text: str) -> tuple[int, bytes]:
            return status, json.dumps({"error": code, "error_description": text}).encode()
        if tenant != self.tenant:
            return error(400, "invalid_request", f"AADSTS90002: Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return error(400, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
        if form.get("client_id") != self.client_id:
            return error(400, "unauthorized_client", "AADSTS700016: Application not found in the directory.")
        if form.get("client_secret") != self.client_secret:
            return error(401, "invalid_client", "AADSTS7000215: Invalid client secret provided.")
        if not form.get("scope", "").endswith("/.default"):
            return error(400, "invalid_scope", "AADSTS1002012: The provided value for scope is not valid.")
        token = secrets.token_urlsafe(24)
        self.tokens[token] = time.monotonic() + 3599
        return 200, json.dumps({"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                                "access_token": token}).encode()

    # -- lifecycle --------------------------------------------------------------------------------

    def start(self) -> "FakeEwsServer":
        self._server = _EwsHttpServer(("127.0.0.1", 0), _EwsHandler)
        self._server.fake = self
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> "FakeEwsServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- the world around the mailbox -------------------------------------------------------------

    def deliver(self, raw: bytes, folder: str = INBOX) -> str:
        """Mail arrives (a transport rule may file it into `folder`, a folder id or a path)."""
        with self.data.lock:
            target = self.data.folders.get(folder) or self._path(folder)
            self._counter += 1
            item_id = f"AAMk-item-{self._counter}"
            target.items.append(StoredItem(item_id=item_id, mime=raw))
            target.log.append(("Create", item_id))
            self.data.emit("CreatedEvent", target.folder_id, item_id)
            self.data.emit("NewMailEvent", target.folder_id, item_id)
        return item_id

    def make_folder(self, path: str) -> str:
        """A person creates a folder (path under the Inbox, «/» between levels); returns its id."""
        with self.data.lock:
            parent = INBOX
            for name in path.split("/"):
                found = self.data.child(parent, name)
                if found is None:
                    found = FakeFolder(f"AAMk-folder-{uuid.uuid4().hex[:12]}", name, parent)
                    self.data.folders[found.folder_id] = found
                parent = found.folder_id
            return parent

    def folder_items(self, path: str) -> list[StoredItem]:
        """The items of the folder at `path` under the Inbox ([] when there is no such folder)."""
        with self.data.lock:
            try:
                return list(self._path(path).items)
            except KeyError:
                return []

    def _path(self, path: str) -> FakeFolder:
        folder = self.data.folders[INBOX]
        for name in (p for p in path.split("/") if p):
            folder = self.data.child(folder.folder_id, name)
            if folder is None:
                raise KeyError(path)
        return folder

    def delete_folder(self, path: str) -> None:
        """A person deletes a folder (and what is in it)."""
        with self.data.lock:
            folder = self._path(path)
            gone = {folder.folder_id} | {f.folder_id for f in self.data.folders.values() if f.parent == folder.folder_id}
            for folder_id in gone:
                del self.data.folders[folder_id]

    def recreate_mailbox(self) -> None:
        """Invalidate every sync state, as Exchange does after a mailbox move or rebuild."""
        with self.data.lock:
            self.data.generation += 1
