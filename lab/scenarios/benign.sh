# shellcheck shell=bash
# benign: an office's ordinary look-ups and nothing else. Proves the detector
# stays quiet on real resolver output with DNSBL, antivirus, CDN, PTR, mail
# authentication, SRV/HTTPS and NXDOMAIN traffic.
scenario_main() {
  local stats
  stats=$("$LAB_DIR/drivers/benign-traffic.sh" "$RESOLVER" "$RESOLVER6" 24 "$RUN/benign" 1)
  run_end "$(jq -c -n --argjson s "$stats" '{ expectAlerts: false, benign: $s }')"
}
