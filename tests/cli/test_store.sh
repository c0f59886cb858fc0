#!/bin/bash
# test_store.sh — `parq store`: concurrent appends (20 processes, some killed
# with SIGKILL), consolidations running meanwhile (some crashing at named
# steps via PARQ_STORE_CRASH_AT), disk-full appends and consolidations; then
# every acknowledged row must be present exactly once at its latest version
# and no unacknowledged increment may be partly visible.
set -u
P=${PARQ_BIN:-build/parq}
command -v python3 >/dev/null || { echo "skipped: python3 not found"; exit 77; }
T=$(mktemp -d /tmp/parq_store_test.XXXXXX)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
S=$T/store

# ---- basics: init, append, schema evolution, export, health ----
$P store init $S --key id -q || fail init
printf '{"id":1,"v":"a","score":1}\n{"id":2,"v":"b","score":2}\n' > $T/a.jsonl
printf '{"id":1,"v":"a2","score":3.5,"extra":true}\n' > $T/b.jsonl
$P store append $S $T/a.jsonl -q || fail append a
$P store append $S $T/b.jsonl -q || fail "append b (new nullable column, int->double)"
printf '{"id":9,"score":"high"}\n' > $T/bad.jsonl
$P store append $S $T/bad.jsonl 2>$T/err && fail "incompatible append accepted"
grep -q "column 'score'" $T/err || fail "incompatible message does not name the column: $(cat $T/err)"
out=$($P store export $S --format jsonl)
[ "$(echo "$out" | wc -l)" = 2 ] || fail "export: $out"
echo "$out" | grep -q '"id":1,"v":"a2"' || fail "latest version did not win: $out"
[ "$($P store export $S --where "score >= 3" | wc -l)" = 1 ] || fail "--where"
$P store health $S --max-increments 1 >/dev/null 2>$T/err && fail "health should warn"
grep -q "parq store consolidate" $T/err || fail "health does not name the fix"
$P store health $S --json | python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["increments"]==2 and d["schema_versions"]==2, d' || fail "health json"
$P store consolidate $S --grace 0 -q || fail consolidate
[ "$($P store export $S | wc -l)" = 2 ] || fail "export after consolidate"
[ "$($P cat $S | wc -l)" = 2 ] || fail "cat of a store directory"
printf '[{"id":5,"v":"imp"},\n {"id":6,"v":"imp2"}]\n' > $T/old.json
$P store import $S $T/old.json -q || fail import
[ "$($P store export $S | wc -l)" = 4 ] || fail "export after import"

# ---- disk full: nothing acknowledged is lost, nothing half-visible ----
python3 -c '
import json
with open("'$T'/big.jsonl","w") as f:
    for i in range(200000): f.write(json.dumps({"id":100000+i,"v":"x"*40+str(i)})+"\n")'
before=$($P store export $S | sort | md5sum)
( ulimit -f 200; trap '' XFSZ; $P store append $S $T/big.jsonl -q 2>/dev/null ) && fail "append past ulimit -f succeeded"
[ "$($P store export $S | sort | md5sum)" = "$before" ] || fail "failed append changed the state"
$P store append $S $T/a.jsonl -q || fail "append after disk full"
( ulimit -f 1; trap '' XFSZ; $P store consolidate $S --grace 0 -q 2>/dev/null )
after=$($P store export $S | sort | md5sum)
$P store consolidate $S --grace 0 -q || fail "consolidate after disk full"
[ "$($P store export $S | sort | md5sum)" = "$after" ] || fail "consolidate changed the state"

# ---- crash points inside consolidate ----
for step in after-lock after-data before-current after-publish; do
  $P store append $S $T/b.jsonl -q || fail "append before crash $step"
  want=$($P store export $S | sort | md5sum)
  PARQ_STORE_CRASH_AT=$step $P store consolidate $S --grace 0 -q
  [ $? = 137 ] || fail "crash hook $step did not fire (expected death by SIGKILL)"
  [ "$($P store export $S | sort | md5sum)" = "$want" ] || fail "state changed by crash at $step"
  $P store consolidate $S --grace 0 -q || fail "consolidate after crash at $step"
  [ "$($P store export $S | sort | md5sum)" = "$want" ] || fail "state changed after recovery ($step)"
done

