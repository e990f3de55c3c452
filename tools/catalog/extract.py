#!/usr/bin/env python3
"""Generate crates/domain/catalog/jama-japia.json from the lossy text
extraction of the JAMA/JAPIA (自工会/部工会) Cybersecurity Guidelines check
sheet (v2.x).

Usage (from the repository root):

    python3 tools/catalog/extract.py > crates/domain/catalog/jama-japia.json

The seed is committed as crates/domain/catalog/source/jama-japia-checksheet.txt
(the default input; another path may be given as the first argument).

The output is deterministic.  Every manual decision is an explicit table in
this file (see "MANUAL DECISIONS" below); a summary and the anomaly list are
printed to stderr.  The script asserts its own invariants (item numbering,
level counts, line conservation) and exits non-zero if the seed does not
look like the one these tables were written for.

Seed grammar (after whitespace normalisation):

    section header   "<cat>[-<sub>] <name>"   only if the NEXT line starts "ラベル "
    label line       "ラベル <cat> <name><purpose>"
    requirement      the line after the label line
    question line    "No.<n> <question>"  only if the NEXT line starts "No. "
    level line       "No. <n> レベル Lv<k><criteria[0]>"   (k is ONE digit 1-3)
    unlabelled lines everything after the level line up to the next
                     question line / section header; each goes to exactly one of
                     criteria[1:], scope, frequency, notes (original order kept).

Classification of unlabelled lines (an OVERRIDES entry for (item, exact
line) always wins; otherwise the first matching rule):
  1. "[<header>] <text>" (inline label, e.g. "[機器] …")  -> BRACKET_HEADERS[header]
     "[<header>]" alone -> BRACKET_HEADERS[header] for the header line AND
     opens a block: following "-…" lines (and "取得項目…" lines) take the same
     class; "※…" lines inside a block are notes and do not close it; any
     other line closes it.  Unknown headers abort the run.
  2. (item, exact line) in OVERRIDES -> that class (closes any block).
  3. "※…" -> notes.
  4. "-…" / "・…" outside a block -> class of the previous non-"※" line
     (criteria when it is the first unlabelled line: it continues criteria[0]).
  5. FREQ_RE (intervals such as "1 回以上/年", "1 回/年 以上", "6 ヶ月",
     "1 回以上/6 か月", "常時", "定常的に…", "(教育)/(周知)…",
     "新規受け入れ時…", "本番稼働前/後:…", "…日ごとに…") -> frequency.
  6. ends in こと/こと。/している/する/する。/いる/いる。 -> criteria.
  7. anything else -> scope.
Items 39/40 (no "No." lines in the seed) are laid out by RECOVERED_LAYOUT.
"""

import collections
import json
import os
import re
import sys

# The committed seed text the catalog is generated from (and tested against).
DEFAULT_SEED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "crates", "domain",
                            "catalog", "source", "jama-japia-checksheet.txt")

# ---------------------------------------------------------------------------
# Whitespace normalisation: strip, collapse runs of spaces/tabs to one space.
# ---------------------------------------------------------------------------


def norm(s):
    return re.sub(r"[ \t]+", " ", s).strip()


# ---------------------------------------------------------------------------
# MANUAL DECISIONS
# ---------------------------------------------------------------------------

NOISE_LINES = ["メタデータ", "コントロール"]

CATEGORY_NAME_EN = {
    1: "Policy",
    2: "Rules for handling confidential information",
    3: "Legal compliance",
    4: "Organization (normal operations)",
    5: "Organization (incidents)",
    6: "Incident response procedures",
    7: "Routine education and training",
    8: "Information security requirements with other companies",
    9: "Access rights",
    10: "Information asset management (information)",
    11: "Information asset management (equipment)",
    12: "Risk response",
    13: "Understanding of business transactions and exchange methods",
    14: "Understanding of external connections",
    15: "Internal network connection rules",
    16: "Physical security",
    17: "Communication control",
    18: "Authentication and authorization",
    19: "Patch and update application",
    20: "Data protection",
    21: "Office tools",
    22: "Malware protection",
    23: "Unauthorized access detection",
    24: "Backup and restore",
}

