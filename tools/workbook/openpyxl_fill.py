#!/usr/bin/env python3
"""Opens a workbook downloaded from Kensa with openpyxl, checks what a spreadsheet user
relies on, fills answers by header name and saves a copy.

    python3 tools/workbook/openpyxl_fill.py in.xlsx out.xlsx '{"12": {"answer": "実施している"}}'

It prints, as JSON, what the answer dropdown and the score helpers' lookup resolve to on
the hidden sheet (the cells their ranges cover, and the cell just past each range), so the
test can check the ranges hold exactly the scale's labels.

Any warning openpyxl raises while reading (a malformed part it had to repair or skip) fails
the run: the test that calls this asserts the workbook opens cleanly outside Excel.
"""
import json
import re
import sys
import warnings

import openpyxl
from openpyxl.utils.cell import range_boundaries

HEADERS = {
    "answer": ("回答", "Answer"),
    "reason": ("対象外の理由", "N/A reason"),
    "plan": ("対策計画", "Remediation plan"),
    "remark": ("備考", "Remark"),
}


def main(source: str, target: str, fills: dict) -> None:
    warnings.simplefilter("error")
    book = openpyxl.load_workbook(source)
    names = book.sheetnames
    assert len(names) == 3 and names[2] == "_kensa", names
    assert book["_kensa"].sheet_state == "hidden", book["_kensa"].sheet_state
    assert book["_kensa"]["A1"].value == "kensa_workbook"
    items = book[names[1]]
    assert items.protection.sheet, "the check sheet is protected"
    header = {cell.value: cell.column_letter for cell in items[1] if cell.value}
    answer = next(header[h] for h in HEADERS["answer"] if h in header)
    lists = [v for v in items.data_validations.dataValidation if v.type == "list"]
    assert any(f"{answer}2" in str(v.sqref) for v in lists), "a dropdown on the answer column"
    assert not items[f"{answer}2"].protection.locked, "answer cells are unlocked"
    assert items[f"A2"].protection.locked, "the item columns are locked"
    resolved = {
        "dropdown": resolve(book, str(next(v for v in lists if f"{answer}2" in str(v.sqref)).formula1)),
        "lookup": resolve(book, lookup_range(items)),
    }
    rows = {str(row[0].value): row[0].row for row in items.iter_rows(min_row=2) if row[0].value is not None}
    for no, values in fills.items():
        for key, value in values.items():
            column = next(header[h] for h in HEADERS[key] if h in header)
            items[f"{column}{rows[no]}"] = value
    book.save(target)
    print(json.dumps(resolved, ensure_ascii=False))


def lookup_range(items) -> str:
    """The range the first VLOOKUP of the check sheet's score helpers reads."""
    for row in items.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and "VLOOKUP(" in cell.value:
                return re.search(r"VLOOKUP\([^,]+,([^,]+),", cell.value).group(1)
    raise AssertionError("no VLOOKUP on the check sheet")


def resolve(book, reference: str) -> dict:
    """The first column of a `'sheet'!$A$1:$B$2` range, and the cell just below it."""
    sheet, cells = reference.lstrip("=").rsplit("!", 1)
    sheet = book[sheet.strip("'")]
    min_col, min_row, _, max_row = range_boundaries(cells.replace("$", ""))
    column = [sheet.cell(row=r, column=min_col).value for r in range(min_row, max_row + 1)]
    return {"values": column, "below": sheet.cell(row=max_row + 1, column=min_col).value}


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))
