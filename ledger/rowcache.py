"""«Журнал»'s rows kept between cycles: each case rendered, checksummed and serialised once, and
again only when it changed or its «Контроль срока» flips; the sheet is written from these pieces.

Rows are kept in the store's order (year, number). Every `CHUNK_ROWS` consecutive rows make a
chunk whose three streams (the rows, their `<hyperlink>`s, their relationships) are kept
compressed (ledger/package.py); a changed row recompresses its chunk only, and a row that moves
(a case put before others) recompresses the chunks from there on.
"""

from __future__ import annotations

import bisect
import json
import sys
import zlib
from array import array
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator, Mapping

from bridge.core.deadlines import case_deadline
from bridge.core.model import Case
from ledger.package import Part, compress
from ledger.render import RenderContext, render_row, row_hashes
from ledger.sheet_xml import LINKS_PER_SHEET, ROW_MARK, Frame, Layout, row_xml

CHUNK_ROWS = 500
_MARK = ROW_MARK.encode()
FIRST_ROW = 2            # row 1 is the header
# A chunk keeps its rows' serialised forms (with ROW_MARK for the number) packed at zlib level 1,
# rows split by \x02 and each row's three fields by \x01: XML forbids both, so xml_text and
# url_target never let them into a template. 50,000 rows take ~10 MB so, ~110 MB unpacked.
_ROW_SEP, _FIELD_SEP = b"\x02", b"\x01"


@dataclass(slots=True)
class Piece:
    """What is kept of one case besides its serialised row."""
    hashes: bytes                # ledger.render.row_hashes, packed (`pack_hashes`): what a later read compares with
    flip: datetime | None        # when its «Контроль срока» changes next by itself
    tally: tuple                 # what «Сводка» counts: posted month, department, control, answer hours, id


Template = tuple[bytes, bytes, bytes]      # the <row>, its <hyperlink> and relationship (b'' when none)


def make_piece(case: Case, ctx: RenderContext, layout: Layout, hours) -> tuple[Piece, Template]:
    """`hours(case)`: working hours from routing to the answer, or None (bridge/core/figures.py)."""
    due_at, control, flip = case_deadline(case, ctx.calendar, ctx.now)
    row = render_row(case, ctx, (due_at, control))
    xml, hyperlink, relationship = row_xml(row, layout, case.link)
    month = ctx.calendar.local(case.posted_at).strftime("%Y-%m")
    return (Piece(pack_hashes(row_hashes(row)), flip,
                  (sys.intern(month), sys.intern(case.department), control, hours(case), case.id)),
            (xml.encode("utf-8"), hyperlink.encode("utf-8"), relationship.encode("utf-8")))


def pack_hashes(hashes: list[int]) -> bytes:
    """A row's checksums as 4-byte integers: 36 bytes instead of a list of Python ints (~400)."""
    return array("I", hashes).tobytes()


def unpack_hashes(packed: bytes) -> list[int]:
    found = array("I")
    found.frombytes(packed)
    return found.tolist()


