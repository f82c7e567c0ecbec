# shellcheck shell=bash
# iodine: four sessions at once, one per query type (NULL, TXT, CNAME, A), each
# on its own delegated domain, relayed by the resolver (iodine -r: no raw UDP
# shortcut). Each pings across the tunnel and moves a file, checked at the far end.
scenario_main() {
  local id pids=() pid
  for id in iodine-null iodine-txt iodine-cname iodine-a; do
    iodine_session "$id" 65536 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || die "an iodine session failed"; done
  run_end '{"expectAlerts":true}'
}
