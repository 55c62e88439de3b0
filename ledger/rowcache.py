"""«Журнал»'s rows kept between cycles: each case rendered, checksummed and serialised once, and
again only when it changed or its «Контроль срока» flips; the sheet is written from these pieces.

Rows are kept in the store's order (year, number). Every `CHUNK_ROWS` consecutive rows make a
chunk whose three streams (the rows, their `<hyperlink>`s, their relationships) are kept
compressed (ledger/package.py); a changed row recompresses its chunk only, and a row that moves
(a case put before others) recompresses the chunks from there on.
"""

from __future__ import annotations

import bisect
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


@dataclass(slots=True)
class Piece:
    """One case as «Журнал» shows it."""
    xml: bytes                   # <row>…</row>, ROW_MARK where the row number goes
    hyperlink: bytes             # its <hyperlink> element, b'' when none
    relationship: bytes          # the hyperlink's target
    hashes: list[int]            # ledger.render.row_hashes: what a later read compares with
    flip: datetime | None        # when its «Контроль срока» changes next by itself
    tally: tuple                 # what «Сводка» counts: posted month, department, control, answer hours


def make_piece(case: Case, ctx: RenderContext, layout: Layout, hours) -> Piece:
    """`hours(case)`: working hours from routing to the answer, or None (bridge/core/figures.py)."""
    due_at, control, flip = case_deadline(case, ctx.calendar, ctx.now)
    row = render_row(case, ctx, (due_at, control))
    xml, hyperlink, relationship = row_xml(row, layout, case.link)
    month = ctx.calendar.local(case.posted_at).strftime("%Y-%m")
    return Piece(xml.encode("utf-8"), hyperlink.encode("utf-8"), relationship.encode("utf-8"), row_hashes(row),
                 flip, (month, case.department, control, hours(case), case.id))


def order_key(case_id: str) -> tuple[int, int, str]:
    """The store's order (year, number): «OKH-2026-00042» → (2026, 42)."""
    parts = case_id.rsplit("-", 2)
    try:
        return int(parts[-2]), int(parts[-1]), case_id
    except (IndexError, ValueError):
        return 0, 0, case_id


class RowCache:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.ids: list[str] = []
        self.pieces: dict[str, Piece] = {}
        self._chunks: list[tuple[Part, Part, Part] | None] = []
        self.changed = False             # a row differs from what the last write showed
        self._next_flip: datetime | None = None

    def __len__(self) -> int:
        return len(self.ids)

    def fill(self, pieces: Iterable[tuple[str, Piece]]) -> None:
        """Every row at once, in the store's order (the first build in a process)."""
        for case_id, piece in pieces:
            self.ids.append(case_id)
            self.pieces[case_id] = piece
        self._chunks = [None] * self._chunk_count()
        self._next_flip = min((p.flip for p in self.pieces.values() if p.flip), default=None)

    def update(self, pieces: Mapping[str, Piece]) -> None:
        """Rows of cases that changed (or whose control label flipped), rendered again."""
        for case_id, piece in pieces.items():
            old = self.pieces.get(case_id)
            self.pieces[case_id] = piece
            if old is None:
                self._insert(case_id)
            elif (old.xml, old.hyperlink, old.relationship) != (piece.xml, piece.hyperlink, piece.relationship):
                self._invalidate(self.ids.index(case_id) if len(pieces) < 64 else self._position(case_id))
                self.changed = True
        self._next_flip = min((p.flip for p in self.pieces.values() if p.flip), default=None)

    def _position(self, case_id: str) -> int:
        at = bisect.bisect_left(self.ids, order_key(case_id), key=order_key)
        return at if at < len(self.ids) and self.ids[at] == case_id else self.ids.index(case_id)

    def _insert(self, case_id: str) -> None:
        key = order_key(case_id)
        at = len(self.ids) if not self.ids or order_key(self.ids[-1]) < key else \
            bisect.bisect_left(self.ids, key, key=order_key)
        self.ids.insert(at, case_id)
        del self._chunks[at // CHUNK_ROWS:]
        self._chunks += [None] * (self._chunk_count() - len(self._chunks))
        self.changed = True

    def _invalidate(self, position: int) -> None:
        self._chunks[position // CHUNK_ROWS] = None

    def _chunk_count(self) -> int:
        return -(-len(self.ids) // CHUNK_ROWS)

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
            if chunk is None:
                chunk = self._chunks[index] = self._compress(index)
            rows.append(chunk[0])
            links.append(chunk[1])
            rels.append(chunk[2])
        return rows, links, rels

    def _compress(self, index: int) -> tuple[Part, Part, Part]:
        start = index * CHUNK_ROWS
        rows, links, rels = [], [], []
        for offset, case_id in enumerate(self.ids[start:start + CHUNK_ROWS]):
            piece = self.pieces[case_id]
            number = b"%d" % (FIRST_ROW + start + offset)
            rows.append(piece.xml.replace(_MARK, number))
            if piece.hyperlink and start + offset < LINKS_PER_SHEET:
                links.append(piece.hyperlink.replace(_MARK, number))
                rels.append(piece.relationship.replace(_MARK, number))
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

    def hashes(self) -> dict[str, list[int]]:
        return {case_id: self.pieces[case_id].hashes for case_id in self.ids}

    def tallies(self) -> Iterator[tuple]:
        return (self.pieces[case_id].tally for case_id in self.ids)
