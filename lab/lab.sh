#!/usr/bin/env bash
# tunnelwatch's lab: real tunnel tools (Debian's iodine and dns2tcp) through a
# real recursive resolver (Debian's BIND) in network namespaces, producing the
# resolver's query log, a pcap and a dnstap file per scenario with ground truth.
# See lab/README.md.
#
# Usage (as root):
#   lab/lab.sh up                  build the namespaces, start the authoritative side and the watchdogs
#   lab/lab.sh run SCENARIO        run one scenario (benign iodine dns2tcp slow-exfil mixed) → lab/out/SCENARIO/
#   lab/lab.sh check-safety        verify the lab is sealed (exit 1 and the reason otherwise)
#   lab/lab.sh down                stop everything and delete the namespaces (idempotent)
#   lab/lab.sh all                 up, every scenario, down
#   lab/lab.sh deps                install the missing Debian packages the lab runs (up and run do too)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib/common.sh
. "$here/lib/common.sh"
# shellcheck source=lib/topology.sh
. "$here/lib/topology.sh"
# shellcheck source=lib/run.sh
. "$here/lib/run.sh"

usage() {
  sed -n '/^# Usage/,/^[^#]/{/^#/p}' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

cmd=${1:-}
case "$cmd" in
  up)
    require_root_and_netns
    topology_up
    ;;
  down)
    [ "$(id -u)" -eq 0 ] || die "the lab needs root"
    topology_down
    log "lab is down"
    ;;
  deps)
    ensure_lab_packages
    log "the lab's Debian packages are installed"
    ;;
  check-safety)
    require_root_and_netns
    check_safety
    ;;
  run)
    [ $# -eq 2 ] || usage
    require_root_and_netns
    scenario=$2
    [ -f "$here/scenarios/$scenario.sh" ] && [ -n "${RESOLVER_ADDR[$scenario]:-}" ] || die "unknown scenario '$scenario' (one of: ${SCENARIOS[*]})"
    # shellcheck source=/dev/null
    . "$here/scenarios/$scenario.sh"
    run_begin "$scenario"
    scenario_main
    ;;
  all)
    require_root_and_netns
    "$0" up
    trap '"$0" down' EXIT
    "$0" run slow-exfil &
    exfil=$!
    for s in benign iodine dns2tcp mixed; do "$0" run "$s"; done
    wait "$exfil"
    ;;
  *) usage ;;
esac
