"""The mailbox behind the EWS stand-in (standins/ews_server.py) and its SOAP operations, each
written from Microsoft's EWS reference (learn.microsoft.com/en-us/exchange/client-developer/
web-service-reference/, "WSR" below): the page it implements is named in its docstring.
"""

from __future__ import annotations

import base64
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import datetime, timezone
from xml.sax.saxutils import escape

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
MESSAGES = "http://schemas.microsoft.com/exchange/services/2006/messages"
TYPES = "http://schemas.microsoft.com/exchange/services/2006/types"
NS = {"s": SOAP, "m": MESSAGES, "t": TYPES}

# WSR serverversioninfo: every response names the server build (here Exchange 2016 CU).
ENVELOPE = (
    '<?xml version="1.0" encoding="utf-8"?>'
    f'<s:Envelope xmlns:s="{SOAP}" xmlns:m="{MESSAGES}" xmlns:t="{TYPES}">'
    '<s:Header><t:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507"'
    ' MinorBuildNumber="0" Version="V2017_07_11"/></s:Header>'
    '<s:Body>{body}</s:Body></s:Envelope>')
SCHEMA_FAULT = (
    '<?xml version="1.0" encoding="utf-8"?>'
    f'<s:Envelope xmlns:s="{SOAP}"><s:Body><s:Fault>'
    '<faultcode xmlns:a="http://schemas.microsoft.com/exchange/services/2006/types">a:ErrorSchemaValidation'
    '</faultcode><faultstring xml:lang="en-US">The request failed schema validation: {what}</faultstring>'
    '</s:Fault></s:Body></s:Envelope>')

# WSR distinguishedfolderid: the well-known folders this mailbox has.
INBOX, TOP, ROOT = "inbox", "msgfolderroot", "root"
NAMES = {INBOX: "Входящие", TOP: "Верхний уровень хранилища", ROOT: "Корневой"}
EVENT_TYPES = ("CopiedEvent", "CreatedEvent", "DeletedEvent", "ModifiedEvent", "MovedEvent", "NewMailEvent",
               "FreeBusyChangedEvent")
MAX_EVENTS = 50                # WSR getevents-operation: «the first 50 events from the queue»


@dataclass
class StoredItem:
    item_id: str
    mime: bytes
    is_read: bool = False
    categories: list[str] = field(default_factory=list)


@dataclass
class FakeFolder:
    folder_id: str
    name: str
    parent: str | None
    items: list[StoredItem] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)   # ('Create' | 'Delete', item id), for sync


@dataclass
class Subscription:
    """WSR pullsubscriptionrequest: folders, event types, idle timeout in minutes."""

    folders: tuple[str, ...]
    types: tuple[str, ...]
    timeout: int
    queue: list[str] = field(default_factory=list)     # event XML waiting for GetEvents
    touched: float = field(default_factory=time.monotonic)
    watermark: str = ""