# Level lines whose "Lv" has no digit in the seed.
MISSING_LEVEL_DIGIT = {142, 153}

# Items that have no "No." lines at all in the seed: their text trails No.38's
# unlabelled lines.  Each entry: first line of the item (exact, normalised).
# Everything from that line up to the first line of the next recovered item
# (or the end of No.38's lines) belongs to the recovered item.
RECOVERED_FROM = 38
RECOVERED_ITEMS = [
    (39, "組織を跨いだ情報セキュリティ事件・事故発生時の対応について、教育資料配布・掲示、e ラーニング、集合教育等による教育や訓練を実施すること"),
    (40, "教育・訓練実施前後、もしくは1回/年以上"),
]
# How the recovered lines are laid out (the seed has no question / level line
# for these items).  "question_from_criteria": the seed has no question cell;
# criteria[0] is reused verbatim as the question (not reworded).  "question":
# "" means not recoverable from the seed.
RECOVERED_LAYOUT = {
    # No.39: line 1 = criteria[0] (parallel to No.38's criteria line),
    #        line 2 = scope, line 3 = frequency.
    39: {"question_from_criteria": True,
         "classes": ["criteria", "scope", "frequency"],
         "text_note": "The seed has no question line for No.39; the question repeats its "
                      "criteria text verbatim."},
    # No.40: only a timing line survives -> frequency; question and criteria
    #        cells are lost.
    40: {"question_from_criteria": False,
         "classes": ["frequency"],
         # Templates require a question; this one is editorial and says so in
         # its own text, so nobody mistakes it for the guideline's wording.
         "editorial_question": "教育・訓練の効果を確認している（原文欠落のため編集部で補記）",
         "text_note": "Only the frequency line survives in the seed; the question is "
                      "editorial (the effectiveness check of the incident training of "
                      "No.38/39) and the criteria are lost. Restore from the official "
                      "check sheet."},
}

# Levels chosen where the seed gives none.  Must be exactly one Lv1, two Lv2
# and one Lv3 (published v2.x totals 50/74/29 minus the explicit 49/72/28).
INFERRED_LEVELS = {
    39: (2, "Seed gives no level (item recovered from No.38's trailing lines). "
            "Cross-organisational incident training aimed at security-related "
            "departments goes beyond the organisation-wide Lv1 incident "
            "training of No.38 and matches the Lv2 role-targeted trainings "
            "of 7-1 (No.31-36); Lv2."),
    40: (1, "Seed gives no level (only the timing line 教育・訓練実施前後、"
            "もしくは1回/年以上 survives). It is the check accompanying the Lv1 "
            "incident training of No.38, tied to each training session; the "
            "sheet's check/review companions of Lv1 measures are Lv1 "
            "(No.11, 15, 20, 52, 58, 78); Lv1."),
    142: (3, "Seed line reads 'No. レベル Lv' with neither number nor digit. "
             "Always-on inspection of traffic with real-time detection and "
             "blocking (IPS) is an advanced measure, like the Lv3 "
             "detect-and-block/auto-detect items No.80, 81, 122, 147; Lv3."),
    153: (2, "Seed line reads 'No. 153 レベル Lv' without digit. Keeping "
             "backups/transaction logs and restore procedures that meet "
             "defined recovery point/time objectives builds on the Lv1 "
             "backup items (No.148-150) and sits with the Lv2 restore test "
             "(No.151); the single Lv3 slot goes to No.142; Lv2."),
}

EXPECTED_LEVEL_TOTALS = {1: 50, 2: 74, 3: 29}

