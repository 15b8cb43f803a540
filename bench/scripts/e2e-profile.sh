#!/usr/bin/env bash
# Where Herald's CPU goes end to end (SMTP in, queue, delivery into the Lucene mailbox): starts the distribution as
# bench/postfix-vs-herald.sh does for its e2e measure (spam filter off, file log only with DeliveryAgent at DEBUG,
# per-address limit raised), warms it up with 10,000 messages (all delivered), then sends N messages (5 KB, a new
# connection per message, concurrency 10, herald-bench) and waits until all of them are delivered, and prints
#   - CPU per thread group of the JVM, user and sys (bench/scripts/thread-cpu.py), and the whole machine's CPU
#     (/proc/stat: the generator, the kernel's journal and block threads) over the same time;
#   - system calls by kind (strace -c -f; N/2 messages): divide by the count for the calls per message (strace
#     slows the server down: its msg/s mean nothing);
#   - forces over 20 ms and a JFR profile (settings=profile; N messages), summarised by bench/scripts/jfr-top.py.
# Not part of the build. Needs strace, jcmd and jfr. Run it under the benchmark lock on a shared machine:
#
#   flock -x /work/bench.lock bench/scripts/e2e-profile.sh [DIST] [OUTDIR]
#
# DIST: the unpacked distribution (default distribution/target/herald-0.1.0-SNAPSHOT); OUTDIR (default
# /tmp/herald-e2e-profile, wiped): the server's home, strace and JFR files. BENCH: the herald-bench jar; N (5000);
# QUEUE_CFG: extra queue.cfg lines (e.g. "delivery.threads=8"); SKIP_STRACE=1, SKIP_JFR=1.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIST=${1:-$ROOT/distribution/target/herald-0.1.0-SNAPSHOT}
OUT=${2:-/tmp/herald-e2e-profile}
BENCH=${BENCH:-$ROOT/bench/target/herald-bench-0.1.0-SNAPSHOT.jar}
OFF=${HERALD_OFFSET:-24600}
PORT=$((2525 + OFF))
N=${N:-5000}
for tool in strace jcmd jfr python3; do command -v $tool >/dev/null || { echo "e2e-profile: $tool is needed" >&2; exit 1; }; done
[[ -d $DIST && -f $BENCH ]] || { echo "e2e-profile: build first (missing $DIST or $BENCH)" >&2; exit 1; }

source "$ROOT/bench/scripts/profile-server.sh"
# DeliveryAgent at DEBUG: it logs each delivery, which is how this script knows a message is in the store
start_server e2e-profile "${QUEUE_CFG:-}" 's#<logger name="org.apache.mina" level="WARN"/>#&\n  <logger name="io.herald.delivery.DeliveryAgent" level="DEBUG"/>#'

delivered() { grep -c 'DeliveryAgent - delivered ' "$home/logs/herald.log" || true; }
# send $1 messages at concurrency 10, then wait until the server has delivered $2 in all
run() {
  local t0; t0=$(date +%s.%N)
  java -XX:TieredStopAtLevel=1 -jar "$BENCH" --port "$PORT" --messages "$1" --concurrency 10 --per-connection 1 \
      --size 5120 --to olaf@herald.test --summary 2>&1 | grep SUMMARY
  while [[ $(delivered) -lt $2 ]]; do sleep 0.1; done
  echo "all $1 delivered: $(echo "$1 / ($(date +%s.%N) - $t0)" | bc -l | cut -c1-6) msg/s end to end"
}
machine() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8, $5 + $6}' /proc/stat; }   # busy, idle+iowait ticks
echo "herald pid $JP; $(uptime)"
run 10000 10000 > /dev/null
total=10000
echo "== CPU per thread, $N messages end to end"
m0=$(machine)
total=$((total + N))
python3 "$ROOT/bench/scripts/thread-cpu.py" "$JP" -- bash -c "$(declare -f run delivered); BENCH=$BENCH PORT=$PORT home=$home; run $N $total"
m1=$(machine)
read -r b0 i0 <<< "$m0"; read -r b1 i1 <<< "$m1"
echo "machine: $(( (b1 - b0) )) busy ticks, $(( (i1 - i0) )) idle ticks ($(getconf CLK_TCK)/s per core): $(echo "($b1 - $b0) * 1000 / $(getconf CLK_TCK) / $N" | bc -l | cut -c1-5) ms busy per message (all processes)"
if [[ -z ${SKIP_STRACE:-} ]]; then
  n=$((N / 2))
  echo "== system calls (strace -c -f), $n messages end to end"
  strace -f -c -p "$JP" -o "$OUT/strace.txt" 2>/dev/null &
  SP=$!
  sleep 1
  total=$((total + n))
  run "$n" "$total"
  kill -INT $SP
  wait $SP || true
  head -30 "$OUT/strace.txt"
fi
if [[ -z ${SKIP_JFR:-} ]]; then
  echo "== JFR, $N messages end to end"
  jcmd "$JP" JFR.start name=e2e settings=profile > /dev/null
  total=$((total + N))
  run "$N" "$total"
  jcmd "$JP" JFR.dump name=e2e filename="$OUT/e2e.jfr" > /dev/null
  jcmd "$JP" JFR.stop name=e2e > /dev/null
  jfr print --stack-depth 30 --events jdk.ExecutionSample "$OUT/e2e.jfr" | python3 "$ROOT/bench/scripts/jfr-top.py" --top 30
  echo "== forces over 20 ms (jdk.FileForce), by caller"
  jfr print --stack-depth 12 --events jdk.FileForce "$OUT/e2e.jfr" | python3 -c '
import re, sys, collections
c, frames = collections.Counter(), []
for l in sys.stdin:
    if l.startswith("jdk.FileForce"):
        if frames: c[" < ".join(frames)] += 1
        frames = []
    m = re.match(r"\s+io\.herald\.[\w.]*?([A-Z][\w$]*\.[\w$<>]+)\(", l)
    if m and len(frames) < 2: frames.append(m.group(1))
if frames: c[" < ".join(frames)] += 1
for k, v in c.most_common(12): print(f"{v:8d}  {k}")'
fi
uptime
