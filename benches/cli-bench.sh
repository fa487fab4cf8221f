#!/usr/bin/env bash
# Times `msgskim get '.Entries[*].n' --count` on a generated listing dump against the
# read-speed yardstick (`wc -c`) and msgpack-python doing the same count. The dump is
# generated into a temporary directory and deleted at the end.
#
# Usage: benches/cli-bench.sh [SIZE] [RUNS]     (defaults: 1G, 5; SIZE as for `msgskim gen`)
set -euo pipefail
cd "$(dirname "$0")/.."

SIZE=${1:-1G}
RUNS=${2:-5}
cargo build --release --features cli --bin msgskim 2>/dev/null
BIN=target/release/msgskim

PY=""
for p in python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import msgpack' 2>/dev/null; then PY=$p; break; fi
done

DIR=$(mktemp -d)
trap 'rm -rf "$DIR"' EXIT
DUMP="$DIR/listing.msgpack"
"$BIN" gen listing --size "$SIZE" --seed 1 -o "$DUMP"
BYTES=$(stat -c %s "$DUMP")
echo "dump: $BYTES bytes"
cat "$DUMP" >/dev/null # warm the page cache: every run below reads from memory

# median_of CMD...: runs CMD $RUNS times; prints its output once, then the median wall-clock
# seconds and the median CPU seconds (user + system, children included, from /usr/bin/time;
# 0 without it). On a shared, busy machine the CPU time is the steadier figure.
median_of() {
  local walls=() cpus=() out t0 t1
  for _ in $(seq "$RUNS"); do
    if [ -x /usr/bin/time ]; then
      out=$(/usr/bin/time -f '%e %U %S' -o "$DIR/time" "$@")
      walls+=("$(awk '{print $1}' "$DIR/time")")
      cpus+=("$(awk '{printf "%.3f", $2 + $3}' "$DIR/time")")
    else
      t0=$(date +%s.%N)
      out=$("$@")
      t1=$(date +%s.%N)
      walls+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4f", b - a}')")
    fi
  done
  local med='{a[NR]=$1} END {print a[int((NR+1)/2)]}'
  printf '%s|%s|%s\n' "$out" \
    "$(printf '%s\n' "${walls[@]}" | sort -g | awk "$med")" \
    "$( [ ${#cpus[@]} -gt 0 ] && printf '%s\n' "${cpus[@]}" | sort -g | awk "$med" || echo 0)"
}

report() {
  local name=$1 res=$2
  local out=${res%%|*} rest=${res#*|}
  local wall=${rest%|*} cpu=${rest#*|}
  printf '%-50s wall %7.3f s %8.0f MB/s | cpu %7.3f s %8.0f MB/s | %s\n' "$name" \
    "$wall" "$(awk -v b="$BYTES" -v s="$wall" 'BEGIN {print b / s / 1e6}')" \
    "$cpu" "$(awk -v b="$BYTES" -v s="$cpu" 'BEGIN {print (s > 0 ? b / s / 1e6 : 0)}')" "$out"
}

echo "median of $RUNS runs, page cache warm; load average: $(cut -d" " -f1-3 /proc/loadavg)"
report "msgskim get '.Entries[*].n' --count FILE" \
  "$(median_of "$BIN" get '.Entries[*].n' --count "$DUMP")"
report "cat FILE | msgskim get ... --count (stream)" \
  "$(median_of sh -c "cat \"$DUMP\" | \"$BIN\" get '.Entries[*].n' --count")"
report "wc -c FILE (size from fstat, no read)" "$(median_of wc -c "$DUMP")"
report "cat FILE | wc -c (reads every byte)" "$(median_of sh -c "cat \"$DUMP\" | wc -c")"
if [ -n "$PY" ]; then
  report "python msgpack Unpacker count ($PY)" \
    "$(RUNS=$((RUNS < 3 ? RUNS : 3)) median_of "$PY" benches/cli_python_count.py "$DUMP")"
else
  echo "msgpack-python not found (apt-get install python3-msgpack, or pip install msgpack): skipped"
fi