# Bracketed block headers: class of the header line and of the "-" lines
# under it.  "※" lines are always notes, whatever block they sit in.
BRACKET_HEADERS = {
    "回収物": "notes",
    "回収状況の確認、手順の是正頻度": "frequency",
    "明確にする内容": "notes",
    "対策計画の内容": "notes",
    "対策の進捗状況の確認": "frequency",   # content is "-1 回以上/年"
    "対象": "scope",
    "対象範囲": "scope",
    "見直し頻度": "frequency",
    "頻度": "frequency",
    "周知対象": "scope",
    "周知のタイミング": "frequency",
    "ルールの内容": "notes",
    "ルールの内容、遵守状況の確認頻度": "frequency",
    "ルールの内容や遵守状況の確認、是正頻度": "frequency",
    "導入場所": "scope",
    "制限する項目": "notes",
    "取得するログ(保管期間)": "notes",
    "取得するログの項目": "notes",
    "保管期間": "notes",
    "分析対象": "scope",
    "監視時間": "frequency",
    "機能要件": "notes",
    "対策例": "notes",
    # inline labels ("[機器] …", "[周知] …"): the whole line is one value
    "機器": "scope",
    "周知": "scope",
}

# Per-item overrides: (item no, exact normalised line) -> class.  They win over
# every heuristic.  Applied to every occurrence of that text in that item.
OVERRIDES = {
    # No.2: unbracketed heading of the frequency block; the two "- " lines
    # under it (incl. "…迅速に対応すること") inherit frequency.
    (2, "情報セキュリティ対応方針(ポリシー)の内容を確認、改善"): "frequency",
    # No.6: a "※" heading naming a timing (締結時期) and its value.
    (6, "※守秘義務の締結時期"): "frequency",
    (6, "- 業務開始前"): "frequency",
    # No.15: continues criteria[0] ("1回/年、もしくは、…場合" / "または、…時").
    (15, "または、社内組織改正等にて、お客様情報をはじめとした各種情報の保護・管理部署や責任者に変更が生じた時"): "criteria",
    # No.17: body of the "※相関分析:" definition.
    (17, "複合的なログなどで分析して情報セキュリティ事件・事故の予兆や痕跡を見つけ出す手法"): "notes",
    # No.23: un-dashed list lines under "[明確にする内容]".
    (23, "事件・事故として扱う事象"): "notes",
    (23, "事件・事故のレベル"): "notes",
    # No.24/26: the list that criteria[0] refers to ("下記の手順").
    (24, "①発見報告、 ②初動、③調査・対応、④復旧、⑤最終報告"): "criteria",
    (26, "①発見報告、 ②初動、③調査・対応、④復旧、⑤最終報告"): "criteria",
    # No.42: the last "・" line is the target, not an example method.
    (42, "・自社の重要な機密情報を提供・共有する子会社、取引先など"): "scope",
    # No.66: the risk-assessment viewpoints (観点) the criteria refer to.
    (66, "外部の脅威"): "notes",
    (66, "自社の脆弱性"): "notes",
    (66, "情報資産の価値"): "notes",
    # No.70: timing.
    (70, "取引開始時/取り交わす情報・手段の変更時"): "frequency",
    # No.86/89: fields of the entry/exit record.
    (86, "入退場日時"): "notes",
    (86, "入場者(氏名、所属、連絡先など)"): "notes",
    (86, "入場目的"): "notes",
    (86, "承認者"): "notes",
    (89, "入退場日時"): "notes",
    (89, "入場者(氏名、所属、連絡先など)"): "notes",
    (89, "入場目的"): "notes",
    (89, "承認者"): "notes",
    # No.88: contents the entry/exit rule must define.
    (88, "入場制限エリアの定義"): "notes",
    (88, "入退場時の申請、承認"): "notes",
    (88, "入退場時の身分証明方法(社員証、入場許可証の着用など)"): "notes",
    (88, "入場許可証,通門証の発行規則"): "notes",
    # No.91/92: contents the carry-in / carry-out rule must define.
    (91, "持込み制限の対象とするエリア、物品"): "notes",
    (91, "社内への持込み申請、承認方法"): "notes",
    (91, "持込み記録の保管、管理方法(保管期間:6 か月)"): "notes",
    (92, "社外への持出し申請、承認方法"): "notes",
    (92, "持出し記録の保管、管理方法(保管期間:6 か月)"): "notes",
    # No.94/95: contents the photography / recording rule must define.
    (94, "撮影を制限する対象またはエリア"): "notes",
    (94, "(例:社外者との打合せエリア)"): "notes",
    (94, "撮影の申請、承認手順"): "notes",
    (94, "撮影申請、行為の記録の保管(保管期間:6 か月)"): "notes",
    (95, "録音を制限する会議(面着、リモート含む)やエリアの定義"): "notes",
    (95, "録音の申請、承認方法"): "notes",
    # No.98: kinds of software to prohibit.
    (98, "情報漏えいにつながるソフトウェア"): "notes",
    (98, "深刻な脆弱性があるソフトウェア"): "notes",
    (98, "マルウェア・スパイウェアの疑惑のあるアプリ"): "notes",
    # No.104: fields to record per filtering rule.
    (104, "申請者、接続元および接続先の IP アドレス、通信方向、プロトコル、ポート番号、利用用途、登録日、有効期限"): "notes",
    # No.119: a criterion ending in "(追加、変更、修正)".
    (119, "サーバーの管理者権限を管理すること(追加、変更、修正)"): "criteria",
    # No.126: an extra diagnosis trigger (timing).
    (126, "影響の大きな脆弱性が公開された時"): "frequency",
    # No.151: timing.
    (151, "システム構築時、変更時、定期的(リスク応じて判断)"): "frequency",
}

