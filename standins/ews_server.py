"""A local fake Exchange Web Services endpoint (http.server on 127.0.0.1) for tests and demos.

It answers the SOAP operations exchangelib sends for the bridge's use (GetFolder,
SyncFolderItems, GetItem, UpdateItem, CreateItem with MIME content), keeping one mailbox's
inbox in memory. Requests were recorded from exchangelib 5.6 pointed at this server with a fixed
server version (Exchange 2016), Basic auth and no autodiscover.
"""

from __future__ import annotations

import base64
import http.server
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
MESSAGES = "http://schemas.microsoft.com/exchange/services/2006/messages"
TYPES = "http://schemas.microsoft.com/exchange/services/2006/types"
NS = {"s": SOAP, "m": MESSAGES, "t": TYPES}

ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    f'<s:Envelope xmlns:s="{SOAP}" xmlns:m="{MESSAGES}" xmlns:t="{TYPES}">'
    '<s:Header><t:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507"'
    ' MinorBuildNumber="0" Version="V2017_07_11"/></s:Header>'
    '<s:Body>{body}</s:Body></s:Envelope>')


@dataclass
class StoredItem:
    item_id: str
    mime: bytes
    is_read: bool = False
    categories: list[str] = field(default_factory=list)


class FakeMailboxData:
    """The inbox: items in arrival order; a sync state is the count of items already synced."""

    def __init__(self) -> None:
        self.items: list[StoredItem] = []
        self.sent: list[bytes] = []
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.generation = 1  # bumping it invalidates every sync state (a recreated mailbox)

    def by_id(self, item_id: str) -> StoredItem | None:
        return next((item for item in self.items if item.item_id == item_id), None)


def response_messages(operation: str, messages: list[str]) -> str:
    return (f"<m:{operation}Response><m:ResponseMessages>{''.join(messages)}"
            f"</m:ResponseMessages></m:{operation}Response>")


def success(operation: str, inner: str = "") -> str:
    return (f'<m:{operation}ResponseMessage ResponseClass="Success">'
            f"<m:ResponseCode>NoError</m:ResponseCode>{inner}</m:{operation}ResponseMessage>")


def failure(operation: str, code: str, text: str, extra: str = "") -> str:
    return (f'<m:{operation}ResponseMessage ResponseClass="Error">'
            f"<m:MessageText>{escape(text)}</m:MessageText><m:ResponseCode>{code}</m:ResponseCode>"
            f"<m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>{extra}</m:{operation}ResponseMessage>")


def folder_xml(folder_id: str, name: str, data: FakeMailboxData) -> str:
    unread = sum(1 for item in data.items if not item.is_read)
    return (f'<t:Folder><t:FolderId Id="{folder_id}" ChangeKey="ck-{folder_id}"/>'
            f"<t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>{name}</t:DisplayName>"
            f"<t:TotalCount>{len(data.items)}</t:TotalCount><t:ChildFolderCount>0"
            f"</t:ChildFolderCount><t:UnreadCount>{unread}</t:UnreadCount></t:Folder>")


def item_id_xml(item: StoredItem) -> str:
    return f'<t:ItemId Id="{item.item_id}" ChangeKey="ck-{item.item_id}"/>'


def handle_get_folder(request: ET.Element, data: FakeMailboxData) -> str:
    messages = []
    for folder in request.iterfind(".//m:FolderIds/*", NS):
        folder_id = folder.get("Id")
        name = {"root": "Корневой", "msgfolderroot": "Верхний уровень"}.get(folder_id, folder_id)
        messages.append(success("GetFolder", f"<m:Folders>{folder_xml(folder_id, name, data)}"
                                             "</m:Folders>"))
    return response_messages("GetFolder", messages)


def handle_sync_folder_items(request: ET.Element, data: FakeMailboxData) -> str:
    state_text = request.findtext("m:SyncState", default="", namespaces=NS)
    limit = int(request.findtext("m:MaxChangesReturned", default="100", namespaces=NS))
    start = 0
    if state_text:
        generation, _, count = state_text.partition(":")
        if generation != str(data.generation) or not count.isdigit():
            # exchangelib 5.6 reads SyncState before it looks at ResponseClass, so an error
            # reply carries the (empty) sync elements too, as Exchange's schema allows.
            return response_messages("SyncFolderItems", [failure(
                "SyncFolderItems", "ErrorInvalidSyncStateData", "Invalid sync state",
                "<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>")])
        start = int(count)
    chunk = data.items[start:start + limit]
    end = start + len(chunk)
    creates = "".join(f"<t:Create><t:Message>{item_id_xml(item)}</t:Message></t:Create>"
                      for item in chunk)
    last = "true" if end >= len(data.items) else "false"
    inner = (f"<m:SyncState>{data.generation}:{end}</m:SyncState>"
             f"<m:IncludesLastItemInRange>{last}</m:IncludesLastItemInRange>"
             f"<m:Changes>{creates}</m:Changes>")
    return response_messages("SyncFolderItems", [success("SyncFolderItems", inner)])


