# Sourced by the profile scripts (ingest-profile.sh, e2e-profile.sh): starts the unpacked distribution $DIST in a home
# of its own under $OUT, as bench/postfix-vs-herald.sh does (file log only, spam filter off, per-address connection
# limit raised for the load generator on 127.0.0.1), on port offset $OFF, and stops it when the script exits.
#
#   start_server NAME QUEUE_CFG [LOGBACK_SED]
#
# NAME: the script's name for messages; QUEUE_CFG: queue.cfg lines (space separated); LOGBACK_SED: an extra sed
# expression applied to conf/logback.xml. Sets home (the server's home) and JP (the JVM's pid).
start_server() {
  local name=$1 queuecfg=$2 logsed=${3:-}
  rm -rf "$OUT"
  home=$OUT/home
  mkdir -p "$home/conf"
  cp "$DIST"/conf/*.cfg "$home/conf/"
  sed -e '/<appender-ref ref="CONSOLE"\/>/d' ${logsed:+-e "$logsed"} "$DIST/conf/logback.xml" > "$home/conf/logback.xml"
  printf '%s\n' $queuecfg > "$home/conf/queue.cfg"
  echo "enabled = false" > "$home/conf/spam.cfg"
  printf '\nmaxConnectionsPerAddress = 10000\n' >> "$home/conf/smtp.cfg"
  "$DIST/bin/herald" --home "$home" run --port-offset "$OFF" > "$home/console.log" 2>&1 &
  HP=$!
  trap 'kill $HP 2>/dev/null; wait $HP 2>/dev/null || true' EXIT
  for _ in $(seq 1 600); do grep -q "Herald started" "$home/logs/herald.log" 2>/dev/null && break; sleep 0.1; done
  grep -q "Herald started" "$home/logs/herald.log" || { echo "$name: herald did not start" >&2; tail "$home/console.log" >&2; exit 1; }
  JP=$(pgrep -P $HP java || echo $HP)   # bin/herald may exec java or run it as a child
  [[ -d /proc/$JP/task ]] || JP=$HP
}
