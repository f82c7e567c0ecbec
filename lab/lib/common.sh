# shellcheck shell=bash
# Shared by lab.sh and the scenarios: names, addresses, logging and process
# helpers. Sourced, never run.

LAB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LAB_OUT="${LAB_OUT:-$LAB_DIR/out}"
STATE="$LAB_OUT/.state"

NS_CLIENT=twlab-client
NS_RESOLVER=twlab-resolver
NS_AUTH=twlab-auth
NS_ATTACKER=twlab-attacker
LAB_NAMESPACES=("$NS_CLIENT" "$NS_RESOLVER" "$NS_AUTH" "$NS_ATTACKER")

# Address plan (see README.md). Only 10.77.0.0/16 and fd77::/16 are used.
LAB_NET4=10.77.0.0/16
LAB_NET6=fd77::/16
ROOT_SERVER=10.77.2.10
TLD_SERVER=10.77.2.11
INADDR_SERVER=10.77.2.12
SITES_SERVER=10.77.2.13
ATTACKER_NS=10.77.3.10
WORKSTATIONS=(10.77.1.21 10.77.1.22 10.77.1.23 10.77.1.24)
WORKSTATION6=fd77:1::21
MAIL_GATEWAY=10.77.1.25
AV_APPLIANCE=10.77.1.30
VICTIMS=(10.77.1.10 10.77.1.11 10.77.1.12 10.77.1.13)
TUNNEL_PASSWORD=lab-not-secret

# One recursive resolver instance per scenario, each on its own address, so
# scenarios run in parallel with separate logs and cold caches. The victim of
# a scenario whose tunnel client cannot choose its source address reaches its
# resolver through a host route with that source (set up in `up`).
SCENARIOS=(benign iodine dns2tcp slow-exfil mixed)
declare -A RESOLVER_ADDR=([benign]=10.77.1.1 [iodine]=10.77.1.2 [dns2tcp]=10.77.1.3 [slow-exfil]=10.77.1.4 [mixed]=10.77.1.5)
declare -A RESOLVER_ADDR6=([benign]=fd77:1::1 [iodine]=fd77:1::2 [dns2tcp]=fd77:1::3 [slow-exfil]=fd77:1::4 [mixed]=fd77:1::5)
declare -A RESOLVER_VICTIM=([iodine]=10.77.1.10 [dns2tcp]=10.77.1.11 [slow-exfil]=10.77.1.12 [mixed]=10.77.1.13)

log() { printf '[lab %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() {
  printf '[lab] ERROR: %s\n' "$*" >&2
  exit 1
}

now_ms() { date +%s%3N; }
iso_ms() { date -u -d "@$(($1 / 1000)).$(printf '%03d' $(($1 % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ; }

in_ns() {
  local ns=$1
  shift
  ip netns exec "$ns" "$@"
}

# Starts a command in a namespace in the background and records its pid in
# $2 (a pid file); `ip netns exec` execs, so the pid is the command's own.
spawn() {
  local ns=$1 pidfile=$2 logfile=$3
  shift 3
  ip netns exec "$ns" "$@" >"$logfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

# Stops the process whose pid is in a pid file: TERM, up to 5 s, then KILL.
stop_pidfile() {
  local pidfile=$1 pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  rm -f "$pidfile"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# Waits until `grep -q PATTERN FILE` holds, or fails after SECONDS.
wait_for_line() {
  local file=$1 pattern=$2 seconds=$3 what=$4 i
  for i in $(seq $((seconds * 10))); do
    grep -q -- "$pattern" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  log "timed out after ${seconds}s waiting for $what; last lines of $file:"
  tail -n 20 "$file" >&2 || true
  return 1
}

require_root_and_netns() {
  [ "$(id -u)" -eq 0 ] || die "the lab needs root (it creates network namespaces and tun devices); run it with sudo"
  command -v ip >/dev/null || die "iproute2 (ip) is missing: apt-get install iproute2"
  local probe="twlab-probe-$$"
  ip netns add "$probe" 2>/dev/null || die "network namespaces are unavailable here (ip netns add failed): the lab needs a kernel and container that allow them"
  ip netns del "$probe"
  [ -c /dev/net/tun ] || die "/dev/net/tun is missing: iodine needs the tun driver"
  local tool missing=()
  for tool in named named-checkzone named-checkconf dig iodine iodined dns2tcpc dns2tcpd tcpdump socat ping jq dnstap-read sha256sum base32; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ ${#missing[@]} -eq 0 ] || die "missing tools: ${missing[*]} (Debian: apt-get install bind9 bind9-utils bind9-dnsutils iodine dns2tcp tcpdump socat iputils-ping jq net-tools)"
  # iodine sets its tunnel device up with ifconfig (PATH=/sbin:/bin).
  [ -x /sbin/ifconfig ] || [ -x /bin/ifconfig ] || die "ifconfig is missing (iodine needs it): apt-get install net-tools"
  named -V | grep -q -- '--enable-dnstap' || die "this named was built without dnstap"
}

lab_is_up() {
  ip netns list 2>/dev/null | grep -q "^$NS_RESOLVER\b" && [ -f "$STATE/up" ]
}

# Fields of one conf/tunnels.txt row, by id: id tool qtype registered domain server client net.
tunnel_row() {
  awk -v id="$1" '$1 == id { print; found = 1 } END { if (!found) exit 1 }' "$LAB_DIR/conf/tunnels.txt" || die "no tunnel '$1' in conf/tunnels.txt"
}

# The data rows of a list file: no comments, no blank lines (never fails).
rows() { awk '!/^[[:space:]]*(#|$)/' "$1"; }
# The names (one a line on stdin) that lie under the given suffix.
in_tld() { awk -v s=".$1" 'length($1) > length(s) && substr($1, length($1) - length(s) + 1) == s'; }