def handle_get_item(request: ET.Element, data: FakeMailboxData) -> str:
    messages = []
    for ref in request.iterfind(".//m:ItemIds/t:ItemId", NS):
        item = data.by_id(ref.get("Id"))
        if item is None:
            messages.append(failure("GetItem", "ErrorItemNotFound", "Item not found"))
            continue
        mime = base64.b64encode(item.mime).decode()
        categories = "".join(f"<t:String>{escape(c)}</t:String>" for c in item.categories)
        body = (f"<t:Message>{item_id_xml(item)}"
                f'<t:MimeContent CharacterSet="UTF-8">{mime}</t:MimeContent>'
                f"<t:Categories>{categories}</t:Categories>"
                f"<t:IsRead>{'true' if item.is_read else 'false'}</t:IsRead></t:Message>")
        messages.append(success("GetItem", f"<m:Items>{body}</m:Items>"))
    return response_messages("GetItem", messages)


def handle_update_item(request: ET.Element, data: FakeMailboxData) -> str:
    messages = []
    for change in request.iterfind(".//t:ItemChange", NS):
        item = data.by_id(change.find("t:ItemId", NS).get("Id"))
        if item is None:
            messages.append(failure("UpdateItem", "ErrorItemNotFound", "Item not found"))
            continue
        is_read = change.findtext(".//t:Message/t:IsRead", namespaces=NS)
        if is_read is not None:
            item.is_read = is_read in ("true", "1")  # xs:boolean
        strings = change.findall(".//t:Message/t:Categories/t:String", NS)
        if strings:
            item.categories = [s.text or "" for s in strings]
        messages.append(success("UpdateItem", f"<m:Items><t:Message>{item_id_xml(item)}"
                                              "</t:Message></m:Items>"))
    return response_messages("UpdateItem", messages)


def handle_create_item(request: ET.Element, data: FakeMailboxData) -> str:
    messages = []
    for message in request.iterfind(".//m:Items/t:Message", NS):
        mime = message.findtext("t:MimeContent", default="", namespaces=NS)
        data.sent.append(base64.b64decode(mime))
        messages.append(success("CreateItem", "<m:Items/>"))
    return response_messages("CreateItem", messages)


OPERATIONS = {
    "GetFolder": handle_get_folder,
    "SyncFolderItems": handle_sync_folder_items,
    "GetItem": handle_get_item,
    "UpdateItem": handle_update_item,
    "CreateItem": handle_create_item,
}


class _EwsHandler(http.server.BaseHTTPRequestHandler):
    server: "_EwsHttpServer"

    def do_POST(self) -> None:
        fake = self.server.fake
        if not fake.authorized(self.headers.get("Authorization", "")):
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="ews"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        fake.bodies.append(body)
        operation = ET.fromstring(body).find("s:Body", NS)[0]
        name = operation.tag.split("}")[1]
        with fake.data.lock:
            fake.data.requests.append(name)
            handler = OPERATIONS.get(name)
            reply = handler(operation, fake.data) if handler else None
        if reply is None:
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = ENVELOPE.format(body=reply).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/xml; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args) -> None:  # keep test output quiet
        pass


class _EwsHttpServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    fake: "FakeEwsServer"


class FakeEwsServer:
    """`start()`, point exchangelib at `.url`; `deliver(raw)` adds mail, `.sent` holds sends."""

    def __init__(self, user: str = "obrashcheniya@adm.example",
                 password: str = "ews-password") -> None:
        self.user, self.password = user, password
        self.data = FakeMailboxData()
        self.bodies: list[bytes] = []
        self._server: _EwsHttpServer | None = None
        self._counter = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/EWS/Exchange.asmx"

    @property
    def sent(self) -> list[bytes]:
        return self.data.sent

    def authorized(self, header: str) -> bool:
        expected = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return header == f"Basic {expected}"

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

    def deliver(self, raw: bytes) -> str:
        with self.data.lock:
            self._counter += 1
            item_id = f"AAMk-item-{self._counter}"
            self.data.items.append(StoredItem(item_id=item_id, mime=raw))
        return item_id

    def recreate_mailbox(self) -> None:
        """Invalidate every sync state, as Exchange does after a mailbox move or rebuild."""
        with self.data.lock:
            self.data.generation += 1