class FakeMailboxData:
    """The mailbox: folders by id, items in arrival order, subscriptions, what was sent."""

    def __init__(self) -> None:
        self.folders: dict[str, FakeFolder] = {
            ROOT: FakeFolder(ROOT, NAMES[ROOT], None), TOP: FakeFolder(TOP, NAMES[TOP], ROOT),
            INBOX: FakeFolder(INBOX, NAMES[INBOX], TOP)}
        self.sent: list[bytes] = []
        self.requests: list[str] = []
        self.lock = threading.Lock()
        self.generation = 1  # bumping it invalidates every sync state (a recreated mailbox)
        self.subscriptions: dict[str, Subscription] = {}
        self.events = 0      # the mailbox's event counter: watermarks are positions in it

    @property
    def items(self) -> list[StoredItem]:
        return self.folders[INBOX].items

    def find(self, item_id: str) -> tuple[FakeFolder, StoredItem] | tuple[None, None]:
        for folder in self.folders.values():
            for item in folder.items:
                if item.item_id == item_id:
                    return folder, item
        return None, None

    def by_id(self, item_id: str) -> StoredItem | None:
        return self.find(item_id)[1]

    def child(self, parent: str, name: str) -> FakeFolder | None:
        """Folder names compare case-insensitively in Exchange."""
        return next((f for f in self.folders.values() if f.parent == parent and f.name.lower() == name.lower()), None)

    # -- events (WSR notification-ex15websvcsotherref) --------------------------------------------

    def watermark(self) -> str:
        return base64.b64encode(f"{self.generation}:{self.events}".encode()).decode()

    def emit(self, kind: str, folder_id: str, item_id: str, old_folder: str | None = None) -> None:
        self.events += 1
        mark, stamp = self.watermark(), datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        old = f'<t:OldParentFolderId Id="{old_folder}" ChangeKey="ck-{old_folder}"/>' if old_folder else ""
        event = (f"<t:{kind}><t:Watermark>{mark}</t:Watermark><t:TimeStamp>{stamp}</t:TimeStamp>"
                 f'<t:ItemId Id="{item_id}" ChangeKey="ck-{item_id}"/>'
                 f'<t:ParentFolderId Id="{folder_id}" ChangeKey="ck-{folder_id}"/>{old}</t:{kind}>')
        for subscription in self.subscriptions.values():
            watched = folder_id in subscription.folders or (old_folder in subscription.folders)
            if watched and kind in subscription.types:
                subscription.queue.append(event)


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


def folder_xml(folder: FakeFolder, data: FakeMailboxData) -> str:
    unread = sum(1 for item in folder.items if not item.is_read)
    children = sum(1 for f in data.folders.values() if f.parent == folder.folder_id)
    return (f'<t:Folder><t:FolderId Id="{folder.folder_id}" ChangeKey="ck-{folder.folder_id}"/>'
            + (f'<t:ParentFolderId Id="{folder.parent}" ChangeKey="ck-{folder.parent}"/>' if folder.parent else "")
            + f"<t:FolderClass>IPF.Note</t:FolderClass><t:DisplayName>{escape(folder.name)}</t:DisplayName>"
            f"<t:TotalCount>{len(folder.items)}</t:TotalCount><t:ChildFolderCount>{children}"
            f"</t:ChildFolderCount><t:UnreadCount>{unread}</t:UnreadCount></t:Folder>")


def item_id_xml(item: StoredItem) -> str:
    return f'<t:ItemId Id="{item.item_id}" ChangeKey="ck-{item.item_id}"/>'


def folder_ref(element: ET.Element | None) -> str | None:
    """WSR folderid / distinguishedfolderid: the folder a request names, as our id."""
    if element is None:
        return None
    for ref in element.iter():
        if ref.tag in (f"{{{TYPES}}}FolderId", f"{{{TYPES}}}DistinguishedFolderId"):
            return ref.get("Id")
    return None


def _folder_or_error(data: FakeMailboxData, folder_id: str | None, operation: str):
    folder = data.folders.get(folder_id or "")
    if folder is None:
        return None, failure(operation, "ErrorFolderNotFound", "The specified folder could not be found in the store.")
    return folder, None


# -- operations ------------------------------------------------------------------------------------

