#!/usr/bin/env bash
# Where Herald's CPU goes in durable ingest: starts the distribution as bench/postfix-vs-herald.sh does for its ingest
# measure (delivery.hold = true, spam filter off, file log only, per-address limit raised), warms it up with 10,000
# messages, then drives it with herald-bench (5 KB, a new connection per message) and prints
#   - CPU per thread group, user and sys (bench/scripts/thread-cpu.py), at concurrency 50 (5,000 messages) and 1 (2,000);
#   - system calls by kind (strace -c -f) at concurrency 50 (2,000 messages) and 1 (500): divide by the count for
#     the calls per message (strace slows the server down: its msg/s mean nothing);
#   - a JFR profile (settings=profile) at concurrency 50, summarised by bench/scripts/jfr-top.py.
# Not part of the build. Needs strace, jcmd and jfr. Run it under the benchmark lock on a shared machine:
#
#   flock /work/bench.lock bench/scripts/ingest-profile.sh [DIST] [OUTDIR]
#
# DIST: the unpacked distribution (default distribution/target/herald-0.1.0-SNAPSHOT); OUTDIR (default
# /tmp/herald-ingest-profile, wiped): the server's home, strace and JFR files. BENCH: the herald-bench jar.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIST=${1:-$ROOT/distribution/target/herald-0.1.0-SNAPSHOT}
OUT=${2:-/tmp/herald-ingest-profile}
BENCH=${BENCH:-$ROOT/bench/target/herald-bench-0.1.0-SNAPSHOT.jar}
OFF=${HERALD_OFFSET:-24500}
PORT=$((2525 + OFF))
for tool in strace jcmd jfr python3; do command -v $tool >/dev/null || { echo "ingest-profile: $tool is needed" >&2; exit 1; }; done
[[ -d $DIST && -f $BENCH ]] || { echo "ingest-profile: build first (missing $DIST or $BENCH)" >&2; exit 1; }

source "$ROOT/bench/scripts/profile-server.sh"
start_server ingest-profile "delivery.hold=true"

gen() {
  java -XX:TieredStopAtLevel=1 -jar "$BENCH" --port "$PORT" --messages "$1" --concurrency "$2" --per-connection 1 \
      --size 5120 --to olaf@herald.test --summary 2>&1 | grep SUMMARY
}
echo "herald pid $JP; $(uptime)"
gen 10000 10 > /dev/null
for c in 50 1; do
  n=5000; [[ $c == 1 ]] && n=2000
  echo "== CPU per thread, concurrency $c, $n messages"
  python3 "$ROOT/bench/scripts/thread-cpu.py" "$JP" -- bash -c "$(declare -f gen); BENCH=$BENCH PORT=$PORT; gen $n $c"
done
for spec in "50 2000" "1 500"; do
  read -r c n <<< "$spec"
  echo "== system calls (strace -c -f), concurrency $c, $n messages"
  strace -f -c -p "$JP" -o "$OUT/strace-c$c.txt" 2>/dev/null &
  SP=$!
  sleep 1
  gen "$n" "$c"
  kill -INT $SP
  wait $SP || true
  head -30 "$OUT/strace-c$c.txt"
done
echo "== JFR, concurrency 50, 5000 messages"
jcmd "$JP" JFR.start name=ingest settings=profile > /dev/null
gen 5000 50
jcmd "$JP" JFR.dump name=ingest filename="$OUT/ingest.jfr" > /dev/null
jcmd "$JP" JFR.stop name=ingest > /dev/null
jfr print --stack-depth 30 --events jdk.ExecutionSample "$OUT/ingest.jfr" | python3 "$ROOT/bench/scripts/jfr-top.py" --top 30
uptime
