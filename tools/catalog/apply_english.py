#!/usr/bin/env python3
"""Writes English texts into the built-in catalog (crates/domain/catalog/jama-japia.json).

    python3 tools/catalog/apply_english.py part-1.json part-2.json ...

Each part is {"categories": [{"number", "purpose_en", "sections": [{"code", "requirement_en"}]}],
"items": [{"no", "question_en", "criteria_en", "scope_en", "frequency_en", "notes_en"}]},
translated line by line against the Japanese. Refuses a part whose lists do not line up with
the Japanese, and keeps the file's layout (two-space JSON, Japanese unescaped), so the diff
shows only what changed. The texts are Kensa's translation, and the catalog says so.
"""
import json
import sys
from pathlib import Path

CATALOG = Path(__file__).resolve().parents[2] / "crates/domain/catalog/jama-japia.json"
NOTE = ("English texts (purpose_en, requirement_en, question_en, criteria_en, scope_en, frequency_en, "
        "notes_en) are Kensa's own translation from the Japanese, made and reviewed item by item; "
        "they are not the associations' official English edition. The Japanese is the original.")
LISTS = ("criteria", "scope", "frequency", "notes")


def main(parts):
    doc = json.loads(CATALOG.read_text(encoding="utf-8"))
    categories = {c["number"]: c for c in doc["categories"]}
    items = {i["no"]: i for c in doc["categories"] for s in c["sections"] for i in s["items"]}
    problems = []
    for part in parts:
        data = json.loads(Path(part).read_text(encoding="utf-8"))
        for c in data["categories"]:
            target = categories[c["number"]]
            target["purpose_en"] = c["purpose_en"].strip()
            sections = {s["code"]: s for s in target["sections"]}
            for s in c["sections"]:
                sections[s["code"]]["requirement_en"] = s["requirement_en"].strip()
        for i in data["items"]:
            target = items[i["no"]]
            target["question_en"] = i["question_en"].strip()
            for name in LISTS:
                english = [line.strip() for line in i.get(f"{name}_en", [])]
                if len(english) != len(target[name]):
                    problems.append(f"No.{i['no']} {name}: {len(english)} English lines for {len(target[name])}")
                if english:
                    target[f"{name}_en"] = english
                else:
                    target.pop(f"{name}_en", None)
    if problems:
        sys.exit("\n".join(problems))
    # The document's keys in the order the file has them, with the note after `source`.
    ordered = {}
    for key, value in doc.items():
        if key == "translation":
            continue
        ordered[key] = value
        if key == "source":
            ordered["translation"] = NOTE
    ordered.setdefault("translation", NOTE)
    CATALOG.write_text(json.dumps(ordered, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    missing = [n for n, i in items.items() if "question_en" not in i]
    print(f"wrote {CATALOG}; items without English: {missing or 'none'}")


if __name__ == "__main__":
    main(sys.argv[1:])