def handle_get_folder(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR getfolder-operation: one response message per folder id asked for."""
    messages = []
    for ref in request.iterfind("m:FolderIds/*", NS):
        folder, error = _folder_or_error(data, ref.get("Id"), "GetFolder")
        messages.append(error or success("GetFolder", f"<m:Folders>{folder_xml(folder, data)}</m:Folders>"))
    return response_messages("GetFolder", messages)


def handle_find_folder(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR findfolder-operation: Shallow traversal of each parent, optionally restricted by an
    IsEqualTo on folder:DisplayName (WSR isequalto); Deep is refused here (not implemented)."""
    if request.get("Traversal") not in ("Shallow", None):
        return None
    wanted = None
    equal = request.find("m:Restriction/t:IsEqualTo", NS)
    if equal is not None:
        uri = equal.find("t:FieldURI", NS)
        constant = equal.find("t:FieldURIOrConstant/t:Constant", NS)
        if uri is None or uri.get("FieldURI") != "folder:DisplayName" or constant is None:
            return None
        wanted = constant.get("Value", "")
    messages = []
    for ref in request.iterfind("m:ParentFolderIds/*", NS):
        parent, error = _folder_or_error(data, ref.get("Id"), "FindFolder")
        if error:
            messages.append(error)
            continue
        found = [f for f in data.folders.values() if f.parent == parent.folder_id
                 and (wanted is None or f.name.lower() == wanted.lower())]
        inner = "".join(folder_xml(f, data) for f in found)
        messages.append(success("FindFolder", f'<m:RootFolder IndexedPagingOffset="{len(found)}" '
                                              f'TotalItemsInView="{len(found)}" IncludesLastItemInRange="true">'
                                              f"<t:Folders>{inner}</t:Folders></m:RootFolder>"))
    return response_messages("FindFolder", messages)


def handle_create_folder(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR createfolder-operation: ErrorFolderExists for a name the parent already has."""
    parent, error = _folder_or_error(data, folder_ref(request.find("m:ParentFolderId", NS)), "CreateFolder")
    if error:
        return response_messages("CreateFolder", [error])
    messages = []
    for folder in request.iterfind("m:Folders/t:Folder", NS):
        name = folder.findtext("t:DisplayName", default="", namespaces=NS)
        if not name.strip():
            messages.append(failure("CreateFolder", "ErrorInvalidFolderId", "The folder name is empty."))
        elif data.child(parent.folder_id, name) is not None:
            messages.append(failure("CreateFolder", "ErrorFolderExists", "A folder with the specified name already exists."))
        else:
            made = FakeFolder(f"AAMk-folder-{uuid.uuid4().hex[:12]}", name, parent.folder_id)
            data.folders[made.folder_id] = made
            messages.append(success("CreateFolder", f'<m:Folders><t:Folder><t:FolderId Id="{made.folder_id}" '
                                                    f'ChangeKey="ck-{made.folder_id}"/></t:Folder></m:Folders>'))
    return response_messages("CreateFolder", messages)


def handle_sync_folder_items(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR syncfolderitems-operation: Create and Delete changes after SyncState, at most
    MaxChangesReturned of them; ErrorInvalidSyncStateData for a state this mailbox never gave."""
    folder, error = _folder_or_error(data, folder_ref(request.find("m:SyncFolderId", NS)), "SyncFolderItems")
    if error:
        return response_messages("SyncFolderItems", [error])
    state_text = request.findtext("m:SyncState", default="", namespaces=NS)
    limit = int(request.findtext("m:MaxChangesReturned", default="100", namespaces=NS))
    if not 1 <= limit <= 512:   # WSR maxchangesreturned: 1 to 512
        return response_messages("SyncFolderItems", [failure(
            "SyncFolderItems", "ErrorInvalidArgument", "MaxChangesReturned must be between 1 and 512")])
    start = 0
    if state_text:
        generation, _, rest = state_text.partition(":")
        where, _, count = rest.partition(":")
        if generation != str(data.generation) or where != folder.folder_id or not count.isdigit():
            # The error reply carries the (empty) sync elements too, as the schema allows.
            return response_messages("SyncFolderItems", [failure(
                "SyncFolderItems", "ErrorInvalidSyncStateData", "Invalid sync state",
                "<m:SyncState/><m:IncludesLastItemInRange>true</m:IncludesLastItemInRange>")])
        start = int(count)
    chunk = folder.log[start:start + limit]
    end = start + len(chunk)
    present = {item.item_id for item in folder.items}
    changes = "".join(
        f'<t:Create><t:Message><t:ItemId Id="{item_id}" ChangeKey="ck-{item_id}"/></t:Message></t:Create>'
        if kind == "Create" else f'<t:Delete><t:ItemId Id="{item_id}" ChangeKey="ck-{item_id}"/></t:Delete>'
        for kind, item_id in chunk if kind == "Delete" or item_id in present)
    last = "true" if end >= len(folder.log) else "false"
    inner = (f"<m:SyncState>{data.generation}:{folder.folder_id}:{end}</m:SyncState>"
             f"<m:IncludesLastItemInRange>{last}</m:IncludesLastItemInRange><m:Changes>{changes}</m:Changes>")
    return response_messages("SyncFolderItems", [success("SyncFolderItems", inner)])


def handle_get_item(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR getitem-operation: MimeContent is base64 (WSR mimecontent)."""
    messages = []
    for ref in request.iterfind("m:ItemIds/t:ItemId", NS):
        item = data.by_id(ref.get("Id"))
        if item is None:
            messages.append(failure("GetItem", "ErrorItemNotFound", "The specified object was not found in the store."))
            continue
        mime = base64.b64encode(item.mime).decode()
        categories = "".join(f"<t:String>{escape(c)}</t:String>" for c in item.categories)
        body = (f"<t:Message>{item_id_xml(item)}"
                f'<t:MimeContent CharacterSet="UTF-8">{mime}</t:MimeContent>'
                f"<t:Categories>{categories}</t:Categories>"
                f"<t:IsRead>{'true' if item.is_read else 'false'}</t:IsRead></t:Message>")
        messages.append(success("GetItem", f"<m:Items>{body}</m:Items>"))
    return response_messages("GetItem", messages)


def handle_update_item(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR updateitem-operation: SetItemField of message:IsRead and item:Categories."""
    messages = []
    for change in request.iterfind(".//t:ItemChange", NS):
        item = data.by_id(change.find("t:ItemId", NS).get("Id"))
        if item is None:
            messages.append(failure("UpdateItem", "ErrorItemNotFound", "The specified object was not found in the store."))
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


def handle_move_item(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR moveitem-operation: the item gets a new id in the target folder (returned when
    ReturnNewItemIds is true); a MovedEvent for subscribers."""
    target = data.folders.get(folder_ref(request.find("m:ToFolderId", NS)) or "")
    if target is None:   # one error per item asked for (ResponseCode list: ErrorToFolderNotFound)
        return response_messages("MoveItem", [failure("MoveItem", "ErrorToFolderNotFound",
                                                      "The specified target folder could not be found.")
                                              for _ in request.iterfind("m:ItemIds/t:ItemId", NS)])
    return_new = request.findtext("m:ReturnNewItemIds", default="true", namespaces=NS) in ("true", "1")
    messages = []
    for ref in request.iterfind("m:ItemIds/t:ItemId", NS):
        source, item = data.find(ref.get("Id"))
        if item is None:
            messages.append(failure("MoveItem", "ErrorItemNotFound", "The specified object was not found in the store."))
            continue
        source.items.remove(item)
        source.log.append(("Delete", item.item_id))
        item.item_id = f"AAMk-item-{uuid.uuid4().hex[:12]}"
        target.items.append(item)
        target.log.append(("Create", item.item_id))
        data.emit("MovedEvent", target.folder_id, item.item_id, old_folder=source.folder_id)
        inner = f"<m:Items><t:Message>{item_id_xml(item)}</t:Message></m:Items>" if return_new else "<m:Items/>"
        messages.append(success("MoveItem", inner))
    return response_messages("MoveItem", messages)


def handle_create_item(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR createitem-operation with MessageDisposition SendOnly and MimeContent: the message is
    sent as its MIME says (recipients from its headers), no copy kept."""
    if request.get("MessageDisposition") not in ("SendOnly", "SendAndSaveCopy", "SaveOnly", None):
        return None
    messages = []
    for message in request.iterfind(".//m:Items/t:Message", NS):
        mime = message.findtext("t:MimeContent", default="", namespaces=NS)
        data.sent.append(base64.b64decode(mime))
        messages.append(success("CreateItem", "<m:Items/>"))
    return response_messages("CreateItem", messages)


def handle_subscribe(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR subscribe-operation (pull only): the folders and event types to watch and an idle
    Timeout of 1–1440 minutes (WSR timeout); delegate access is refused as the page shows."""
    pull = request.find("m:PullSubscriptionRequest", NS)
    if pull is None:
        return None        # push and streaming subscriptions: not implemented here
    if ctx.get("delegate"):
        return response_messages("Subscribe", [failure(
            "Subscribe", "ErrorSubscriptionDelegateAccessNotSupported",
            "Subscriptions are not supported for delegate user access.")])
    folders = tuple(ref.get("Id") for ref in pull.iterfind("t:FolderIds/*", NS))
    types = tuple(t.text or "" for t in pull.iterfind("t:EventTypes/t:EventType", NS))
    timeout = pull.findtext("t:Timeout", default="", namespaces=NS)
    if not folders or any(f not in data.folders for f in folders):
        return response_messages("Subscribe", [failure("Subscribe", "ErrorFolderNotFound",
                                                       "The specified folder could not be found in the store.")])
    if not types or any(t not in EVENT_TYPES for t in types) or not timeout.isdigit() or not 1 <= int(timeout) <= 1440:
        return response_messages("Subscribe", [failure("Subscribe", "ErrorInvalidArgument",
                                                       "EventTypes and a Timeout of 1 to 1440 minutes are required.")])
    subscription_id = str(uuid.uuid4())
    data.subscriptions[subscription_id] = Subscription(folders, types, int(timeout), watermark=data.watermark())
    return response_messages("Subscribe", [success(
        "Subscribe", f"<m:SubscriptionId>{subscription_id}</m:SubscriptionId>"
                     f"<m:Watermark>{data.watermark()}</m:Watermark>")])


def handle_get_events(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR getevents-operation: up to 50 queued events, else one StatusEvent; the idle timer
    restarts. A subscription idle past its Timeout is gone (ErrorSubscriptionNotFound)."""
    subscription_id = request.findtext("m:SubscriptionId", default="", namespaces=NS)
    previous = request.findtext("m:Watermark", default="", namespaces=NS)
    subscription = data.subscriptions.get(subscription_id)
    if subscription is not None and time.monotonic() - subscription.touched > subscription.timeout * 60:
        del data.subscriptions[subscription_id]
        subscription = None
    if subscription is None:
        return response_messages("GetEvents", [failure(
            "GetEvents", "ErrorSubscriptionNotFound", "The specified subscription was not found.")])
    subscription.touched = time.monotonic()
    events, subscription.queue = subscription.queue[:MAX_EVENTS], subscription.queue[MAX_EVENTS:]
    if not events:
        events = [f"<t:StatusEvent><t:Watermark>{data.watermark()}</t:Watermark></t:StatusEvent>"]
    more = "true" if subscription.queue else "false"
    inner = (f"<m:Notification><t:SubscriptionId>{subscription_id}</t:SubscriptionId>"
             f"<t:PreviousWatermark>{escape(previous)}</t:PreviousWatermark><t:MoreEvents>{more}</t:MoreEvents>"
             f"{''.join(events)}</m:Notification>")
    return response_messages("GetEvents", [success("GetEvents", inner)])


def handle_unsubscribe(request: ET.Element, data: FakeMailboxData, ctx) -> str:
    """WSR unsubscribe-operation."""
    subscription_id = request.findtext("m:SubscriptionId", default="", namespaces=NS)
    if data.subscriptions.pop(subscription_id, None) is None:
        return response_messages("Unsubscribe", [failure(
            "Unsubscribe", "ErrorSubscriptionNotFound", "The specified subscription was not found.")])
    return response_messages("Unsubscribe", [success("Unsubscribe")])


OPERATIONS = {
    "GetFolder": handle_get_folder,
    "FindFolder": handle_find_folder,
    "CreateFolder": handle_create_folder,
    "SyncFolderItems": handle_sync_folder_items,
    "GetItem": handle_get_item,
    "UpdateItem": handle_update_item,
    "MoveItem": handle_move_item,
    "CreateItem": handle_create_item,
    "Subscribe": handle_subscribe,
    "GetEvents": handle_get_events,
    "Unsubscribe": handle_unsubscribe,
}
