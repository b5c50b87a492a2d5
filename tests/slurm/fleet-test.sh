#!/bin/bash
# The fleet on a real Slurm: Debian's slurmctld, slurmd and munge on this one node (tests/slurm/cluster.sh), the
# shipped deploy/slurm scripts, a `memtrace gen` fleet of four hosts (two or three GPUs and two workloads each)
# plus the bundled demo archive. It checks that:
#   - shards 1, 3 and 8 merge to tables, summary.json and report.html byte-identical with one `memtrace run`;
#   - a shard killed mid-run (scancel --signal=KILL on its step) requeues itself and the merge is unchanged;
#   - merge refuses a missing part with one line naming it, exit 2, and writes nothing.
# `make slurmtest` runs it (and installs slurm and munge when missing); `make test` runs that.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
memtrace=${MEMTRACE:-$repo/pipeline/Memtrace.Cli/bin/Release/net10.0/memtrace}
[ -x "$memtrace" ] || { echo "fleet-test: $memtrace not built" >&2; exit 1; }
export SLURM_TEST_DIR
SLURM_TEST_DIR=$(mktemp -d /tmp/memtrace-slurm.XXXXXX)
# shellcheck source=cluster.sh
source "$repo/tests/slurm/cluster.sh"
work=$SLURM_TEST_DIR/work
failures=0 passes=0
fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
pass() { echo "ok: $*"; passes=$((passes + 1)); }
finish() {
  local rc=$?
  cluster_stop
  if [ $failures -eq 0 ] && [ $rc -eq 0 ]; then rm -rf "$SLURM_TEST_DIR"; else echo "fleet-test: kept $SLURM_TEST_DIR" >&2; fi
}
trap finish EXIT

# The same tables, summary and report, byte for byte.
same_result() {
  local a=$1 b=$2 what=$3 bad=0
  for f in "$a"/tables/*.arrow "$a"/summary.json "$a"/report.html; do
    cmp -s "$f" "$b/${f#"$a"/}" || { echo "  differs: ${f#"$a"/}" >&2; bad=1; }
  done
  [ "$(ls "$a"/tables | wc -l)" = "$(ls "$b"/tables | wc -l)" ] || bad=1
  if [ $bad -eq 0 ]; then pass "$what"; else fail "$what"; fi
}

echo "fleet-test: generating the fleet"
for i in 1 2 3 4; do
  "$memtrace" gen --out "$work/archives/host$i" --host "host$i" --seed "$i" --events $((40000 * i)) --devices $((2 + i % 2)) \
    --workloads 2 --hours 0.25 >/dev/null 2>&1
done
cp -r "$repo/samples/demo-archive" "$work/archives/demo"
"$memtrace" run "$work/archives" --out "$work/single" --tolerate-errors >/dev/null 2>&1

cluster_start
echo "fleet-test: slurm is up ($(sinfo -h -o '%N %c CPUs %T'))"
submit="$repo/deploy/slurm/memtrace-submit"
for n in 1 3 8; do
  read -r array merge < <(MEMTRACE=$memtrace "$submit" --shards "$n" --work "$work/n$n" --out "$work/n$n/result" "$work/archives" 2>/dev/null)
  wait_gone "$merge" 600
  state=$(scontrol show job "$merge" 2>/dev/null | grep -o 'JobState=[A-Z]*' || true)
  [ -f "$work/n$n/result/summary.json" ] || { fail "$n shards: no merged result ($state; logs in $work/n$n/logs)"; continue; }
  same_result "$work/single" "$work/n$n/result" "$n shard(s) (array $array, merge $merge) merge to the single run's result"
done

# A shard killed mid-run: the test catches a shard's step while it runs and SIGKILLs it. A step can end between
# squeue listing it and scancel reaching it; then nothing was killed, and the night is tried again (three times at
# most) rather than counted as a pass.
killed=""
for attempt in 1 2 3; do
  night="$work/kill$attempt"
  read -r array merge < <(MEMTRACE=$memtrace "$submit" --shards 3 --work "$night" --out "$night/result" "$work/archives" 2>/dev/null)
  victim=""
  for _ in $(seq 400); do
    victim=$(squeue -h -s -o %i 2>/dev/null | grep -E "^${array}_[0-9]+\.0$" | head -1 || true)
    [ -n "$victim" ] && break
    sleep 0.05
  done
  [ -z "$victim" ] && { wait_gone "$merge" 600; continue; }
  task=${victim%.0}
  scancel --signal=KILL "$victim" 2>/dev/null || true
  # Slurm holds a requeued job back for two minutes before it is eligible again; the test does not wait for that.
  for _ in $(seq 150); do
    scontrol show job "$task" 2>/dev/null | grep -q 'Restarts=[1-9]' && break
    squeue -h -j "$task" >/dev/null 2>&1 || break
    sleep 0.2
  done
  scontrol update JobId="$task" StartTime=now 2>/dev/null || true
  wait_gone "$merge" 600
  log="$night/logs/shard-${task#*_}.out"
  if grep -q "restart 1" "$log" && grep -q "requeueing" "$log"; then killed=$night; break; fi
  echo "fleet-test: attempt $attempt: $victim ended before the kill reached it; trying again"
done
if [ -z "$killed" ]; then
  fail "no shard step could be killed mid-run in three nights"
else
  pass "shard $task was killed mid-run (attempt $attempt) and ran again after its requeue"
  if [ -f "$killed/result/summary.json" ]; then same_result "$work/single" "$killed/result" "the merge after the killed-and-requeued shard"; else fail "no merge after the requeue"; fi
fi

# A part missing: refused, one line naming the shard, exit 2, nothing written.
set +e
out=$("$memtrace" merge "$work/n3/parts/0" "$work/n3/parts/2" --out "$work/refused" 2>&1 >/dev/null)
rc=$?
set -e
if [ $rc -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ $out == *"shard 1 of 3 missing"* ]] && [ ! -e "$work/refused" ]; then
  pass "merge refuses a missing part: $out"
else
  fail "merge with a part missing: exit $rc, '$out'"
fi
# The line .ci/run sums with dotnet test's own.
echo "Slurm fleet test: Failed: $failures, Passed: $passes"
[ $failures -eq 0 ] || exit 1
