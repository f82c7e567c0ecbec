# shellcheck shell=bash
# mixed: the office's benign traffic and an iodine tunnel (NULL) from another
# client at the same time, through the same resolver. The tunnel must alert,
# nothing else may.
scenario_main() {
  local benign_pid stats
  "$LAB_DIR/drivers/benign-traffic.sh" "$RESOLVER" "$RESOLVER6" 30 "$RUN/benign" 2 >"$RUN/benign.json" &
  benign_pid=$!
  record_pid "$benign_pid" "$RUN/pids/benign-driver.pid"
  iodine_session mixed-iodine 65536
  wait "$benign_pid" || die "mixed: the benign traffic failed"
  rm -f "$RUN/pids/benign-driver.pid"
  stats=$(cat "$RUN/benign.json")
  run_end "$(jq -c -n --argjson s "$stats" '{ expectAlerts: true, benign: $s }')"
}