# ---------------------------------------------------------------------------
# Heuristic classification of unlabelled lines
# ---------------------------------------------------------------------------

FREQ_RE = re.compile(
    r"(回\s*(以上\s*)?/\s*(\d+\s*)?(年|月|か月|ヶ月|ケ月)"
    r"|\d\s*回\s*/\s*年"
    r"|^\d+\s*(ヶ|ケ|か|カ)月"
    r"|^-?\s*常時$"
    r"|^定常的に"
    r"|^\((教育|周知)\)"
    r"|^新規受け入れ時"
    r"|^本番稼働(前|後):"
    r"|日ごとに"
    r")"
)
CRITERIA_END_RE = re.compile(r"(こと|こと。|している|する|する。|いる|いる。)$")


USED_OVERRIDES = set()


def classify(no, lines):
    """Return a class per unlabelled line of item `no`."""
    out = []
    block = None          # class of the current bracket block, if any
    prev = "criteria"     # class of the previous line (criteria[0] first)
    for ln in lines:
        key = (no, ln)
        m = re.match(r"^\[(.+?)\]\s*(.*)$", ln)
        if m:
            hdr, rest = m.group(1), m.group(2)
            if hdr not in BRACKET_HEADERS:
                raise SystemExit(f"No.{no}: unknown bracket header [{hdr}]")
            cls = BRACKET_HEADERS[hdr]
            block = None if rest else cls
        elif key in OVERRIDES:
            cls = OVERRIDES[key]
            block = None
        elif ln.startswith("※"):
            cls = "notes"
        elif ln.startswith("-") or ln.startswith("・"):
            cls = block if block else prev
        elif block and ln.startswith("取得項目"):
            cls = block
        else:
            block = None
            if FREQ_RE.search(ln):
                cls = "frequency"
            elif CRITERIA_END_RE.search(ln):
                cls = "criteria"
            else:
                cls = "scope"
        if key in OVERRIDES:
            cls = OVERRIDES[key]
            USED_OVERRIDES.add(key)
        out.append(cls)
        if not ln.startswith("※"):
            prev = cls
    return out


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------

HEADER_RE = re.compile(r"^(\d+)(?:-(\d+))? (\S.*)$")
LABEL_RE = re.compile(r"^ラベル (\d+) (.*)$")
QUESTION_RE = re.compile(r"^No\.(\d+)(?: (.*))?$")
LEVEL_RE = re.compile(r"^No\. (?:(\d+) )?(?:(.*?) )?レベル Lv([1-3]?)(.*)$")


