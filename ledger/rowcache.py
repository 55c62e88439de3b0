"""«Журнал»'s rows kept between cycles: each case rendered, checksummed and serialised once, and
again only when it changed or its «Контроль срока» flips; the sheet is written from these pieces.

Rows are kept in the store's order (year, number). Every `CHUNK_ROWS` consecutive rows make a
chunk whose three streams (the rows, their `<hyperlink>`s, their relationships) are kept
compressed (ledger/package.py); a changed row recompresses its chunk only, and a row that moves
(a case put before others) recompresses the chunks from there on.
"""

from __future__ import annotations

import json
import sys
import zlib
from array import array
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator, Mapping

from bridge.core.deadlines import case_deadline
from bridge.core.figures import case_tally
from bridge.core.model import Case
from ledger.package import Part, compress
from ledger.render import RenderContext, render_row, row_hashes
from ledger.sheet_xml import LINKS_PER_SHEET, ROW_MARK, Frame, Layout, hide, row_xml
from ledger.workbook import CLOSED_LABELS, PRINT_COLUMNS, _cut, row_height

CHUNK_ROWS = 500
_MARK = ROW_MARK.encode()
FIRST_ROW = 2            # row 1 is the header
# A chunk keeps its rows' serialised forms (with ROW_MARK for the number) packed at zlib level 6,
# rows split by \x02 and each row's four fields (Template) by \x01: XML forbids both, so xml_text
# and url_target never let them into a template. 50,000 rows take ~10 MB so, ~150 MB unpacked.
_ROW_SEP, _FIELD_SEP = b"\x02", b"\x01"


@dataclass(slots=True)
class Piece:
    """What is kept of one case besides its serialised row."""
    hashes: bytes                # ledger.render.row_hashes, packed (`pack_hashes`): what a later read compares with
    flip: datetime | None        # when its «Контроль срока» changes next by itself
    tally: tuple                 # what «Сводка» counts: posted month, department, figures.case_tally, id


# The <row> of «Журнал», its <hyperlink> and relationship (b'' when none), its <row> of «Для печати»
# (b'' for a closed case: that sheet shows the cases in work).
Template = tuple[bytes, bytes, bytes, bytes]


@dataclass(frozen=True)
class Layouts:
    """How rows are serialised: both sheets' column styles (learnt from the frame) and the
    column widths the row heights follow (the operator's, ledger/view.py)."""
    journal: Layout
    printed: Layout | None
    widths: tuple[tuple[str, float], ...]


def make_piece(case: Case, ctx: RenderContext, layouts: Layouts) -> tuple[Piece, Template]:
    due_at, control, flip = case_deadline(case, ctx.calendar, ctx.now)
    row = render_row(case, ctx, (due_at, control))
    xml, hyperlink, relationship = row_xml(row, layouts.journal, case.link, row_height(row, dict(layouts.widths)))
    printed = ""
    if layouts.printed is not None and row.get("status") not in CLOSED_LABELS:
        cut = {key: _cut(row.get(key)) for key, _ in PRINT_COLUMNS}
        printed = row_xml(cut, layouts.printed, None, row_height(cut, PRINT_WIDTHS))[0]
    month = ctx.calendar.local(case.posted_at).strftime("%Y-%m")
    return (Piece(pack_hashes(row_hashes(row)), flip,
                  (sys.intern(month), sys.intern(case.department), case_tally(case, ctx.calendar, ctx.now, control),
                   case.id)),
            (xml.encode("utf-8"), hyperlink.encode("utf-8"), relationship.encode("utf-8"), printed.encode("utf-8")))


PRINT_WIDTHS = dict(PRINT_COLUMNS)


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
    return zlib.compress(_ROW_SEP.join(_FIELD_SEP.join(row) for row in rows), 6)


def _unpack(packed: bytes) -> list[list[bytes]]:
    return [row.split(_FIELD_SEP) for row in zlib.decompress(packed).split(_ROW_SEP)]


