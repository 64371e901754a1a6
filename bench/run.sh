#!/usr/bin/env bash
# Compare scapkit with sysdig 0.29.3 on the same machine, in one run, and print ratios.
#
# Input: the corpus k8s capture, inflated and concatenated 20 times (about 276 MB,
# 2.9 M events), built under bench/work/ on first use. Needs ../shared beside the checkout
# and `sysdig` on the PATH (apt-get install sysdig); without sysdig only scapkit is timed.
#
# Usage: bench/run.sh [RUNS]   (best of RUNS, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
shared=${SCAPKIT_SHARED:-../shared}
src="$shared/captures/bencer_k8s_troubleshooting_capture.scap"
work=bench/work
mkdir -p "$work"
big="$work/k8s-x20.scap"
if [[ ! -f $big ]]; then
  [[ -f $src ]] || { echo "bench: $src not found" >&2; exit 1; }
  zcat "$src" > "$work/k8s.scap"
  for _ in $(seq 20); do cat "$work/k8s.scap"; done > "$big"
  rm "$work/k8s.scap"
fi
# How a file sits in the page cache changes the kernel's share of the work a lot: a file
# just written with small writes (as by `cat` above) is cached in 4 KiB pages, one read back
# from disk in large folios, which map (mmap) and copy (read) several times faster. Put the
# input in the second state, the usual one for a capture being analysed: drop it from the
# cache (dd's nocache flag), then read it once. Both programs then read the same warm cache.
sync "$big"  # dirty pages cannot be dropped
dd if="$big" iflag=nocache count=0 status=none
cat "$big" > /dev/null
cargo build --release -q -p scapkit
bin=target/release/scapkit
size=$(stat -c %s "$big")
export TZ=UTC

# best_of CMD...: prints the best wall time in seconds over $runs runs (stdout discarded).
best_of() {
  local best=""
  for _ in $(seq "$runs"); do
    local t0 t1
    t0=$(date +%s.%N)
    "$@" > /dev/null 2>&1 || true
    t1=$(date +%s.%N)
    best=$(echo "$t0 $t1 $best" | awk '{d=$2-$1; if ($3=="" || d<$3) print d; else print $3}')
  done
  echo "$best"
}

fields='*%evt.num %evt.rawtime %evt.cpu %thread.tid %evt.dir %evt.type'
printf 'input: %s (%d MB)\n' "$big" $((size / 1000000))
printf '%-44s %10s %10s %8s\n' case scapkit sysdig ratio
# row NAME OURS_ARGS... -- SYSDIG_ARGS...: best-of times for both, and the ratio.
row() {
  local name=$1; shift
  local ours_args=() theirs_args=()
  while [[ $# -gt 0 && $1 != -- ]]; do ours_args+=("$1"); shift; done
  [[ $# -gt 0 ]] && shift
  theirs_args=("$@")
  local ours="" theirs=""
  # Alternate the two programs so both see the same machine conditions (this VM's speed
  # drifts from minute to minute); keep the best run of each.
  for _ in $(seq "$runs"); do
    ours=$(runs=1 best_of "$bin" "${ours_args[@]}" | awk -v b="$ours" '{ if (b=="" || $1<b) print $1; else print b }')
    if command -v sysdig > /dev/null && [[ ${#theirs_args[@]} -gt 0 ]]; then
      theirs=$(runs=1 best_of sysdig "${theirs_args[@]}" | awk -v b="$theirs" '{ if (b=="" || $1<b) print $1; else print b }')
    fi
  done
  if [[ -n $theirs ]]; then
    printf '%-44s %9.3fs %9.3fs %7.1fx\n' "$name" "$ours" "$theirs" "$(echo "$theirs $ours" | awk '{print $1/$2}')"
  else
    printf '%-44s %9.3fs %10s %8s\n' "$name" "$ours" - -
  fi
}

row "read -D -p (6 raw fields)" read --no-progress -D -r "$big" -p "$fields" -- -D -r "$big" -p "$fields"
for f in "evt.type=open" "proc.name=etcd and fd.type=ipv4" "fd.name contains /etc"; do
  row "read FILTER: $f" read --no-progress -r "$big" "$f" -- -r "$big" "$f"
done
row "read (default format, every event)" read --no-progress -r "$big" -- -r "$big"
# sysdig has no equivalent of `info`: report throughput instead of a ratio.
t=$(best_of "$bin" info "$big")
printf '%-44s %9.3fs %10s %8s  (%.2f GB/s)\n' "info" "$t" - - "$(echo "$size $t" | awk '{print $1/$2/1e9}')"
# Peak memory of an mmap'ed read: mapped file pages count in RSS but are not heap.
rss=$(/usr/bin/time -f %M "$bin" read --no-progress -r "$big" -D -p "$fields" 2>&1 > /dev/null | tail -1)
printf '%-44s %9s KB max RSS (file: %d KB, mapped; heap use is pinned by crates/scap/tests/alloc.rs)\n' "read -D -p peak memory" "$rss" $((size / 1024))
