# shellcheck shell=bash
# benign: an office's ordinary look-ups and nothing else. Proves the detector
# stays quiet on real resolver output with DNSBL, antivirus, CDN, PTR, mail
# authentication, SRV/HTTPS and NXDOMAIN traffic.
scenario_main() {
  local stats
  # In the background, so a signal to the run is handled at once.
  "$LAB_DIR/drivers/benign-traffic.sh" "$RESOLVER" "$RESOLVER6" 24 "$RUN/benign" 1 >"$RUN/benign.json" &
  record_pid $! "$RUN/pids/benign-driver.pid"
  wait "$(pidfile_pid "$RUN/pids/benign-driver.pid")" || die "benign: the traffic driver failed"
  rm -f "$RUN/pids/benign-driver.pid"
  stats=$(cat "$RUN/benign.json")
  run_end "$(jq -c -n --argjson s "$stats" '{ expectAlerts: false, benign: $s }')"
}