def parse(path):
    with open(path, encoding="utf-8") as f:
        raw = f.read()
    lines = [norm(l) for l in raw.splitlines()]
    assert lines[:2] == NOISE_LINES, lines[:2]
    info = {"physical_lines": len(lines),
            "trailing_newline": raw.endswith("\n")}

    categories = collections.OrderedDict()
    sections = []
    cur_sec = None
    cur_item = None
    i = 2
    while i < len(lines):
        ln = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if nxt.startswith("ラベル "):
            m = HEADER_RE.match(ln)
            assert m, (i + 1, ln)
            cat, name = int(m.group(1)), m.group(3)
            code = m.group(1) + (f"-{m.group(2)}" if m.group(2) else "")
            lm = LABEL_RE.match(nxt)
            assert lm and int(lm.group(1)) == cat, (i + 2, nxt)
            assert lm.group(2).startswith(name), (i + 2, nxt)
            purpose = lm.group(2)[len(name):]
            requirement = lines[i + 2]
            assert not requirement.startswith("No."), (i + 3, requirement)
            cur_sec = {"cat": cat, "name": name, "purpose": purpose,
                       "code": code, "requirement": requirement,
                       "items": [], "line": i + 1}
            sections.append(cur_sec)
            cur_item = None
            i += 3
            continue
        qm = QUESTION_RE.match(ln)
        # A question line is only a "No.<n>" line followed by a level line;
        # e.g. "No.56 で特定した情報資産" (in No.66) is a scope line.
        if qm and nxt.startswith("No. "):
            cur_item = {"no": int(qm.group(1)), "question": qm.group(2) or "",
                        "qline": i + 1, "level": None, "criteria0": None,
                        "extra": [], "extra_lines": []}
            cur_sec["items"].append(cur_item)
            i += 1
            continue
        lvm = LEVEL_RE.match(ln)
        if ln.startswith("No. "):
            assert lvm, (i + 1, ln)
            assert cur_item is not None and cur_item["level"] is None
            num, q, lv, crit = lvm.groups()
            if num is not None:
                assert int(num) == cur_item["no"], (i + 1, ln)
            else:
                cur_item["level_line_unnumbered"] = True
            if q is not None:
                assert cur_item["question"] == "", (i + 1, ln)
                cur_item["question"] = q
                cur_item["question_on_level_line"] = True
            cur_item["level"] = int(lv) if lv else 0
            cur_item["criteria0"] = crit
            cur_item["lline"] = i + 1
            i += 1
            continue
        assert cur_item is not None and cur_item["level"] is not None, \
            (i + 1, ln)
        cur_item["extra"].append(ln)
        cur_item["extra_lines"].append(i + 1)
        i += 1
    return sections, info


def recover(sections):
    """Split items 39/40 off the tail of No.38's unlabelled lines."""
    for sec in sections:
        for idx, it in enumerate(sec["items"]):
            if it["no"] != RECOVERED_FROM:
                continue
            starts = []
            for no, first in RECOVERED_ITEMS:
                assert it["extra"].count(first) == 1, (no, first)
                starts.append(it["extra"].index(first))
            assert starts == sorted(starts)
            bounds = starts + [len(it["extra"])]
            new = []
            for k, (no, _) in enumerate(RECOVERED_ITEMS):
                seg = it["extra"][bounds[k]:bounds[k + 1]]
                segl = it["extra_lines"][bounds[k]:bounds[k + 1]]
                lay = RECOVERED_LAYOUT[no]
                assert len(seg) == len(lay["classes"]), (no, seg)
                new.append({"no": no, "recovered": True, "level": 0,
                            "lines": seg, "line_numbers": segl,
                            "classes": lay["classes"],
                            "question_from_criteria":
                                lay["question_from_criteria"],
                            "editorial_question":
                                lay.get("editorial_question", ""),
                            "text_note": lay["text_note"]})
            it["extra"] = it["extra"][:starts[0]]
            it["extra_lines"] = it["extra_lines"][:starts[0]]
            sec["items"][idx + 1:idx + 1] = new
            return
    raise SystemExit("No.38 not found")