def _chunk(rows: list[list[bytes]]) -> list:
    return [_pack(rows), None, frozenset(), None, 0, frozenset()]


def _print_part(templates: list[list[bytes]], first: int, hidden: frozenset[str], ids: list[str]) -> tuple[Part, int]:
    """A chunk's rows of «Для печати» (its cases in work), numbered from `first`; and how many."""
    rows = []
    for (_, _, _, printed), case_id in zip(templates, ids):
        if printed:
            number = b"%d" % (first + len(rows))
            row = printed.replace(_MARK, number)
            rows.append(hide(row, number) if case_id in hidden else row)
    return compress(b"".join(rows)), len(rows)


class RowCache:
    def __init__(self, layouts: Layouts) -> None:
        self.layouts = layouts
        self.ids: list[str] = []                  # in the sheet's order
        self.pieces: dict[str, Piece] = {}
        self._where: dict[str, int] = {}          # case id → its index in `ids`
        # per chunk: [packed templates, (rows, links, rels) parts, hidden ids they show,
        #             «Для печати» part, its first row number, hidden ids it shows]
        self._chunks: list[list] = []
        self.changed = False                      # a row differs from what the last write showed
        self._next_flip: datetime | None = None
        self._order: tuple[str, ...] | None = None   # the operator's order last arranged for

    def __len__(self) -> int:
        return len(self.ids)

    def fill(self, rendered: Iterable[tuple[str, tuple[Piece, Template]]]) -> None:
        """Every row at once, in the store's order (the first build in a process); each chunk
        is packed as soon as it is complete, so the rows are never all unpacked."""
        batch: list[list[bytes]] = []
        for case_id, (piece, template) in rendered:
            self._where[case_id] = len(self.ids)
            self.ids.append(case_id)
            self.pieces[case_id] = piece
            batch.append(list(template))
            if len(batch) == CHUNK_ROWS:
                self._chunks.append(_chunk(batch))
                batch = []
        if batch:
            self._chunks.append(_chunk(batch))
        self._next_flip = min((p.flip for p in self.pieces.values() if p.flip), default=None)

    def update(self, rendered: Mapping[str, tuple[Piece, Template]]) -> None:
        """Rows of cases that changed (or whose control label flipped), rendered again; a new
        case goes to the end (`arrange` puts it where the operator's order wants it)."""
        new = sorted((case_id for case_id in rendered if case_id not in self._where), key=order_key)
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
                self._chunks[index] = _chunk(rows)
                self.changed = True
        if new:
            start = len(self.ids) - len(self.ids) % CHUNK_ROWS
            tail = list(zip(self.ids[start:], _unpack(self._chunks[-1][0]))) if start < len(self.ids) else []
            self._rechunk(start, tail + [(case_id, list(rendered[case_id][1])) for case_id in new])
        self._next_flip = min((p.flip for p in self.pieces.values() if p.flip), default=None)

    def arrange(self, order: tuple[str, ...]) -> None:
        """The rows in the operator's order (ledger/view.py `arrange`): those `order` names as
        there, the others after them in the store's order; the chunks from the first row that
        moved are packed again."""
        if order == self._order and self._arranged == len(self.ids):
            return
        wanted = self._wanted(order)
        self._order, self._arranged = order, len(self.ids)
        if wanted == self.ids:
            return
        first = next(i for i, (a, b) in enumerate(zip(wanted, self.ids)) if a != b)
        start = first - first % CHUNK_ROWS
        rows = dict(zip(self.ids[start:], (row for chunk in self._chunks[start // CHUNK_ROWS:]
                                           for row in _unpack(chunk[0]))))
        self._rechunk(start, [(case_id, rows[case_id]) for case_id in wanted[start:]])

    _arranged = -1          # how many rows there were when last arranged

    def _wanted(self, order: tuple[str, ...]) -> list[str]:
        known = [case_id for case_id in dict.fromkeys(order) if case_id in self.pieces]
        shown = set(known)
        return known + sorted((case_id for case_id in self.pieces if case_id not in shown), key=order_key)

    def _rechunk(self, start: int, rows: list[tuple[str, list[bytes]]]) -> None:
        """`rows` (id, template) become the rows from `start` (a chunk's first row) to the end."""
        self.ids[start:] = [case_id for case_id, _ in rows]
        self._chunks[start // CHUNK_ROWS:] = [_chunk([row for _, row in rows[i:i + CHUNK_ROWS]])
                                              for i in range(0, len(rows), CHUNK_ROWS)]
        for index in range(start, len(self.ids)):
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

    def streams(self, hidden: frozenset[str] = frozenset()) -> tuple[list[Part], list[Part], list[Part], list[Part]]:
        """The compressed rows, hyperlinks and relationships of «Журнал» and the rows of «Для
        печати», chunk by chunk; `hidden`: the operator's hidden rows (ledger/view.py)."""
        rows, links, rels, printed = [], [], [], []
        number = FIRST_ROW
        for index, chunk in enumerate(self._chunks):
            ids = self.ids[index * CHUNK_ROWS:(index + 1) * CHUNK_ROWS]
            here = frozenset(case_id for case_id in ids if case_id in hidden) if hidden else frozenset()
            if chunk[1] is None or chunk[2] != here:
                chunk[1], chunk[2] = self._compress(_unpack(chunk[0]), index, here, ids), here
            if chunk[3] is None or chunk[4] != number or chunk[5] != here:
                chunk[3], chunk[4], chunk[5] = _print_part(_unpack(chunk[0]), number, here, ids), number, here
            rows.append(chunk[1][0])
            links.append(chunk[1][1])
            rels.append(chunk[1][2])
            printed.append(chunk[3][0])
            number += chunk[3][1]
        return rows, links, rels, printed

    def _compress(self, templates: list[list[bytes]], index: int, hidden: frozenset[str],
                  ids: list[str]) -> tuple[Part, Part, Part]:
        start = index * CHUNK_ROWS
        rows, links, rels = [], [], []
        for offset, ((xml, hyperlink, relationship, _), case_id) in enumerate(zip(templates, ids)):
            number = b"%d" % (FIRST_ROW + start + offset)
            row = xml.replace(_MARK, number)
            rows.append(hide(row, number) if case_id in hidden else row)
            if hyperlink and start + offset < LINKS_PER_SHEET:
                links.append(hyperlink.replace(_MARK, number))
                rels.append(relationship.replace(_MARK, number))
        return compress(b"".join(rows)), compress(b"".join(links)), compress(b"".join(rels))

    def members(self, frame: Frame, hidden: frozenset[str] = frozenset()) -> list[tuple[str, list[Part]]]:
        """The workbook's members: the frame's, with «Журнал»'s rows, hyperlinks and their
        relationships, and the rows of «Для печати», put where they go."""
        rows, links, rels, printed = self.streams(hidden)
        sheet = [compress(frame.head), *rows, compress(frame.middle)]
        if any(part.size for part in links):
            sheet += [compress(b"<hyperlinks>"), *links, compress(b"</hyperlinks>")]
        sheet.append(compress(frame.tail))
        relationships = [compress(frame.rels_head), *rels, compress(b"</Relationships>")]
        made = {frame.sheet_name: sheet, frame.rels_name: relationships}
        if frame.print_name:
            made[frame.print_name] = [compress(frame.print_head), *printed, compress(frame.print_tail)]
        others = {name: [compress(data)] for name, data in frame.members}
        return [(name, made.get(name) or others[name]) for name in frame.order]

    def printed_count(self) -> int:
        """How many rows «Для печати» has (after `streams`)."""
        return sum(chunk[3][1] for chunk in self._chunks if chunk[3] is not None)

    def snapshot(self) -> Snapshot:
        return Snapshot({case_id: self.pieces[case_id].hashes for case_id in self.ids})

    def tallies(self) -> Iterator[tuple]:
        return (self.pieces[case_id].tally for case_id in self.ids)
