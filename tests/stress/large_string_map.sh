#!/usr/bin/env bash
# large_string_map.sh — stress test (not in CI): read the parquet-testing file
# large_string_map.brotli.parquet, a MAP<string,int> of 2 rows whose key
# column chunk inflates to 2,147,483,749 bytes (each key is 1 GiB of 'a').
# The reader must switch that column to Arrow large_utf8 (int64 offsets) and
# decode it. Needs about 5 GiB of free memory and ~1 minute; run with
# `make stress`. Prints time and peak RSS of each step and "N passed, N failed".
# Exit 0 on success, 1 on failure, 77 when skipped (no binary, corpus or memory).
set -u

SRC="${PARQ_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}"
PARQ="${PARQ_BIN:-${PARQ_BUILD_DIR:-$SRC/build}/parq}"
CORPUS="${PARQUET_TEST_DATA:-$SRC/../shared/parquet-testing}"
F="$CORPUS/data/large_string_map.brotli.parquet"
KEY=1073741824 # bytes per key (2^30)

if [ ! -x "$PARQ" ]; then echo "skipped: parq binary not found (set PARQ_BIN)"; exit 77; fi
if [ ! -f "$F" ]; then echo "skipped: corpus not found ($F)"; exit 77; fi
avail_kb=$(awk '/^MemAvailable:/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)
if [ "${avail_kb:-0}" -lt $((6 * 1024 * 1024)) ]; then
  echo "skipped: needs 6 GiB of available memory, have $((avail_kb / 1024)) MiB"
  exit 77
fi

T="$(mktemp -d "${TMPDIR:-/tmp}/parq_stress.XXXXXX")"
trap 'rm -rf "$T"' EXIT
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

# measure NAME ARGS...: runs parq ARGS, printing wall time and parq's peak RSS
# (GNU time, when present). Its output is never stored (2 GiB): $T/skel gets
# it with every 'a' removed and $T/count its size in bytes. RC = parq's status.
TIME_BIN=""
if [ -x /usr/bin/time ] && /usr/bin/time -f %M true >/dev/null 2>&1; then TIME_BIN=/usr/bin/time; fi
MAX_RSS_KB=0
measure() {
  local name="$1"; shift
  local start end rss=""
  start=$(date +%s%N)
  rm -f "$T/fifo" && mkfifo "$T/fifo"
  tr -d a <"$T/fifo" >"$T/skel" &
  local trpid=$!
  if [ -n "$TIME_BIN" ]; then
    $TIME_BIN -o "$T/time" -f %M "$PARQ" "$@" 2>"$T/err" | tee "$T/fifo" | wc -c >"$T/count"
  else
    "$PARQ" "$@" 2>"$T/err" | tee "$T/fifo" | wc -c >"$T/count"
  fi
  RC=${PIPESTATUS[0]}
  wait "$trpid"
  end=$(date +%s%N)
  [ -n "$TIME_BIN" ] && rss=$(tail -n 1 "$T/time")
  case "$rss" in ''|*[!0-9]*) rss="" ;; esac
  if [ -n "$rss" ] && [ "$rss" -gt "$MAX_RSS_KB" ]; then MAX_RSS_KB=$rss; fi
  awk -v n="$name" -v s="$start" -v e="$end" -v r="$rss" \
    'BEGIN { printf "  %-28s %6.1f s  peak RSS %s\n", n, (e - s) / 1e9, r == "" ? "?" : int(r / 1024) " MiB" }'
  [ "$RC" = 0 ] || echo "  stderr: $(head -c 500 "$T/err")"
  COUNT=$(tr -d ' ' <"$T/count")
  SKEL_OUT=$(cat "$T/skel")
}

# The expected JSON with every 'a' removed (the keys are all 'a'; "arr" and
# "value" lose theirs too): two rows, one entry each, value 1.
SKEL='{"rr":[{"key":"","vlue":1}]}'

# 1. scan: decodes every column and counts rows.
measure "parq scan" scan "$F"
rows=$(awk '$1 == "rows" {print $2}' "$T/skel") # "rows" has no 'a' 
if [ "$RC" = 0 ] && [ "$rows" = 2 ]; then ok "scan reads 2 rows"; else bad "scan: rc $RC, rows '$rows'"; fi

# 2. cat, the whole file in one batch: the key bytes are exactly 'a' x 2^30 per row.
measure "parq cat" cat "$F"
if [ "$RC" = 0 ] && [ "$SKEL_OUT" = "$(printf '%s\n%s' "$SKEL" "$SKEL")" ] &&
  [ "$COUNT" = $((2 * (KEY + 31))) ]; then
  ok "cat prints 2 rows with 1 GiB keys"
else
  bad "cat: rc $RC, $COUNT bytes"
fi

# 3. one row per batch: the partial-take path moves one 1 GiB value out of pending.
measure "parq cat --batch-rows 1" cat --batch-rows 1 "$F"
if [ "$RC" = 0 ] && [ "$SKEL_OUT" = "$(printf '%s\n%s' "$SKEL" "$SKEL")" ] &&
  [ "$COUNT" = $((2 * (KEY + 31))) ]; then
  ok "cat --batch-rows 1 prints the same"
else
  bad "cat --batch-rows 1: rc $RC, $COUNT bytes"
fi

# 4. --limit / --offset: each row alone has one key of exactly 2^30 bytes.
for args in "--limit 1" "--offset 1 --limit 1"; do
  # shellcheck disable=SC2086
  measure "parq cat $args" cat $args "$F"
  n=$COUNT
  if [ "$RC" = 0 ] && [ "$n" = $((KEY + 31)) ] && [ "$SKEL_OUT" = "$SKEL" ]; then
    ok "cat $args: one row, key of $KEY bytes"
  else
    bad "cat $args: rc $RC, $n bytes"
  fi
done

[ "$MAX_RSS_KB" -gt 0 ] && echo "max peak RSS: $((MAX_RSS_KB / 1024)) MiB"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