def build_item(it):
    no = it["no"]
    if it.get("recovered"):
        buckets = {"criteria": [], "scope": [], "frequency": [], "notes": []}
        for ln, cls in zip(it["lines"], it["classes"]):
            buckets[cls].append(ln)
        question = buckets["criteria"][0] if it["question_from_criteria"] \
            else it["editorial_question"]
        level = 0
    else:
        classes = classify(no, it["extra"])
        buckets = {"criteria": [it["criteria0"]], "scope": [],
                   "frequency": [], "notes": []}
        for ln, cls in zip(it["extra"], classes):
            buckets[cls].append(ln)
        question = it["question"]
        level = it["level"]
    if level == 0:
        assert no in INFERRED_LEVELS, no
        level, reason = INFERRED_LEVELS[no]
        head = {"no": no, "level": level, "level_inferred": True,
                "level_reason": reason}
    else:
        assert no not in INFERRED_LEVELS, no
        head = {"no": no, "level": level, "level_inferred": False}
    head.update({"question": question,
                 "criteria": buckets["criteria"],
                 "scope": buckets["scope"],
                 "frequency": buckets["frequency"],
                 "notes": buckets["notes"]})
    if it.get("recovered"):
        head["text_note"] = it["text_note"]
    return head


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SEED
    sections, info = parse(path)
    # explicit level counts before recovery/inference
    explicit = collections.Counter(
        it["level"] for s in sections for it in s["items"] if it["level"])
    missing_digit = {it["no"] for s in sections for it in s["items"]
                     if it["level"] == 0}
    assert missing_digit == MISSING_LEVEL_DIGIT, missing_digit
    recover(sections)

    cats = collections.OrderedDict()
    for s in sections:
        c = cats.setdefault(s["cat"], {"number": s["cat"], "name": s["name"],
                                       "name_en": CATEGORY_NAME_EN[s["cat"]],
                                       "purpose": s["purpose"],
                                       "sections": [], "_secs": []})
        assert c["name"] == s["name"], (s["code"], s["name"])
        c["_secs"].append(s)
        c["sections"].append({"code": s["code"],
                              "requirement": s["requirement"],
                              "items": [build_item(it) for it in s["items"]]})

    all_items = [it for c in cats.values() for s in c["sections"]
                 for it in s["items"]]
    nos = [it["no"] for it in all_items]
    assert nos == list(range(1, 154)), nos
    assert list(cats) == list(range(1, 25)), list(cats)
    totals = collections.Counter(it["level"] for it in all_items)
    assert dict(totals) == EXPECTED_LEVEL_TOTALS, totals
    inferred = collections.Counter(INFERRED_LEVELS[n][0] for n in INFERRED_LEVELS)
    assert dict(inferred) == {1: 1, 2: 2, 3: 1}, inferred

    unused = set(OVERRIDES) - USED_OVERRIDES
    assert not unused, unused

    anomalies = build_anomalies(cats, sections, info, explicit)

    for c in cats.values():
        del c["_secs"]
    doc = collections.OrderedDict([
        ("key", "jama-japia"),
        ("name", "自工会/部工会・サイバーセキュリティガイドライン チェックシート"),
        ("name_en", "JAMA/JAPIA Cybersecurity Guidelines check sheet"),
        ("guideline_version", "2.x"),
        ("language", "ja"),
        ("source", "shared/seeds/000_d7f3e3d58768f443.txt (lossy text "
                   "extraction); see anomalies"),
        ("anomalies", anomalies),
        ("categories", list(cats.values())),
    ])
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
    summary(cats, all_items, explicit, anomalies)


def item_index(sections):
    return {it["no"]: it for s in sections for it in s["items"]}


