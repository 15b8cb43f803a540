#!/usr/bin/env bash
# Relayed messages per second through one hub (docs/benchmarks.md, "Relaying through one hub").
#
#   load generator --SMTP--> hub (relay-static: herald.test -> 127.0.0.1:2625) --SMTP--> Olaf's server (local delivery)
#
# Both servers are the unzipped distribution (bin/herald run, OSGi host) in fresh homes under a temporary folder;
# the hub's delivery.threads is the load's concurrency. The figure is N / (time from the first message sent to the
# hub's and Olaf's queues both empty), i.e. relayed AND delivered. Run from the repository root after
# `mvn -B -q -DskipTests package`. Everything listens on 127.0.0.1 only and is stopped at the end.
set -euo pipefail
D=${D:-distribution/target/herald-0.1.0-SNAPSHOT}
B=${B:-bench/target/herald-bench-0.1.0-SNAPSHOT.jar}
N=${N:-2000}
C=${C:-10}
SIZE=${SIZE:-5120}
W=$(mktemp -d /tmp/herald-relay-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT

mkdir -p "$W/olaf/conf" "$W/hub/conf"
printf 'hostname = mail.herald.test\n' > "$W/olaf/conf/herald.cfg"
printf 'hostname = hub.test\ndomains = hub.test\n' > "$W/hub/conf/herald.cfg"
printf 'relayNetworks = 127.0.0.1/32\n' > "$W/hub/conf/smtp.cfg"
printf 'route.herald.test = 127.0.0.1:2625\n' > "$W/hub/conf/relay-static.cfg"
printf 'delivery.threads = %s\n' "$C" > "$W/hub/conf/queue.cfg"

"$D/bin/herald" --home "$W/olaf" run --port-offset 100 > "$W/olaf.log" 2>&1 & pids+=($!)
"$D/bin/herald" --home "$W/hub" run --port-offset 200 > "$W/hub.log" 2>&1 & pids+=($!)
for log in "$W/olaf.log" "$W/hub.log"; do
  for _ in $(seq 1 600); do grep -q "Herald started" "$log" && break; sleep 0.5; done
  grep -q "Herald started" "$log" || { echo "a server did not start: $log"; cat "$log"; exit 1; }
done

queued() { "$D/bin/herald" --home "$1" queue list 2>/dev/null | tail -1 | awk '{print $1}'; }

java -jar "$B" --port 2725 --messages 200 --concurrency "$C" --size "$SIZE" --to olaf@herald.test > /dev/null   # warm-up
while [[ "$(queued "$W/hub")" != 0 || "$(queued "$W/olaf")" != 0 ]]; do sleep 0.2; done

start=$(date +%s.%N)
java -jar "$B" --port 2725 --messages "$N" --concurrency "$C" --per-connection 10 --size "$SIZE" --to olaf@herald.test | tee "$W/load.txt"
while [[ "$(queued "$W/hub")" != 0 || "$(queued "$W/olaf")" != 0 ]]; do sleep 0.2; done
end=$(date +%s.%N)
awk -v n="$N" -v s="$start" -v e="$end" 'BEGIN { printf "relayed and delivered: %d messages in %.1f s = %.1f messages/s\n", n, e - s, n / (e - s) }'
grep -h "relayed" "$W/hub.log" | tail -1 || true
