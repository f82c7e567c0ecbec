# shellcheck shell=bash
# dns2tcp: two sessions at once, TXT and KEY, each on its own delegated domain,
# each moving a file to a TCP service at the far end, checked there.
scenario_main() {
  local pids=() pid
  dns2tcp_session dns2tcp-txt 24576 2201 &
  pids+=($!)
  dns2tcp_session dns2tcp-key 24576 2202 &
  pids+=($!)
  for pid in "${pids[@]}"; do wait "$pid" || die "a dns2tcp session failed"; done
  run_end '{"expectAlerts":true}'
}
