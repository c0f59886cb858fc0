#!/usr/bin/env python3
"""edit.py — makes the edited JSONL versions for bench/cdc/run.sh.

usage: edit.py BASE.jsonl EXTRA.jsonl OUTDIR
Writes OUTDIR/{addcol,dropcol,append,insert,delete}.jsonl and split{5,10,20}_K.jsonl.
EXTRA supplies the rows that get appended or inserted (another gencorpus seed)."""
import json, os, sys

base, extra, out = sys.argv[1], sys.argv[2], sys.argv[3]
rows = open(base, encoding="utf-8").read().splitlines(True)
more = open(extra, encoding="utf-8").read().splitlines(True)
n = len(rows)

def write(name, lines):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        f.writelines(lines)

def addcol(line):
    d = json.loads(line)
    d["extra"] = len(d.get("text", "")) * 7 % 1000
    return json.dumps(d, ensure_ascii=False) + "\n"

def dropcol(line):
    d = json.loads(line)
    d.pop("url", None)
    return json.dumps(d, ensure_ascii=False) + "\n"

def same(line):  # re-serialise so JSON formatting is not what differs
    return json.dumps(json.loads(line), ensure_ascii=False) + "\n"

write("base.jsonl", [same(r) for r in rows])
write("addcol.jsonl", [addcol(r) for r in rows])
write("dropcol.jsonl", [dropcol(r) for r in rows])
write("append.jsonl", [same(r) for r in rows + more[: n // 10]])
k = n * 3 // 200  # two inserts of 1.5% each = ~3%
a, b = n * 3 // 10, n * 7 // 10
ins = rows[:a] + more[:k] + rows[a:b] + more[k:2 * k] + rows[b:]
write("insert.jsonl", [same(r) for r in ins])
k = n // 50  # two deletes of 2% each = ~4%
a, b = n // 4, n * 65 // 100
write("delete.jsonl", [same(r) for r in rows[:a] + rows[a + k:b] + rows[b + k:]])
for parts in (5, 10, 20):
    for i in range(parts):
        write("split%d_%02d.jsonl" % (parts, i), [same(r) for r in rows[i * n // parts:(i + 1) * n // parts]])