class Snapshot(Mapping):
    """What a write held, case id → its row's checksums, kept packed (50,000 rows in ~6 MB)."""

    def __init__(self, packed: dict[str, bytes]) -> None:
        self.packed = packed

    @classmethod
    def of(cls, plain: Mapping[str, list[int]]) -> "Snapshot":
        return cls({case_id: pack_hashes(hashes) for case_id, hashes in plain.items()})

    def __getitem__(self, case_id: str) -> list[int]:
        return unpack_hashes(self.packed[case_id])

    def __iter__(self) -> Iterator[str]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)

    def to_blob(self) -> bytes:
        """The snapshot as the store keeps it: MAGIC, then compressed the ids (one per line), a
        NUL, and each row's checksums (a count byte, then the packed integers)."""
        ids = "\n".join(self.packed).encode("utf-8", "surrogatepass")
        body = b"".join(bytes((len(packed) // 4,)) + packed for packed in self.packed.values())
        return SNAPSHOT_MAGIC + zlib.compress(ids + b"\x00" + body, 1)

    @classmethod
    def from_blob(cls, blob: bytes) -> "Snapshot":
        """A blob `to_blob` wrote, or one of the earlier zlib-compressed JSON {"id": [hashes]}."""
        if not blob.startswith(SNAPSHOT_MAGIC):
            return cls.of(json.loads(zlib.decompress(blob)))
        data = zlib.decompress(blob[len(SNAPSHOT_MAGIC):])
        ids, _, body = data.partition(b"\x00")
        packed, at = {}, 0
        for case_id in (ids.decode("utf-8", "surrogatepass").split("\n") if ids else ()):
            size = body[at] * 4
            packed[case_id] = body[at + 1:at + 1 + size]
            at += 1 + size
        return cls(packed)


SNAPSHOT_MAGIC = b"OTKS1"      # a zlib stream starts with 0x78: never mistaken for it


def order_key(case_id: str) -> tuple[int, int, str]:
    """The store's order (year, number): «OKH-2026-00042» → (2026, 42)."""
    parts = case_id.rsplit("-", 2)
    try:
        return int(parts[-2]), int(parts[-1]), case_id
    except (IndexError, ValueError):
        return 0, 0, case_id


def _pack(rows: list[list[bytes]]) -> bytes:
    return zlib.compress(_ROW_SEP.join(_FIELD_SEP.join(row) for row in rows), 1)


def _unpack(packed: bytes) -> list[list[bytes]]:
    return [row.split(_FIELD_SEP) for row in zlib.decompress(packed).split(_ROW_SEP)]


class RowCache:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.ids: list[str] = []                  # in the store's order
        self.pieces: dict[str, Piece] = {}
        self._where: dict[str, int] = {}          # case id → its index in `ids`
        self._chunks: list[list] = []             # [packed templates, (rows, links, rels) parts or None]
        self.changed = False                      # a row differs from what the last write showed
        self._next_flip: datetime | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def fill(self, rendered: Iterable[tuple[str, tuple[Piece, Template]]]) -> None:
        """Every row at once, in the store's order (the first build in a process); each chunk
        is packed and compressed as soon as it is complete, so the rows are never all unpacked."""
        batch: list[list[bytes]] = []
        for case_id, (piece, template) in rendered:
            self._where[case_id] = len(self.ids)
            self.ids.append(case_id)
            self.pieces[case_id] = piece
            batch.append(list(template))
            if len(batch) == CHUNK_ROWS:
                self._chunks.append([_pack(batch), self._compress(batch, len(self._chunks))])
                batch = []
        if batch:
            self._chunks.append([_pack(batch), self._compress(batch, len(self._chunks))])
        self._next_flip = min((p.flip for p in self.pieces.values() if p.flip), default=None)

    def update(self, rendered: Mapping[str, tuple[Piece, Template]]) -> None:
        """Rows of cases that changed (or whose control label flipped), rendered again."""
        new = {case_id: list(template) for case_id, (_, template) in rendered.items() if case_id not in self._where}
        by_chunk: dict[int, dict[int, list[bytes]]] = {}
        for case_id, (piece, template) in rendered.items():
            if case_id in self._where:
                at = self._where[case_id]
                by_chunk.setdefault(at // CHUNK_ROWS, {})[at % CHUNK_ROWS] = list(template)
            self.pieces[case_id] = piece
        for index, changed in by_chunk.items():
            rows = _unpack(self._chunks[index][0])
            if any(rows[at] != template for at, template in changed.items()):
                for at, template in changed.items():
                    rows[at] = template
                self._chunks[index] = [_pack(rows), None]
                self.changed = True
        if new:
            self._insert(new)
        self._next_flip = min((p.flip for p in self.pieces.values() if p.flip), default=None)

    def _insert(self, new: dict[str, list[bytes]]) -> None:
        """New cases: after the last row as a rule; one put before others moves the rows after it."""
        first = min(new, key=order_key)
        at = len(self.ids) if not self.ids or order_key(self.ids[-1]) < order_key(first) else \
            bisect.bisect_left(self.ids, order_key(first), key=order_key)
        chunk = at // CHUNK_ROWS
        tail = list(zip(self.ids[chunk * CHUNK_ROWS:], (row for packed, _ in self._chunks[chunk:]
                                                         for row in _unpack(packed))))
        merged = sorted(tail + list(new.items()), key=lambda item: order_key(item[0]))
        self.ids[chunk * CHUNK_ROWS:] = [case_id for case_id, _ in merged]
        self._chunks[chunk:] = [[_pack([row for _, row in merged[i:i + CHUNK_ROWS]]), None]
                                for i in range(0, len(merged), CHUNK_ROWS)]
        for index in range(chunk * CHUNK_ROWS, len(self.ids)):
            self._where[self.ids[index]] = index
        self.changed = True

    def flipped(self, now: datetime) -> list[str]:
        """Cases whose «Контроль срока» has changed by itself since they were rendered."""
        if self._next_flip is None or now < self._next_flip:
            return []
        return [case_id for case_id, piece in self.pieces.items() if piece.flip and piece.flip <= now]

    @property
    def next_flip(self) -> datetime | None:
        return self._next_flip

    # -- the streams -------------------------------------------------------------------------------

    def streams(self) -> tuple[list[Part], list[Part], list[Part]]:
        """The compressed rows, hyperlinks and relationships, chunk by chunk."""
        rows, links, rels = [], [], []
        for index, chunk in enumerate(self._chunks):
            if chunk[1] is None:
                chunk[1] = self._compress(_unpack(chunk[0]), index)
            rows.append(chunk[1][0])
            links.append(chunk[1][1])
            rels.append(chunk[1][2])
        return rows, links, rels

    def _compress(self, templates: list[list[bytes]], index: int) -> tuple[Part, Part, Part]:
        start = index * CHUNK_ROWS
        rows, links, rels = [], [], []
        for offset, (xml, hyperlink, relationship) in enumerate(templates):
            number = b"%d" % (FIRST_ROW + start + offset)
            rows.append(xml.replace(_MARK, number))
            if hyperlink and start + offset < LINKS_PER_SHEET:
                links.append(hyperlink.replace(_MARK, number))
                rels.append(relationship.replace(_MARK, number))
        return compress(b"".join(rows)), compress(b"".join(links)), compress(b"".join(rels))

    def members(self, frame: Frame) -> list[tuple[str, list[Part]]]:
        """The workbook's members: the frame's, with «Журнал»'s rows, hyperlinks and their
        relationships put where they go."""
        rows, links, rels = self.streams()
        sheet = [compress(frame.head), *rows, compress(frame.middle)]
        if any(part.size for part in links):
            sheet += [compress(b"<hyperlinks>"), *links, compress(b"</hyperlinks>")]
        sheet.append(compress(frame.tail))
        relationships = [compress(frame.rels_head), *rels, compress(b"</Relationships>")]
        others = {name: [compress(data)] for name, data in frame.members}
        return [(name, sheet if name == frame.sheet_name else relationships if name == frame.rels_name
                 else others[name]) for name in frame.order]

    def snapshot(self) -> Snapshot:
        return Snapshot({case_id: self.pieces[case_id].hashes for case_id in self.ids})

    def tallies(self) -> Iterator[tuple]:
        return (self.pieces[case_id].tally for case_id in self.ids)
