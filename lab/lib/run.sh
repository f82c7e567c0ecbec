# shellcheck shell=bash
# One scenario run: its resolver instance, its capture, the tunnel sessions
# and the ground truth. Sourced by lab.sh after common.sh and topology.sh.
#
#   run_begin ─▶ named (query log, dnstap) + tcpdump (pcap) ─▶ READY line on stdout
#   scenario_main ─▶ sessions (each appends its ground truth to sessions.jsonl)
#   run_end ─▶ stop all, check outputs and watchdogs ─▶ labels.json
#
# A run that fails anywhere (die, a failed command) stops what it started and
# takes the whole lab down, so nothing is left behind.

run_trap() {
  local status=$?
  [ "$status" -eq 0 ] && return 0
  log "scenario $SCENARIO failed (exit $status): stopping it and tearing the lab down"
  run_stop_processes
  topology_down
  exit "$status"
}

run_stop_processes() {
  local f
  for f in "$RUN"/pids/*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  # Let the last answers reach the capture before it stops.
  sleep 0.5
  stop_pidfile "$RUN/capture.pid"
  stop_pidfile "$RUN/resolver.pid"
}

run_begin() {
  SCENARIO=$1
  lab_is_up || die "the lab is not up: run 'lab/lab.sh up' first"
  RUN="$STATE/run-$SCENARIO"
  OUTDIR="$LAB_OUT/$SCENARIO"
  RESOLVER=${RESOLVER_ADDR[$SCENARIO]}
  RESOLVER6=${RESOLVER_ADDR6[$SCENARIO]}
  [ -d "$RUN" ] && die "scenario $SCENARIO is already running (or a previous run died: lab.sh down)"
  mkdir -p "$RUN/pids"
  trap run_trap EXIT
  # A signal ends the run through the EXIT trap too (bash skips it otherwise).
  trap 'exit 143' TERM
  trap 'exit 130' INT
  rm -rf "$OUTDIR"
  mkdir -p "$OUTDIR"
  : >"$RUN/sessions.jsonl"
  check_safety
  RUN_START_MS=$(now_ms)

  sed -e "s|@DIR@|$RUN|g" -e "s|@OUT@|$OUTDIR|g" -e "s|@LAB@|$LAB_DIR|g" -e "s|@NAME@|$SCENARIO|g" \
    -e "s|@ADDR@|$RESOLVER|g" -e "s|@ADDR6@|$RESOLVER6|g" \
    -e "s|@QNAME_MIN@|${LAB_QNAME_MINIMIZATION:-off}|g" -e "s|@SEND_COOKIE@|${LAB_SEND_COOKIE:-yes}|g" \
    "$LAB_DIR/conf/resolver.named.conf.in" >"$RUN/named.conf"
  named-checkconf "$RUN/named.conf" || die "resolver named.conf does not check"
  spawn "$NS_RESOLVER" "$RUN/resolver.pid" "$OUTDIR/named.stderr" named -f -n 1 -c "$RUN/named.conf"
  wait_for_line "$RUN/named.log" 'running' 20 "the $SCENARIO resolver to start" || die "resolver did not start"

  # The client-facing side of this scenario's resolver, whole packets. Only
  # tw-r0 (the clients' link) and this resolver's own client-side addresses:
  # its upstream queries leave by tw-r1 and tw-r2 from 10.77.2.1 and
  # 10.77.3.1, so the pcap holds each client query and answer once. A 32 MiB
  # kernel buffer (-B, KiB) holds a whole scenario's traffic: with the default
  # 2 MiB, a busy run on two cores lost packets (checked in run_end).
  ip netns exec "$NS_RESOLVER" tcpdump -i tw-r0 -n -U --immediate-mode -B 32768 -s 0 -Z root -w "$OUTDIR/resolver.pcap" \
    "(host $RESOLVER or host $RESOLVER6) and port 53" >"$OUTDIR/capture.log" 2>&1 </dev/null &
  record_pid $! "$RUN/capture.pid"
  wait_for_line "$OUTDIR/capture.log" 'listening on' 10 "the $SCENARIO capture to start" || die "tcpdump did not start"
  echo "READY scenario=$SCENARIO query-log=$OUTDIR/query.log resolver=$RESOLVER"
  # A reader that wants to be reading before the first query (to time its
  # alerts from the tunnel's first query) names a file it creates when ready.
  if [ -n "${LAB_GO_FILE:-}" ]; then
    local i
    for i in $(seq 300); do
      [ -e "$LAB_GO_FILE" ] && break
      sleep 0.1
    done
    [ -e "$LAB_GO_FILE" ] || die "nobody created $LAB_GO_FILE within 30 s of READY"
    rm -f "$LAB_GO_FILE"
  fi
}

run_end() {
  local extra=${1:-'{}'} f size
  run_stop_processes
  for f in query.log resolver.pcap dnstap.fstrm; do
    size=$(stat -c %s "$OUTDIR/$f" 2>/dev/null || echo 0)
    [ "$size" -gt 0 ] || die "scenario $SCENARIO produced no $f"
  done
  local dnstap_messages pcap_packets log_queries dropped
  # tcpdump reports its kernel drops when it stops: a capture with holes would
  # make the pcap input look blind to queries it was never given.
  dropped=$(awk '/packets dropped by kernel/ { print $1 }' "$OUTDIR/capture.log")
  [ "$dropped" = 0 ] || die "the capture of $SCENARIO lost packets (tcpdump: '${dropped:-no statistics}' dropped by kernel)"
  dnstap_messages=$(dnstap-read "$OUTDIR/dnstap.fstrm" | wc -l)
  pcap_packets=$(tcpdump -n -r "$OUTDIR/resolver.pcap" 2>/dev/null | wc -l)
  log_queries=$(grep -c ' query: ' "$OUTDIR/query.log" || true)
  [ "$dnstap_messages" -gt 0 ] || die "the dnstap file of $SCENARIO holds no message"
  [ "$pcap_packets" -gt 0 ] || die "the pcap of $SCENARIO holds no packet"
  # Every logged query crossed the captured interface at least once.
  [ "$pcap_packets" -ge "$log_queries" ] || die "the pcap of $SCENARIO holds $pcap_packets packets for $log_queries logged queries"
  check_watchdogs
  local end_ms
  end_ms=$(now_ms)
  jq -n --arg scenario "$SCENARIO" --arg r4 "$RESOLVER" --arg r6 "$RESOLVER6" \
    --arg startIso "$(iso_ms "$RUN_START_MS")" --arg endIso "$(iso_ms "$end_ms")" \
    --argjson startMs "$RUN_START_MS" --argjson endMs "$end_ms" \
    --argjson queries "$log_queries" --argjson dnstap "$dnstap_messages" --argjson packets "$pcap_packets" \
    --argjson extra "$extra" --slurpfile sessions "$RUN/sessions.jsonl" \
    --arg named "$(named -v)" --arg iodine "$(dpkg-query -W -f '${Version}' iodine 2>/dev/null || echo unknown)" --arg tcpdump "$(dpkg-query -W -f '${Version}' tcpdump 2>/dev/null || echo unknown)" --arg dns2tcp "$(dpkg-query -W -f '${Version}' dns2tcp 2>/dev/null || echo unknown)" '
    {
      scenario: $scenario,
      resolver: { address: $r4, address6: $r6 },
      "start": $startIso, "end": $endIso, startMs: $startMs, endMs: $endMs,
      files: { queryLog: "query.log", pcap: "resolver.pcap", dnstap: "dnstap.fstrm" },
      counts: { queryLogQueries: $queries, dnstapMessages: $dnstap, pcapPackets: $packets },
      software: { named: $named, iodine: $iodine, dns2tcp: $dns2tcp, tcpdump: $tcpdump },
      malicious: $sessions
    } + $extra' >"$OUTDIR/labels.json"
  rm -rf "$RUN"
  trap - EXIT
  log "scenario $SCENARIO done: $log_queries queries logged, $pcap_packets packets, $dnstap_messages dnstap messages → $OUTDIR"
}

# Appends one session's ground truth to the run's sessions.jsonl.
record_session() {
  local id=$1 start_ms=$2 end_ms=$3 verified=$4 tool qtype reg tdomain server client
  read -r _ tool qtype reg tdomain server client _ < <(tunnel_row "$id")
  jq -n -c --arg id "$id" --arg tool "$tool" --arg qtype "$qtype" --arg reg "$reg" --arg tdomain "$tdomain" \
    --arg server "$server" --arg client "$client" --arg startIso "$(iso_ms "$start_ms")" --arg endIso "$(iso_ms "$end_ms")" \
    --argjson startMs "$start_ms" --argjson endMs "$end_ms" --argjson verified "$verified" '
    { id: $id, tool: $tool, queryType: $qtype, domain: $reg, tunnelDomain: $tdomain, server: $server,
      client: $client, "start": $startIso, "end": $endIso, startMs: $startMs, endMs: $endMs, verified: $verified }' >>"$RUN/sessions.jsonl"
}


# Moves BYTES of random data from the client to FILE at the far end through
# TARGET (host:port reachable from the client namespace), and checks it.
# Prints the verification as JSON.
transfer_and_verify() {
  local id=$1 bytes=$2 target=$3 sink_pidfile=$4 received=$5 sent_sum got_sum
  head -c "$bytes" /dev/urandom >"$RUN/$id.payload"
  sent_sum=$(sha256sum <"$RUN/$id.payload" | cut -d' ' -f1)
  # The sender keeps its connection open after the end of the file (ignoreeof:
  # it waits for more, as tail -f does) until the far end has it all, and is
  # only then stopped. dns2tcpc ends its session (desauth) once its local
  # connection closes, and what it had not yet sent is lost: with a sender
  # that closed at the end of its file (socat's default), 4 of 16 dns2tcp runs
  # on two cores kept busy lost the tail of it; with this, none of 8.
  local sender="$RUN/pids/$id-sender.pid"
  ip netns exec "$NS_CLIENT" socat -u "OPEN:$RUN/$id.payload,ignoreeof" "TCP:$target,connect-timeout=20" \
    >"$OUTDIR/$id.sender.log" 2>&1 </dev/null &
  record_pid $! "$sender"
  # Done when the far end has the whole file. Its socat would exit at the end
  # of the stream, but dns2tcpd only closes the stream when the idle session
  # times out (and spins a CPU meanwhile), so the size is watched.
  local i
  for i in $(seq 1500); do # 150 s
    [ "$(stat -c %s "$received" 2>/dev/null || echo 0)" -ge "$bytes" ] && break
    pidfile_alive "$sink_pidfile" && pidfile_alive "$sender" || break
    sleep 0.1
  done
  stop_pidfile "$sender"
  [ -s "$OUTDIR/$id.sender.log" ] && die "$id: sending the file through the tunnel failed: $(head -c 300 "$OUTDIR/$id.sender.log")"
  [ "$(stat -c %s "$received" 2>/dev/null || echo 0)" -ge "$bytes" ] || die "$id: the far end did not receive the whole file in time"
  stop_pidfile "$sink_pidfile"
  got_sum=$(sha256sum <"$received" | cut -d' ' -f1)
  [ "$sent_sum" = "$got_sum" ] || die "$id: the file received at the far end differs ($(stat -c %s "$received") of $bytes bytes)"
  printf '{"bytes":%d,"sha256":"%s","receivedSha256":"%s"}' "$bytes" "$sent_sum" "$got_sum"
}

# iodine through the scenario's resolver (relay mode: -r skips the raw UDP
# attempt), one query type, then a ping and a file transfer inside the tunnel.
iodine_session() {
  local id=$1 bytes=$2 tool qtype reg tdomain server client tnet
  read -r _ tool qtype reg tdomain server client tnet < <(tunnel_row "$id")
  local dev port=9000
  dev="twdns$(cut -d. -f3 <<<"$tnet")"
  spawn "$NS_ATTACKER" "$RUN/pids/$id-iodined.pid" "$OUTDIR/$id.iodined.log" \
    iodined -f -c -P "$TUNNEL_PASSWORD" -l "$server" -d "$dev" "$tnet/27" "$tdomain"
  wait_for_line "$OUTDIR/$id.iodined.log" 'Listening to dns' 15 "iodined for $id" || die "$id: iodined did not start"
  spawn "$NS_ATTACKER" "$RUN/pids/$id-sink.pid" "$OUTDIR/$id.sink.log" \
    socat -u "TCP-LISTEN:$port,bind=$tnet,reuseaddr" "CREATE:$RUN/$id.received"

  local start_ms end_ms ping verified
  start_ms=$(now_ms)
  spawn "$NS_CLIENT" "$RUN/pids/$id-iodine.pid" "$OUTDIR/$id.iodine.log" \
    iodine -f -r -P "$TUNNEL_PASSWORD" -T "$qtype" -d "$dev" "$RESOLVER" "$tdomain"
  wait_for_line "$OUTDIR/$id.iodine.log" 'Connection setup complete' 90 "iodine $id to connect" || die "$id: iodine did not connect"
  in_ns "$NS_CLIENT" ping -n -c 5 -i 0.5 -W 10 "$tnet" >"$OUTDIR/$id.ping.log" 2>&1 || die "$id: ping across the tunnel failed"
  ping=$(grep -o '[0-9]* received' "$OUTDIR/$id.ping.log" | cut -d' ' -f1)
  verified=$(transfer_and_verify "$id" "$bytes" "$tnet:$port" "$RUN/pids/$id-sink.pid" "$RUN/$id.received")
  end_ms=$(now_ms)
  stop_pidfile "$RUN/pids/$id-iodine.pid"
  stop_pidfile "$RUN/pids/$id-iodined.pid"
  record_session "$id" "$start_ms" "$end_ms" "$(jq -c -n --argjson f "$verified" --argjson p "$ping" '{pingReplies: $p, file: $f}')"
  log "$id: connected, $ping ping replies, $bytes bytes moved and verified"
}

# dns2tcp: dns2tcpd at the far end with one resource (a TCP sink there),
# dns2tcpc in the client namespace listening on a local port.
dns2tcp_session() {
  local id=$1 bytes=$2 local_port=$3 tool qtype reg tdomain server client
  read -r _ tool qtype reg tdomain server client _ < <(tunnel_row "$id")
  local sink_port=9100
  cat >"$RUN/$id.dns2tcpd.conf" <<EOF
listen = $server
port = 53
domain = $tdomain
key = $TUNNEL_PASSWORD
resources = sink:$server:$sink_port
EOF
  spawn "$NS_ATTACKER" "$RUN/pids/$id-sink.pid" "$OUTDIR/$id.sink.log" \
    socat -u "TCP-LISTEN:$sink_port,bind=$server,reuseaddr" "CREATE:$RUN/$id.received"
  spawn "$NS_ATTACKER" "$RUN/pids/$id-dns2tcpd.pid" "$OUTDIR/$id.dns2tcpd.log" \
    dns2tcpd -F -d 1 -f "$RUN/$id.dns2tcpd.conf"
  sleep 0.5
  pidfile_alive "$RUN/pids/$id-dns2tcpd.pid" || die "$id: dns2tcpd did not start: $(cat "$OUTDIR/$id.dns2tcpd.log")"

  local start_ms end_ms verified
  start_ms=$(now_ms)
  spawn "$NS_CLIENT" "$RUN/pids/$id-dns2tcpc.pid" "$OUTDIR/$id.dns2tcpc.log" \
    dns2tcpc -z "$tdomain" -k "$TUNNEL_PASSWORD" -r sink -l "$local_port" -T "$qtype" -d 1 "$RESOLVER"
  local i
  for i in $(seq 100); do
    [ -n "$(in_ns "$NS_CLIENT" ss -Hltn "sport = :$local_port")" ] && break
    sleep 0.1
  done
  verified=$(transfer_and_verify "$id" "$bytes" "127.0.0.1:$local_port" "$RUN/pids/$id-sink.pid" "$RUN/$id.received")
  end_ms=$(now_ms)
  stop_pidfile "$RUN/pids/$id-dns2tcpc.pid"
  stop_pidfile "$RUN/pids/$id-dns2tcpd.pid"
  record_session "$id" "$start_ms" "$end_ms" "$(jq -c -n --argjson f "$verified" '{file: $f}')"
  log "$id: $bytes bytes moved and verified"
}
