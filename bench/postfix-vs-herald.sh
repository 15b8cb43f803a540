#!/usr/bin/env bash
# Herald and Postfix side by side on this machine, in one run, alternating A B A B ... so that a busy host hurts
# both alike. Not part of the normal build or CI: run it by hand after `mvn -B -q -DskipTests package`.
#
#   bench/postfix-vs-herald.sh [ingest] [sink] [e2e] [idle]      (no argument: all four)
#
# ingest  durable ingest: Postfix with every message put on hold (header_checks = static:HOLD, queue file fsync'd
#         before the 250) against Herald with delivery.hold = true (message file and queue directory forced before
#         the 250); 5 KB, concurrency 1, 10, 50 with a new connection per message, and 10 with 5 per connection;
#         driven by Postfix's smtp-source (HELO, no pipelining) and by herald-bench (EHLO).
# sink    the protocol path alone: Postfix's smtp-sink against Herald with benchmark.sink = true (accepts and
#         discards; benchmark only, never a default).
# e2e     end to end: Postfix delivering into a Maildir (virtual(8)) against Herald delivering into its Lucene
#         mailbox; msg/s from the first message sent until the last one is in the store, and the delay from arrival
#         to delivery (p50, p99) from each server's log.
# idle    10,000 concurrent idle SMTP sessions on Herald (-Xmx512m): heap (live after a full GC) and RSS.
#
# Every run prints msg/s, latency p50/p99 (herald-bench), CPU time of the server per accepted message (user + sys
# of the server's processes, from /proc/<pid>/stat before and after) and the load average (the machine may be
# shared: only the side-by-side ratio means something then). A run that does not get every message accepted is
# INVALID and is left out of the medians.
#
# Environment: ROUNDS (3), N1 (messages at concurrency 1: 2000), N (messages otherwise: 5000), WARM (warm-up
# messages per server, not recorded: 10000), IDLE (10000),
# WORK (/tmp/herald-vs-postfix; wiped), HERALD_OFFSET (port offset: 20000), PF_PORT (3525), SINK_PORT (3526),
# HERALD_SPAM (off: the spam filter off, like Postfix without a content filter; on: the shipped default),
# HERALD_JAVA_OPTS (passed to bin/herald), DIST and BENCH (the unpacked distribution and the herald-bench jar to use),
# INGEST_SPECS (the ingest cells, "concurrency per-connection messages" separated by ';'; default
# "10 1 $N;50 1 $N;10 5 $N;1 1 $N1", e.g. INGEST_SPECS="50 1 5000;1 1 2000" for the goals' two alone).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIST=${DIST:-$ROOT/distribution/target/herald-0.1.0-SNAPSHOT}
BENCH=${BENCH:-$ROOT/bench/target/herald-bench-0.1.0-SNAPSHOT.jar}
WORK=${WORK:-/tmp/herald-vs-postfix}
ROUNDS=${ROUNDS:-3}
N1=${N1:-2000}
N=${N:-5000}
IDLE=${IDLE:-10000}
HERALD_OFFSET=${HERALD_OFFSET:-20000}
HERALD_PORT=$((2525 + HERALD_OFFSET))
PF_PORT=${PF_PORT:-3525}
SINK_PORT=${SINK_PORT:-3526}
HERALD_SPAM=${HERALD_SPAM:-off}
SIZE=5120
RESULTS=$WORK/results.tsv
PF=$WORK/postfix
HTO=olaf@herald.test
PTO=box@bench.test
FROM=bench@load.test

