#!/usr/bin/env python3
"""Opens a workbook downloaded from Kensa with openpyxl, checks what a spreadsheet user
relies on, fills answers by header name and saves a copy.

    python3 tools/workbook/openpyxl_fill.py in.xlsx out.xlsx '{"12": {"answer": "実施している"}}'

Any warning openpyxl raises while reading (a malformed part it had to repair or skip) fails
the run: the test that calls this asserts the workbook opens cleanly outside Excel.
"""
import json
import sys
import warnings

import openpyxl

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
    rows = {str(row[0].value): row[0].row for row in items.iter_rows(min_row=2) if row[0].value is not None}
    for no, values in fills.items():
        for key, value in values.items():
            column = next(header[h] for h in HEADERS[key] if h in header)
            items[f"{column}{rows[no]}"] = value
    book.save(target)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], json.loads(sys.argv[3]))
