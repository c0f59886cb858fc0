#!/usr/bin/env bash
# repartition.sh — `parq repartition --hash-by` throughput against the writer's own speed:
# the same Parquet corpus rewritten by `parq convert` (Parquet -> Parquet: same reader, same
# zstd:3 codec, same row-group size, one thread), so the ratio isolates what repartitioning
# adds (key hashing, the row codec, N open writers). The goal is >= 80%.
#
#   bash bench/sql/repartition.sh [--size 1G] [--partitions 8] [--work DIR]   env BUILD=DIR
#
# Uses the corpus bench/sql/run.sh builds (built here when missing). Best of 2 wall times;
# MB/s = input Parquet bytes / seconds; peak RSS from /usr/bin/time when available.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIZE=1G
N=8
WORK=/tmp/parq-sql-bench
while [ $# -gt 0 ]; do
  case "$1" in
    --size) SIZE=$2; shift 2 ;;
    --partitions) N=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    *) echo "usage: $0 [--size N] [--partitions N] [--work DIR]"; exit 2 ;;
  esac
done
BUILD=${BUILD:-$root/build}
PARQ=$BUILD/parq
mkdir -p "$WORK"
C="$WORK/corpus-$SIZE.parquet"
if [ ! -f "$C" ]; then
  "$BUILD/gencorpus" --bytes "$SIZE" --out "$WORK/corpus.jsonl"
  "$PARQ" convert "$WORK/corpus.jsonl" -o "$C" --row-group-rows 65536 -q
  rm -f "$WORK/corpus.jsonl"
fi
O="$WORK/repartition-out"
bytes=$(stat -c %s "$C")
TIME=""
[ -x /usr/bin/time ] && TIME="/usr/bin/time -f %M -o $WORK/rss"
best() { # best of 2: prints "seconds peak_rss_kb"
  local b=999999 m=0
  for _ in 1 2; do
    rm -rf "$O"
    mkdir -p "$O"
    local s e
    s=$(date +%s.%N)
    $TIME "$@" > /dev/null 2>"$WORK/err" || { echo "error: $(head -c 200 "$WORK/err")"; return; }
    e=$(date +%s.%N)
    b=$(echo "$s $e $b" | awk '{t=$2-$1; print (t<$3)?t:$3}')
    [ -n "$TIME" ] && m=$(tail -1 "$WORK/rss")
  done
  rm -rf "$O"
  echo "$b $m"
}
read -r tc mc <<< "$(best "$PARQ" convert "$C" -o "$O/c.parquet" --row-group-rows 65536 -q)"
read -r tr mr <<< "$(best "$PARQ" repartition "$C" -o "$O/parts" -n "$N" --hash-by dump --row-group-rows 65536 -q)"
rows=$("$PARQ" sql "SELECT count(*) FROM '$C'" -f csv | tail -1)
echo "corpus: $SIZE ($((bytes / 1000000)) MB Parquet, $rows rows), $N partitions by hash(dump)"
echo
echo "| command | seconds | MB/s (input) | peak RSS (MB) |"
echo "|---|---|---|---|"
awk -v t="$tc" -v b="$bytes" -v m="$mc" 'BEGIN { printf "| convert Parquet -> Parquet | %.2f | %.1f | %d |\n", t, b / 1e6 / t, m / 1024 }'
awk -v t="$tr" -v b="$bytes" -v m="$mr" -v n="$N" 'BEGIN { printf "| repartition -n %d --hash-by dump | %.2f | %.1f | %d |\n", n, t, b / 1e6 / t, m / 1024 }'
awk -v a="$tc" -v b="$tr" 'BEGIN { printf "\nrepartition / convert speed: %.0f%% (goal >= 80%%)\n", 100 * a / b }'