def build_anomalies(cats, sections, info, explicit):
    """Every claim below is asserted against the parse before it is emitted."""
    idx = item_index(sections)
    out = []

    def add(items, text):
        out.append(collections.OrderedDict(
            [("items", items), ("description", text)]))

    add([], "Seed lines 1-2 ('メタデータ', 'コントロール') are extraction "
            "noise and were skipped.")

    assert not info["trailing_newline"]
    last = idx[153]
    assert last["extra_lines"][-1] == info["physical_lines"]
    add([153], f"The seed has {info['physical_lines']} lines but no trailing "
               f"newline, so `wc -l` reports {info['physical_lines'] - 1}. The "
               f"unterminated last line {info['physical_lines']} "
               f"('{last['extra'][-1]}') is No.153's scope line and is kept.")

    it = idx[23]
    assert it.get("question_on_level_line") and it.get("level_line_unnumbered")
    add([23], f"No.23: the 'No.23' line (seed line {it['qline']}) has no "
              f"text and the level line (seed line {it['lline']}) reads "
              "'No. <question> レベル Lv2<criteria>' without the item number. "
              "Resolved: the text between 'No. ' and ' レベル' is the question, "
              "level 2 and criteria[0] come from the rest of that line as usual.")

    src = idx[RECOVERED_FROM]
    r39, r40 = idx[39], idx[40]
    l39, l40 = r39["line_numbers"], r40["line_numbers"]
    add([38, 39, 40],
        f"No.39 and No.40 have no 'No.' lines: their text trails No.38's "
        f"unlabelled lines in section 7-2 (No.38 question line "
        f"{src['qline']}). Recovered by position, following No.38's "
        f"criteria/scope/frequency layout (lines {src['lline']}, "
        f"{src['extra_lines'][0]}, {src['extra_lines'][1]}): No.39 = seed "
        f"lines {l39[0]}-{l39[-1]} (line {l39[0]} '組織を跨いだ…を実施する"
        f"こと' = criteria[0], line {l39[1]} 'セキュリティ関連部門' = scope, "
        f"line {l39[2]} '1回/年以上' = frequency); No.40 = seed line "
        f"{l40[0]} only ('教育・訓練実施前後、もしくは1回/年以上' = "
        "frequency: the timing of the training's effectiveness check). No "
        "question text survives for either item: No.39's question is set "
        "to its criteria[0] text verbatim (a copy, not reworded); No.40's "
        "question is editorial, marked as such in its own text and in "
        "text_note (a template needs a question), and its criteria list is "
        "empty. Levels inferred "
        "(see level_reason). Both questions should be restored from the "
        "official check sheet.")

    for no in sorted(MISSING_LEVEL_DIGIT):
        it = idx[no]
        what = ("has neither item number nor level digit ('No. レベル Lv…')"
                if it.get("level_line_unnumbered")
                else f"has no level digit ('No. {no} レベル Lv…')")
        lv = INFERRED_LEVELS[no][0]
        add([no], f"No.{no}: level line (seed line {it['lline']}) {what}; "
                  "attached to the preceding 'No." + str(no) + "' question "
                  f"line; criteria[0] is the text after 'Lv'. Level inferred "
                  f"as {lv} (see level_reason).")

    add(sorted(INFERRED_LEVELS),
        "Level totals: the seed states "
        + "/".join(f"{explicit[k]} Lv{k}" for k in (1, 2, 3))
        + "; the published v2.x distribution is "
        + "/".join(f"{EXPECTED_LEVEL_TOTALS[k]} Lv{k}" for k in (1, 2, 3))
        + " (153 items), so the four level-less items 39, 40, 142, 153 take "
        "exactly one Lv1 (40), two Lv2 (39, 153) and one Lv3 (142).")

    glued = sorted(n for n, it in idx.items()
                   if not it.get("recovered") and it["criteria0"][:1].isdigit())
    assert glued == [11, 15, 20, 22, 25, 45, 47, 61, 71, 75], glued
    add(glued, "Level digit glued to criteria text that itself starts with a "
               "digit (e.g. 'Lv11 回/年、もしくは…', 'Lv31 回以上/年'). The "
               "level is the single digit after 'Lv' (levels are 1-3); the "
               "rest is criteria[0], which for these review-type items is an "
               "interval/trigger statement, kept as the criterion.")

    # section-level oddities
    for c in cats.values():
        secs = c["_secs"]
        for sct in secs[1:]:
            if sct["purpose"] != secs[0]["purpose"]:
                add([i["no"] for i in sct["items"]],
                    f"Section {sct['code']} has a different purpose on its "
                    f"ラベル line (seed line {sct['line'] + 1}) than section "
                    f"{secs[0]['code']}; the first is kept as category "
                    f"{c['number']}'s purpose. Section {sct['code']} purpose: "
                    f"'{sct['purpose']}'")
    seen = {}
    for sct in sections:
        seen.setdefault(sct["requirement"], []).append(sct)
    for req, group in seen.items():
        if len(group) > 1:
            codes = [g["code"] for g in group]
            add([i["no"] for g in group[1:] for i in g["items"]],
                f"Sections {', '.join(codes)} carry the identical requirement "
                f"line '{req}' (seed lines "
                f"{', '.join(str(g['line'] + 2) for g in group)}); possibly "
                f"copied by the extraction (the items of {codes[-1]} are about "
                "other topics). Kept as given.")
    first_by_cat = {}
    for sct in sections:
        first_by_cat.setdefault(sct["cat"], sct)
    by_purpose = {}
    for cat, sct in first_by_cat.items():
        by_purpose.setdefault(sct["purpose"], []).append(sct)
    for purpose, group in by_purpose.items():
        if len(group) > 1:
            cs = [g["cat"] for g in group]
            add([i["no"] for g in group[1:] for s2 in sections
                 if s2["cat"] == g["cat"] for i in s2["items"]],
                f"Categories {', '.join(map(str, cs))} share the identical "
                f"purpose '{purpose}'. Kept as given (may be genuine or an "
                "extraction copy).")

    # question lines that are really references inside unlabelled lines
    refs = sorted((n, ln) for n, it in idx.items() if not it.get("recovered")
                  for ln in it["extra"] if QUESTION_RE.match(ln))
    assert [n for n, _ in refs] == [56, 66], refs
    add([n for n, _ in refs],
        "Unlabelled lines that look like question lines: "
        + "; ".join(f"No.{n}: '{ln}'" for n, ln in refs)
        + ". A 'No.<n>' line is a question line only when the next line is "
        "a level line ('No. …'); these are scope lines.")

    dq = collections.OrderedDict()
    for n in sorted(idx):
        q = idx[n].get("question")
        if q:
            dq.setdefault(q, []).append(n)
    pairs = [v for v in dq.values() if len(v) > 1]
    assert pairs == [[4, 5], [11, 12], [13, 14], [16, 17], [49, 50], [62, 63]], pairs
    add([n for v in pairs for n in v],
        "Identical question text on consecutive items "
        + ", ".join("/".join(map(str, v)) for v in pairs)
        + ": the sheet repeats the requirement for a higher-level criterion "
        "(levels and criteria differ). Not an extraction error; kept.")

    assert idx[101]["question"].count("している") == 3
    add([101], "No.101's question runs three statements together without "
               "separators ('…無効化している' 'デフォルトユーザ ID の利用の停止を"
               "している' 'デフォルトパスワードの変更をしている'); line breaks "
               "inside the cell were lost. Kept verbatim.")

    assert idx[137]["criteria0"] == "No136 の対象のとおり"
    add([137], "No.137's criteria[0] is 'No136 の対象のとおり' (reads like a "
               "scope cross-reference; the criterion cell itself may be "
               "missing). It is the text glued to the level line, so it is "
               "kept as criteria[0].")

    assert "教育・訓練" in idx[27]["criteria0"]
    add([27], "No.27 asks about reviewing the malware-infection response "
              "procedure, but its criterion speaks of reviewing "
              "education/training content ('…教育・訓練内容の見直しをすること'). "
              "Possible misalignment in the source; kept verbatim.")
    return out


def summary(cats, all_items, explicit, anomalies):
    err = sys.stderr
    lv = collections.Counter(it["level"] for it in all_items)
    print(f"items: {len(all_items)}", file=err)
    print("explicit levels in seed: " + ", ".join(
        f"Lv{k}={explicit[k]}" for k in sorted(explicit)), file=err)
    print("levels (incl. inferred): " + ", ".join(
        f"Lv{k}={lv[k]}" for k in sorted(lv)), file=err)
    for it in all_items:
        if it["level_inferred"]:
            print(f"  inferred No.{it['no']}: Lv{it['level']}", file=err)
    print("per category:", file=err)
    for c in cats.values():
        n = sum(len(s["items"]) for s in c["sections"])
        codes = ",".join(s["code"] for s in c["sections"])
        print(f"  {c['number']:>2} {c['name']} [{codes}]: {n} items", file=err)
    print(f"anomalies: {len(anomalies)}", file=err)
    for a in anomalies:
        print(f"  {a['items']}: {a['description']}", file=err)


if __name__ == "__main__":
    main()
