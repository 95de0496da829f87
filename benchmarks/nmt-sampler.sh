#!/usr/bin/env bash
# Samples, every second until stopped, each benchmark worker JVM (dev.pgbackup.bench.WorkerProcess): VmRSS, VmHWM and
# native memory tracking's committed MB by category, one line per JVM and second, appended to $1. The workers must run
# with tracking on: BENCH_WORKER_JVM_OPTS="-XX:NativeMemoryTracking=summary" ./scripts/bench.sh (docs/benchmarks.md).
set -u
out=${1:-/tmp/nmt-samples.txt}
: >"$out"
while true; do
  for pid in $(pgrep -f 'dev.pgbackup.bench.WorkerProcess'); do
    rss=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null)
    hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null)
    nmt=$(jcmd "$pid" VM.native_memory summary scale=MB 2>/dev/null | grep -E "^-|Total" \
      | sed -E 's/^-? *//; s/ \(reserved=[0-9]+MB, committed=([0-9]+)MB\)/=\1/' | tr '\n' ' ')
    [ -n "$rss" ] && echo "$(date +%T) pid=$pid rss_kb=$rss hwm_kb=$hwm $nmt" >>"$out"
  done
  sleep 1
done