MEASURES=("$@")
[[ ${#MEASURES[@]} -eq 0 ]] && MEASURES=(ingest sink e2e idle)

die() { echo "postfix-vs-herald: $*" >&2; exit 1; }
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
[[ -d $DIST && -f $BENCH ]] || die "build first: mvn -B -q -DskipTests package (missing $DIST or $BENCH)"
[[ $(id -u) -eq 0 ]] || die "run as root (Postfix is started with its own configuration directory)"
command -v python3 >/dev/null || die "python3 is needed"

# ---------------------------------------------------------------- Postfix from Debian, if missing
if ! command -v smtp-source >/dev/null || ! command -v postfix >/dev/null; then
  log "installing postfix from Debian"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  echo "postfix postfix/mailname string bench.test" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q postfix >/dev/null
fi
# the package's own instance (if it runs) is left alone; ours has its own configuration and queue directories
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

HPID= ; SINKPID=
cleanup() {
  [[ -n $HPID ]] && kill "$HPID" 2>/dev/null && wait "$HPID" 2>/dev/null || true
  [[ -n $SINKPID ]] && kill "$SINKPID" 2>/dev/null && wait "$SINKPID" 2>/dev/null || true
  [[ -f $PF/etc/main.cf ]] && postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$WORK"
mkdir -p "$WORK"
printf 'measure\tsystem\tgenerator\tconcurrency\tper_conn\tmessages\tvalid\telapsed_s\tmsg_per_s\tp50_ms\tp99_ms\tcpu_ms_per_msg\tload1\n' > "$RESULTS"

load1() { cut -d' ' -f1 /proc/loadavg; }
# CPU time (clock ticks) of one process: utime + stime
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# CPU time of a Postfix instance: master (with its reaped children) + every live child
pf_ticks() {
  local master t c
  master=$(head -1 "$PF/spool/pid/master.pid" | tr -d ' ')
  t=$(awk '{print $14 + $15 + $16 + $17}' "/proc/$master/stat")
  for c in $(pgrep -P "$master"); do t=$((t + $(ticks "$c" 2>/dev/null || echo 0))); done
  echo "$t"
}
HZ=$(getconf CLK_TCK)

# ---------------------------------------------------------------- Postfix instance
# pf_start hold|maildir
pf_start() {
  local mode=$1
  [[ -f $PF/etc/main.cf ]] && postfix -c "$PF/etc" stop >/dev/null 2>&1 || true
  rm -rf "$PF"
  mkdir -p "$PF/etc" "$PF/spool" "$PF/data" "$PF/mail"
  chown postfix:postfix "$PF/data"
  chown 65534:65534 "$PF/mail"
  cp /etc/postfix/dynamicmaps.cf "$PF/etc/" 2>/dev/null || true
  # master.cf: the package's, without chroot (our queue lives elsewhere), smtpd on loopback:$PF_PORT only
  awk -v port="$PF_PORT" '
    /^#/ || /^[ \t]/ || NF < 8 { print; next }
    $1 == "smtp" && $2 == "inet" { $1 = "127.0.0.1:" port }
    { if ($5 == "y") $5 = "n"; print }' /etc/postfix/master.cf > "$PF/etc/master.cf"
  cat > "$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench.test
mydomain = bench.test
myorigin = \$myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_recipient_restrictions = permit_mynetworks, reject
smtpd_relay_restrictions = permit_mynetworks, reject
relay_domains =
relayhost =
default_transport = error:no relaying in this benchmark
virtual_mailbox_domains = bench.test
virtual_mailbox_base = $PF/mail
virtual_mailbox_maps = static:box/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
virtual_minimum_uid = 100
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
biff = no
EOF
  if [[ $mode == hold ]]; then
    # every message to the hold queue: received, fsync'd, never delivered (ingest alone)
    echo "header_checks = static:HOLD" >> "$PF/etc/main.cf"
  fi
  # postfix(1) logs to syslog unless stderr is a terminal: script(1) gives it one, so that errors are seen
  script -qec "postfix -c $PF/etc check" /dev/null >&2 || die "postfix check failed"
  script -qec "postfix -c $PF/etc start" /dev/null > "$PF/start.log" 2>&1 || die "postfix did not start: $(cat "$PF/start.log")"
  for _ in $(seq 1 100); do
    python3 - "$PF_PORT" <<'EOF' 2>/dev/null && return 0
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1); assert s.recv(100).startswith(b"220"); s.sendall(b"QUIT\r\n")
EOF
    sleep 0.1
  done
  die "postfix does not answer on 127.0.0.1:$PF_PORT"
}
pf_stop() { postfix -c "$PF/etc" stop >/dev/null 2>&1 || true; sleep 0.5; }
pf_held() { find "$PF/spool/hold" -type f | wc -l; }
pf_delivered() { find "$PF/mail/box/new" -type f 2>/dev/null | wc -l; }

# ---------------------------------------------------------------- Herald instance
# herald_start NAME "key=value ..." (queue.cfg keys) [extra JVM options]
herald_start() {
  local name=$1 queuecfg=$2 jvm=${3:-}
  local home=$WORK/herald-$name
  rm -rf "$home"
  mkdir -p "$home/conf"
  cp "$DIST"/conf/*.cfg "$home/conf/"
  # one log destination, like Postfix's maillog_file: the file, not also the console; delivery logged (e2e delays)
  sed -e '/<appender-ref ref="CONSOLE"\/>/d' "$DIST/conf/logback.xml" \
      | sed -e 's#<logger name="org.apache.mina" level="WARN"/>#&\n  <logger name="io.herald.delivery.DeliveryAgent" level="DEBUG"/>#' > "$home/conf/logback.xml"
  printf '%s\n' $queuecfg > "$home/conf/queue.cfg"
  [[ $HERALD_SPAM == off ]] && echo "enabled = false" > "$home/conf/spam.cfg"
  # the per-address connection limit (default 50) off for the load generator on 127.0.0.1, as Postfix exempts
  # $mynetworks (loopback) from its anvil limits: at concurrency 50 with a new connection per message, a session
  # still closing on the server counts while the client's next one arrives, and the 51st is refused with 421 4.7.0
  printf '\nmaxConnectionsPerAddress = 10000\n' >> "$home/conf/smtp.cfg"
  [[ -n ${HERALD_SMTP_EXTRA:-} ]] && printf '%s\n' "$HERALD_SMTP_EXTRA" >> "$home/conf/smtp.cfg"
  HERALD_JAVA_OPTS="${HERALD_JAVA_OPTS:-} $jvm" "$DIST/bin/herald" --home "$home" run --port-offset "$HERALD_OFFSET" \
      > "$home/console.log" 2>&1 &
  HPID=$!
  for _ in $(seq 1 600); do
    grep -q "Herald started" "$home/logs/herald.log" 2>/dev/null && return 0
    kill -0 "$HPID" 2>/dev/null || die "herald exited: $(tail -20 "$home/console.log")"
    sleep 0.1
  done
  die "herald did not start within 60 s"
}
herald_stop() {
  [[ -n $HPID ]] || return 0
  kill "$HPID" 2>/dev/null || true
  wait "$HPID" 2>/dev/null || true
  HPID=
}
herald_queued() { find "$WORK/herald-$1/data/queue/active" -name '*.msg' | wc -l; }

# ---------------------------------------------------------------- one measured run
# run MEASURE SYSTEM GENERATOR CONC PERCONN MSGS PORT TO CPUFN COUNTFN
#   CPUFN: prints the server's CPU ticks; COUNTFN: prints how many messages the server holds ("-": not checked)
run() {
  local measure=$1 system=$2 gen=$3 conc=$4 per=$5 msgs=$6 port=$7 to=$8 cpufn=$9 countfn=${10}
  local before after c0 c1 t0 t1 out valid=yes elapsed rate p50=- p99=- load
  load=$(load1)
  [[ $countfn != - ]] && before=$($countfn)
  c0=$($cpufn)
  t0=$(date +%s.%N)
  if [[ $gen == smtp-source ]]; then
    local d=; [[ $per -gt 1 ]] && d=-d
    if ! out=$(smtp-source $d -s "$conc" -l "$SIZE" -m "$msgs" -f "$FROM" -t "$to" "127.0.0.1:$port" 2>&1); then
      valid="no"
    fi
    t1=$(date +%s.%N)
  else
    out=$(java -XX:TieredStopAtLevel=1 -jar "$BENCH" --port "$port" --messages "$msgs" --concurrency "$conc" \
          --per-connection "$per" --size "$SIZE" --from "$FROM" --to "$to" --summary 2>&1) || valid="no"
    t1=$(date +%s.%N)
    local s; s=$(grep '^SUMMARY' <<<"$out" || true)
    if [[ -n $s ]]; then
      p50=$(sed -E 's/.*p50_ms=([0-9.]+).*/\1/' <<<"$s"); p99=$(sed -E 's/.*p99_ms=([0-9.]+).*/\1/' <<<"$s")
    fi
  fi
  sleep 0.3   # the last commit's bookkeeping (Postfix: cleanup/qmgr) is charged to this run
  c1=$($cpufn)
  if [[ $countfn != - ]]; then
    after=$($countfn)
    [[ $((after - before)) -eq $msgs ]] || { valid="no"; out="$out (server holds $((after - before)) new messages, not $msgs)"; }
  fi
  if [[ $gen == herald-bench ]]; then
    # herald-bench's own clock starts at the first connection: use it for msg/s
    elapsed=$(grep '^SUMMARY' <<<"$out" | sed -E 's/.*elapsed_s=([0-9.]+).*/\1/')
    [[ -n $elapsed ]] || elapsed=$(echo "$t1 - $t0" | bc -l)
  else
    elapsed=$(echo "$t1 - $t0" | bc -l)
  fi
  rate=$(echo "$msgs / $elapsed" | bc -l)
  local cpu; cpu=$(echo "($c1 - $c0) * 1000 / $HZ / $msgs" | bc -l)
  [[ $valid == yes ]] || log "INVALID $system $gen c=$conc: $(tail -3 <<<"$out" | tr '\n' ' ')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%.1f\t%s\t%s\t%.3f\t%s\n' "$measure" "$system" "$gen" "$conc" "$per" "$msgs" \
    "$valid" "$elapsed" "$rate" "$p50" "$p99" "$cpu" "$load" >> "$RESULTS"
  printf '%-7s %-7s %-12s c=%-3s m/conn=%-2s %6s msgs  %8.1f msg/s  p50 %6s ms  p99 %6s ms  cpu %6.3f ms/msg  load %s  %s\n' \
    "$measure" "$system" "$gen" "$conc" "$per" "$msgs" "$rate" "$p50" "$p99" "$cpu" "$load" "$([[ $valid == yes ]] && echo VALID || echo INVALID)" >&2
}

# not recorded: the JIT compiler is still busy after 10,000 messages (C2 took 40 % of Herald's CPU in a run right
# after 7,000), so every server gets WARM messages at concurrency 10 first
WARM=${WARM:-10000}
warm_up() {
  java -XX:TieredStopAtLevel=1 -jar "$BENCH" --port "$1" --messages "$WARM" --concurrency 10 --per-connection 1 --to "$2" >/dev/null \
    || log "warm-up against port $1 was not valid"
}

herald_cpu() { ticks "$HPID"; }
sink_cpu() { ticks "$SINKPID"; }
h_ingest_count() { herald_queued ingest; }

# ---------------------------------------------------------------- ingest
measure_ingest() {
  log "ingest: postfix (hold) and herald (delivery.hold) started once, alternating per run"
  pf_start hold
  herald_start ingest "delivery.hold=true"
  warm_up "$HERALD_PORT" "$HTO"; warm_up "$PF_PORT" "$PTO"
  local r spec conc per msgs gen
  for r in $(seq 1 "$ROUNDS"); do
    # concurrency 1 last in each round: at a low rate the JIT's leftovers would be charged to few messages
    local specs
    IFS=';' read -r -a specs <<<"${INGEST_SPECS:-10 1 $N;50 1 $N;10 5 $N;1 1 $N1}"
    for spec in "${specs[@]}"; do
      read -r conc per msgs <<<"$spec"
      for gen in smtp-source herald-bench; do
        [[ $gen == smtp-source && $per -ne 1 ]] && continue   # smtp-source: 1 per connection or all (-d)
        run ingest postfix "$gen" "$conc" "$per" "$msgs" "$PF_PORT" "$PTO" pf_ticks pf_held
        run ingest herald "$gen" "$conc" "$per" "$msgs" "$HERALD_PORT" "$HTO" herald_cpu h_ingest_count
      done
    done
  done
  herald_stop
  pf_stop
}

# ---------------------------------------------------------------- protocol path alone
measure_sink() {
  log "sink: smtp-sink and herald benchmark.sink"
  smtp-sink -u postfix -c "127.0.0.1:$SINK_PORT" 1024 > /dev/null &
  SINKPID=$!
  herald_start sink "benchmark.sink=true"
  sleep 0.5
  warm_up "$HERALD_PORT" "$HTO"; warm_up "$SINK_PORT" "$PTO"
  local r spec conc per msgs gen
  for r in $(seq 1 "$ROUNDS"); do
    for spec in "10 1 $N" "50 1 $N" "1 1 $N1"; do
      read -r conc per msgs <<<"$spec"
      for gen in smtp-source herald-bench; do
        run sink smtp-sink "$gen" "$conc" "$per" "$msgs" "$SINK_PORT" "$PTO" sink_cpu -
        run sink herald "$gen" "$conc" "$per" "$msgs" "$HERALD_PORT" "$HTO" herald_cpu -
      done
    done
  done
  herald_stop
  kill "$SINKPID" 2>/dev/null || true; wait "$SINKPID" 2>/dev/null || true; SINKPID=
}

# ---------------------------------------------------------------- end to end
# e2e_one SYSTEM: send N at concurrency 10 (herald-bench, 1 per connection), wait until all N are in the store
e2e_one() {
  local system=$1 port to countfn cpufn
  if [[ $system == postfix ]]; then port=$PF_PORT; to=$PTO; countfn=pf_delivered; cpufn=pf_ticks
  else port=$HERALD_PORT; to=$HTO; countfn=herald_delivered; cpufn=herald_cpu; fi
  local before c0 t0 now n out load
  load=$(load1)
  before=$($countfn); c0=$($cpufn); t0=$(date +%s.%N)
  out=$(java -XX:TieredStopAtLevel=1 -jar "$BENCH" --port "$port" --messages "$N" --concurrency 10 --per-connection 1 \
        --size "$SIZE" --from "$FROM" --to "$to" --summary 2>&1) || { log "INVALID e2e $system: $(tail -2 <<<"$out")"; }
  local ingest; ingest=$(grep '^SUMMARY' <<<"$out" | sed -E 's/.*msg_per_s=([0-9.]+).*/\1/')
  local deadline=$(( $(date +%s) + 300 )) valid=yes
  while :; do
    n=$(( $($countfn) - before ))
    [[ $n -ge $N ]] && break
    [[ $(date +%s) -gt $deadline ]] && { valid=no; log "INVALID e2e $system: only $n of $N delivered in 300 s"; break; }
    sleep 0.2
  done
  now=$(date +%s.%N)
  local elapsed rate cpu
  elapsed=$(echo "$now - $t0" | bc -l); rate=$(echo "$N / $elapsed" | bc -l)
  cpu=$(echo "($($cpufn) - $c0) * 1000 / $HZ / $N" | bc -l)
  grep -q '^SUMMARY valid=yes' <<<"$out" || valid=no
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\t%.1f\t%s\t%s\t%.3f\t%s\n' e2e "$system" herald-bench 10 1 "$N" "$valid" \
    "$elapsed" "$rate" - - "$cpu" "$load" >> "$RESULTS"
  printf 'e2e     %-7s c=10 %s msgs: %8.1f msg/s into the store (ingest %s msg/s), cpu %.3f ms/msg, load %s %s\n' \
    "$system" "$N" "$rate" "$ingest" "$cpu" "$load" "$valid" >&2
}
# Herald: a message is in the store when DeliveryAgent logged "delivered <id> to <mailbox>" (after the store's
# deliver() returned, i.e. durable and searchable)
herald_delivered() { grep -c 'DeliveryAgent - delivered ' "$WORK/herald-e2e/logs/herald.log" 2>/dev/null || echo 0; }

measure_e2e() {
  log "e2e: postfix (virtual Maildir) and herald (Lucene mailbox)"
  pf_start maildir
  herald_start e2e "${E2E_QUEUE_CFG:-}"
  warm_up "$HERALD_PORT" "$HTO"; warm_up "$PF_PORT" "$PTO"
  # the warm-up's messages must all be in the stores before the first measured run counts deliveries
  local deadline=$(( $(date +%s) + 600 ))
  while [[ $(herald_delivered) -lt $WARM || $(pf_delivered) -lt $WARM ]]; do
    [[ $(date +%s) -gt $deadline ]] && die "warm-up not delivered in 600 s: herald $(herald_delivered), postfix $(pf_delivered) of $WARM"
    sleep 0.5
  done
  : > "$PF/maillog.mark"; wc -l < "$PF/maillog" > "$PF/maillog.mark"
  wc -l < "$WORK/herald-e2e/logs/herald.log" > "$WORK/herald-e2e/log.mark"
  local r
  for r in $(seq 1 "$ROUNDS"); do
    e2e_one postfix
    e2e_one herald
  done
  # delays: Postfix's delay= (arrival to delivery, s); Herald: the queue id is the arrival time (ms << 12)
  python3 - "$PF/maillog" "$(cat "$PF/maillog.mark")" "$WORK/herald-e2e/logs/herald.log" "$(cat "$WORK/herald-e2e/log.mark")" <<'EOF' | tee -a "$WORK/e2e-delays.txt" >&2
import re, sys, datetime
def q(v, p):
    v = sorted(v); return v[min(len(v) - 1, max(0, int(-(-p * len(v) // 1)) - 1))] if v else float("nan")
pf = [float(m.group(1)) * 1000 for l in open(sys.argv[1]).readlines()[int(sys.argv[2]):]
      if "status=sent" in l for m in [re.search(r"delay=([0-9.]+)", l)] if m]
he = []
for l in open(sys.argv[3]).readlines()[int(sys.argv[4]):]:
    m = re.match(r"(\S+) DEBUG .*DeliveryAgent - delivered ([0-9A-F]{14}) ", l)
    if m:
        t = datetime.datetime.fromisoformat(m.group(1)).timestamp() * 1000
        he.append(t - (int(m.group(2), 16) >> 12))
for name, v in (("postfix", pf), ("herald", he)):
    print(f"e2e delay {name:8s} n={len(v):6d}  p50 {q(v, .5):8.1f} ms  p99 {q(v, .99):8.1f} ms  max {q(v, 1):8.1f} ms"
          + ("  (Postfix logs delay= in steps of 10 ms)" if name == "postfix" else ""))
EOF
  herald_stop
  pf_stop
}

# ---------------------------------------------------------------- idle sessions
measure_idle() {
  log "idle: $IDLE concurrent idle SMTP sessions on herald (-Xmx512m)"
  # the listener's session limit (smtp.cfg maxSessions, default 1000) raised above the sessions to hold
  HERALD_SMTP_EXTRA="maxSessions = $((IDLE + 1000))" herald_start idle "" "-Xmx512m"
  local rss0 rss1
  rss0=$(awk '/VmRSS/ {print $2}' "/proc/$HPID/status")
  python3 "$ROOT/bench/scripts/idle-sessions.py" 127.0.0.1 "$HERALD_PORT" "$IDLE" 20 "$WORK/idle.ready" > "$WORK/idle.out" 2>&1 &
  local client=$!
  for _ in $(seq 1 1200); do [[ -f $WORK/idle.ready ]] && break; kill -0 $client 2>/dev/null || break; sleep 0.1; done
  [[ -f $WORK/idle.ready ]] || { cat "$WORK/idle.out" >&2; die "the idle client failed"; }
  cat "$WORK/idle.ready" >&2
  local heap before after
  rss1=$(awk '/VmRSS/ {print $2}' "/proc/$HPID/status")
  before=$(jcmd "$HPID" GC.heap_info | awk '/total/ && /used/ {print; exit}')
  jcmd "$HPID" GC.run >/dev/null
  after=$(jcmd "$HPID" GC.heap_info | awk '/total/ && /used/ {print; exit}')
  local sessions; sessions=$(ss -Htn state established "( sport = :$HERALD_PORT )" | wc -l)
  local verdict=VALID; (( sessions >= IDLE )) || verdict="INVALID (fewer sessions than $IDLE)"
  printf 'idle    herald  %s sessions asked, %s open on the server side, RSS %d MB before -> %d MB with them; heap before GC: %s; after a full GC: %s; load %s  %s\n' \
    "$IDLE" "$sessions" $((rss0 / 1024)) $((rss1 / 1024)) "$before" "$after" "$(load1)" "$verdict" | tee -a "$WORK/idle.txt" >&2
  wait $client || true
  cat "$WORK/idle.out" >&2
  herald_stop
}

for m in "${MEASURES[@]}"; do
  case $m in
    ingest) measure_ingest ;;
    sink) measure_sink ;;
    e2e) measure_e2e ;;
    idle) measure_idle ;;
    *) die "unknown measure $m (ingest, sink, e2e, idle)" ;;
  esac
done

# ---------------------------------------------------------------- medians and ratios
python3 - "$RESULTS" <<'EOF'
import csv, statistics, sys
rows = [r for r in csv.DictReader(open(sys.argv[1]), delimiter="\t")]
if not rows: sys.exit()
groups = {}
for r in rows:
    groups.setdefault((r["measure"], r["generator"], r["concurrency"], r["per_conn"]), {}).setdefault(r["system"], []).append(r)
print("\nmedians of the valid runs (herald/other: > 1 means Herald is faster, or for CPU uses more)")
print(f"{'measure':8s} {'generator':13s} {'c':>3s} {'m/c':>3s} | {'other msg/s':>11s} {'herald msg/s':>12s} {'ratio':>6s} | "
      f"{'other ms cpu':>12s} {'herald ms cpu':>13s} {'ratio':>6s} | {'herald p50/p99 ms':>18s} | runs | load")
for (m, g, c, p), by in groups.items():
    other = [s for s in by if s != "herald"]
    if not other or "herald" not in by: continue
    o, h = by[other[0]], by["herald"]
    def med(rs, k):
        v = [float(r[k]) for r in rs if r["valid"] == "yes" and r[k] not in ("-", "")]
        return statistics.median(v) if v else float("nan")
    ov, hv = med(o, "msg_per_s"), med(h, "msg_per_s")
    oc, hc = med(o, "cpu_ms_per_msg"), med(h, "cpu_ms_per_msg")
    lat = f"{med(h, 'p50_ms'):.1f}/{med(h, 'p99_ms'):.1f}" if g == "herald-bench" else "-"
    valid = f"{sum(r['valid'] == 'yes' for r in h)}+{sum(r['valid'] == 'yes' for r in o)}/{len(h) + len(o)}"
    loads = [float(r["load1"]) for r in o + h]
    print(f"{m:8s} {g:13s} {c:>3s} {p:>3s} | {ov:11.0f} {hv:12.0f} {hv / ov:6.2f} | {oc:12.3f} {hc:13.3f} {hc / oc:6.2f} | "
          f"{lat:>18s} | {valid} | {min(loads):.1f}-{max(loads):.1f}  ({other[0]})")
EOF
echo "raw results: $RESULTS" >&2
