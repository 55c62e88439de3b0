"""A workbook saved and kept open for hours is read once per save, not once per cycle: the file
version a read applied in full has nothing new (SPEC §2; at 50,000 rows each needless read, compare
and render cost seconds every minute)."""

from __future__ import annotations

import ledger.service
from tests.ledger.conftest import add_messages, app, clock, cycle, edit_ledger, make_app, rows_by_id, set_cell  # noqa: F401
from tests.workbook_faults.conftest import EXCEL_LOCK


def test_the_same_saved_file_is_not_read_again(app, clock, monkeypatch, tmp_path):  # noqa: F811
    ids = add_messages(app, ["Нет отопления", "Яма во дворе"], clock.now)
    cycle(app, clock)
    app.config.ledger.with_name(EXCEL_LOCK).write_bytes(b"owner")      # the operator opens it
    edit_ledger(app, set_cell(ids[0], "Комментарий оператора", "перезвонить"))
    reads = []
    real = ledger.service.read_ledger
    monkeypatch.setattr(ledger.service, "read_ledger", lambda path: reads.append(path) or real(path))
    cycle(app, clock)
    assert app.store.get(ids[0]).operator_comment == "перезвонить" and len(reads) == 1
    for _ in range(3):
        cycle(app, clock)
    assert len(reads) == 1                                             # nothing new: not read
    edit_ledger(app, set_cell(ids[1], "Комментарий оператора", "уточнить адрес"))
    cycle(app, clock)
    assert len(reads) == 2 and app.store.get(ids[1]).operator_comment == "уточнить адрес"
    assert app.store.get(ids[0]).operator_comment == "перезвонить"
    cycle(app, clock)
    app.store.close()
    restarted = make_app(tmp_path)                                     # the service restarts meanwhile
    try:
        app.config.ledger.with_name(EXCEL_LOCK).unlink()               # the operator closes it at last
        assert cycle(restarted, clock).ledger == "записан"             # the applied file is rewritten
        assert rows_by_id(restarted.config.ledger)[ids[1]]["Комментарий оператора"] == "уточнить адрес"
    finally:
        restarted.store.close()