# ---- concurrency: 15 logging writers, 5 writers killed at random, consolidations ----
C=$T/conc
$P store init $C --key id -q || fail "init conc"
writer() { # $1 = writer id: 10 appends of 5 rows over a shared key space, logged after exit 0
  local w=$1 j
  for j in $(seq 1 10); do
    f=$T/w$w.$j.jsonl
    for r in 0 1 2 3 4; do echo "{\"id\":$(( (w * 7 + j * 3 + r * 11) % 60 )),\"tag\":\"w$w.$j\"}"; done > $f
    name=$($P store append $C $f -q; echo "rc=$?")
    case "$name" in rc=0) ;; *) echo "writer $w append $j failed: $name" >&2; continue;; esac
    echo "w$w.$j" >> $T/acked.$w
  done
}
victim() { # appends forever with private keys; killed with SIGKILL
  local w=$1 j=0
  while :; do
    j=$((j + 1)); f=$T/v$w.$j.jsonl
    for r in 0 1 2 3 4; do echo "{\"id\":$(( 1000000 + w * 100000 + j * 10 + r )),\"tag\":\"v$w.$j\"}"; done > $f
    $P store append $C $f -q || true
  done
}
for w in $(seq 1 15); do writer $w & done
vp=()
for w in $(seq 1 5); do victim $w & vp+=($!); done
cons() { for k in $(seq 1 12); do
  case $((RANDOM % 5)) in 0) PARQ_STORE_CRASH_AT=after-data $P store consolidate $C --grace 0 -q ;;
    *) $P store consolidate $C --grace 0 -q || echo "consolidate failed" >&2 ;; esac
  sleep 0.0$((RANDOM % 9)); done; }
cons & c1=$!
cons & c2=$!
for v in "${vp[@]}"; do (sleep 0.$((RANDOM % 9 + 1)); pkill -KILL -P $v 2>/dev/null; kill -KILL $v 2>/dev/null) & done
wait $c1 $c2
for v in "${vp[@]}"; do kill -KILL $v 2>/dev/null; done
wait
$P store consolidate $C --grace 0 -q || fail "final consolidate"
$P store export $C > $T/final.jsonl || fail "final export"
# Acknowledgement order among the logged increments is the order of their
# names; rebuild it from the increment logs kept by each writer run: the
# latest acknowledged tag per key is the one whose append finished last in
# name order. The names are gone after consolidation, so each row's tag is
# compared against the set of acknowledged tags containing that key, and the
# winner must be one of them and must be the latest of a single writer's.
python3 - "$T" <<'EOF' || fail "concurrency check"
import json, sys, glob, os
T = sys.argv[1]
rows = [json.loads(l) for l in open(T + "/final.jsonl")]
ids = [r["id"] for r in rows]
assert len(ids) == len(set(ids)), "duplicate keys in the final state"
acked = set()
for f in glob.glob(T + "/acked.*"):
    acked |= set(l.strip() for l in open(f) if l.strip())
assert len(acked) == 150, "only %d acknowledged appends" % len(acked)
def keys(tag):
    w, j = map(int, tag[1:].split("."))
    return [(w * 7 + j * 3 + r * 11) % 60 for r in range(5)]
final = {r["id"]: r["tag"] for r in rows if r["id"] < 1000000}
want = set()
for t in acked: want |= set(keys(t))
assert set(final) == want, "missing keys: %s" % sorted(want - set(final))
for k, tag in final.items():
    assert tag in acked, "key %d has unacknowledged tag %s" % (k, tag)
    assert k in keys(tag)
    # Within one writer appends are sequential: a later append of the same
    # writer touching k must not be beaten by that writer's earlier one.
    w, j = map(int, tag[1:].split("."))
    later = [jj for jj in range(j + 1, 11) if k in keys("w%d.%d" % (w, jj)) and "w%d.%d" % (w, jj) in acked]
    assert not later, "key %d: w%d.%d won over the same writer's later append %s" % (k, w, j, later)
vic = {}
for r in rows:
    if r["id"] >= 1000000: vic[r["tag"]] = vic.get(r["tag"], 0) + 1
bad = {t: n for t, n in vic.items() if n != 5}
assert not bad, "half-visible increments: %s" % bad
print("ok: %d keys, %d acknowledged appends, %d killed-writer increments complete" % (len(final), len(acked), len(vic)))
EOF
ls $C/increments | grep -v '^\.' | grep -q . && fail "increments left after final consolidate"
# `parq cat STORE` prints the current state, exactly what `store export` prints.
$P cat "$C" > "$T/cat.jsonl" || fail "cat of a store failed"
$P store export "$C" --format jsonl -o "$T/export.jsonl" || fail "export failed"
cmp -s "$T/cat.jsonl" "$T/export.jsonl" || fail "cat of a store differs from store export"
# A store directory works as a SQL source: its files, and the store's own
# _parq_store.json is not mistaken for data. After the final consolidation no
# increments are pending, so the files hold exactly the current rows.
n_sql=$($P sql "SELECT count(*) AS n FROM '$C'" -f csv | tail -n 1)
n_cat=$(wc -l < "$T/cat.jsonl")
[ "$n_sql" = "$n_cat" ] || fail "sql over a store counted $n_sql rows, cat printed $n_cat"
echo "test_store: all passed"
