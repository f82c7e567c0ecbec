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

# Pid files hold "PID START": the process's start time (clock ticks since
# boot, field 22 of /proc/PID/stat) names it for the life of the system, so
# a pid the kernel has since given to another process is never signalled.
# The lab signals only processes it recorded this way, and, at `down`, the
# processes inside its own namespaces; never anything found by name.
proc_start() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  # The command name (field 2) may hold spaces: split after its closing parenthesis.
  # shellcheck disable=SC2086 # split into fields on purpose
  set -- ${stat##*) }
  # An exited process not yet reaped (Z) is no longer running.
  [ "$1" != Z ] || return 1
  echo "${20}"
}

# record_pid PID FILE
record_pid() { echo "$1 $(proc_start "$1" || echo gone)" >"$2"; }

# The pid recorded in FILE (empty when there is none).
pidfile_pid() {
  local pid _
  read -r pid _ <"$1" 2>/dev/null || true
  echo "${pid:-}"
}

# Whether the process recorded in FILE is still that process and running.
pidfile_alive() {
  local pid start
  read -r pid start <"$1" 2>/dev/null || return 1
  [ -n "$pid" ] && [ "$(proc_start "$pid" 2>/dev/null)" = "$start" ]
}

# Starts a command in a namespace in the background and records it in $2 (a
# pid file); `ip netns exec` execs, so the pid is the command's own.
spawn() {
  local ns=$1 pidfile=$2 logfile=$3
  shift 3
  ip netns exec "$ns" "$@" >"$logfile" 2>&1 </dev/null &
  record_pid $! "$pidfile"
}

# Stops the process recorded in a pid file: TERM, up to 5 s, then KILL.
stop_pidfile() {
  local pidfile=$1 pid i
  [ -f "$pidfile" ] || return 0
  pid=$(pidfile_pid "$pidfile")
  if ! pidfile_alive "$pidfile"; then
    rm -f "$pidfile"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 50); do
    pidfile_alive "$pidfile" || break
    sleep 0.1
  done
  pidfile_alive "$pidfile" && kill -KILL "$pid" 2>/dev/null
  rm -f "$pidfile"
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

# What the lab runs, and the Debian package each comes from (Debian 12).
LAB_TOOLS=(named:bind9 named-checkzone:bind9-utils named-checkconf:bind9-utils dig:bind9-dnsutils dnstap-read:bind9-dnsutils
  iodine:iodine iodined:iodine dns2tcpc:dns2tcp dns2tcpd:dns2tcp tcpdump:tcpdump socat:socat ping:iputils-ping jq:jq
  ip:iproute2 ss:iproute2 sha256sum:coreutils base32:coreutils timeout:coreutils)

# The Debian packages of the lab's tools that are missing here, one a line.
missing_lab_packages() {
  local entry
  for entry in "${LAB_TOOLS[@]}"; do
    command -v "${entry%%:*}" >/dev/null || echo "${entry#*:}"
  done
  # iodine sets its tunnel device up with ifconfig, found on its own PATH (/sbin:/bin).
  [ -x /sbin/ifconfig ] || [ -x /bin/ifconfig ] || echo net-tools
}

# Installs the missing packages from Debian when it can (root, apt-get), and
# otherwise fails saying what to install. apt-get update runs only when
# something is missing, so a ready machine never touches the network here.
ensure_lab_packages() {
  local missing
  missing=$(missing_lab_packages | sort -u | tr '\n' ' ')
  missing=${missing% }
  [ -z "$missing" ] && return 0
  local hint="the lab needs the Debian packages: $missing (apt-get install $missing)"
  [ "$(id -u)" -eq 0 ] || die "$hint; run the lab as root and it installs them"
  command -v apt-get >/dev/null || die "$hint; there is no apt-get here to install them"
  [ -z "${LAB_NO_INSTALL:-}" ] || die "$hint; LAB_NO_INSTALL is set, so the lab does not install them"
  log "installing the lab's missing Debian packages: $missing"
  local apt_log
  apt_log=$(mktemp)
  # shellcheck disable=SC2086 # one word per package
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; } >"$apt_log" 2>&1; then
    tail -n 20 "$apt_log" >&2
    rm -f "$apt_log"
    die "installing $missing with apt-get failed (above); $hint"
  fi
  rm -f "$apt_log"
  local installed=$missing
  missing=$(missing_lab_packages | sort -u | tr '\n' ' ')
  [ -z "$missing" ] || die "still missing after apt-get install: $missing"
  # shellcheck disable=SC2086 # one word per package
  log "installed: $(dpkg-query -W -f '${Package} ${Version}  ' $installed)"
}

require_root_and_netns() {
  [ "$(id -u)" -eq 0 ] || die "the lab needs root (it creates network namespaces and tun devices); run it with sudo"
  ensure_lab_packages
  local probe="twlab-probe-$$"
  ip netns add "$probe" 2>/dev/null || die "network namespaces are unavailable here (ip netns add failed): the lab needs a kernel and container that allow them"
  ip netns del "$probe"
  [ -c /dev/net/tun ] || die "/dev/net/tun is missing: iodine needs the tun driver"
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
