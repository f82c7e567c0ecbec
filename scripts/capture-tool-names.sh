#!/usr/bin/env bash
# capture-tool-names.sh - capture the DNS query names REAL tunnel tools send, for
# the signature tests (test/signatures.test.ts).
#
# Runs Debian's iodine (iodined + iodine) and dns2tcp (dns2tcpd + dns2tcpc) in two
# private network namespaces joined by a veth pair (server 10.53.0.1, client
# 10.53.0.2): the client talks straight to the tunnel server, no resolver in
# between, nothing leaves the machine. tcpdump records UDP port 53 on the client's
# side; scripts/extract-dns-queries.mjs turns each capture into "QTYPE<TAB>NAME"
# lines (BIND presentation form, each pair once, in first-seen order).
#
#   iodine  0.7.0  -r (no raw UDP mode), -T <type> for NULL PRIVATE TXT SRV MX CNAME A,
#                  and once with no -T (the client's own type autodetection);
#                  topdomain t1.example.net; pings through the tunnel to make data packets.
#   dns2tcp 0.5.2  -T TXT and -T KEY; zone d2t.example.net; the resource list query,
#                  then a TCP echo session through resource "echo" (socat on the server side).
#
# Output (OUTPUT_DIR, default <repo>/test/fixtures/tools):
#   iodine-0.7.0-<type>.tsv   one file per -T value (auto = no -T)
#   dns2tcp-0.5.2-<type>.tsv  TXT and KEY
#
# Usage: sudo scripts/capture-tool-names.sh [OUTPUT_DIR]
#   KEEP_WORK=1 keeps the temp dir (pcaps, tool logs).
# Needs root (namespaces, tun devices), iodine, dns2tcp, tcpdump, socat, iproute2, node.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out_dir="${1:-$repo/test/fixtures/tools}"

log() { printf '[capture-tools] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces, tun devices)"
if ! command -v iodined >/dev/null 2>&1 || ! command -v dns2tcpd >/dev/null 2>&1; then
  log "installing iodine dns2tcp"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq iodine dns2tcp >/dev/null
fi
for tool in iodine iodined dns2tcpc dns2tcpd tcpdump socat ip node; do
  command -v "$tool" >/dev/null 2>&1 || die "missing $tool"
done
iodine_version="$(dpkg-query -W -f='${Version}' iodine)"
dns2tcp_version="$(dpkg-query -W -f='${Version}' dns2tcp)"
log "iodine $iodine_version, dns2tcp $dns2tcp_version, $(tcpdump --version 2>&1 | head -n1)"

SRV_NS=tw-sig-srv
CLI_NS=tw-sig-cli
SRV_IP=10.53.0.1
CLI_IP=10.53.0.2
IODINE_ZONE=t1.example.net
DNS2TCP_ZONE=d2t.example.net
PASSWORD=fixture-secret

work="$(mktemp -d /tmp/tunnelwatch-tools.XXXXXX)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  ip netns del "$SRV_NS" 2>/dev/null || true
  ip netns del "$CLI_NS" 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# stop PID: TERM one process this script started and wait for it
stop() {
  local p=$1 i
  kill -TERM "$p" 2>/dev/null || true
  for i in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$p" 2>/dev/null || true
  wait "$p" 2>/dev/null || true
  local kept=()
  for i in "${pids[@]}"; do [ "$i" = "$p" ] || kept+=("$i"); done
  pids=("${kept[@]}")
}

# wait_for DESCRIPTION COMMAND...: poll up to 20 s
wait_for() {
  local what=$1 i; shift
  for i in $(seq 200); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  die "timed out waiting for $what"
}

# --------------------------------------------------------------------------
# namespaces: server and client joined by a veth pair
# --------------------------------------------------------------------------
ip netns del "$SRV_NS" 2>/dev/null || true
ip netns del "$CLI_NS" 2>/dev/null || true
ip netns add "$SRV_NS"
ip netns add "$CLI_NS"
ip link add tw-sig-s type veth peer name tw-sig-c
ip link set tw-sig-s netns "$SRV_NS"
ip link set tw-sig-c netns "$CLI_NS"
ip -n "$SRV_NS" addr add "$SRV_IP/24" dev tw-sig-s
ip -n "$CLI_NS" addr add "$CLI_IP/24" dev tw-sig-c
for ns in "$SRV_NS" "$CLI_NS"; do ip -n "$ns" link set lo up; done
ip -n "$SRV_NS" link set tw-sig-s up
ip -n "$CLI_NS" link set tw-sig-c up
wait_for "veth link" ip netns exec "$CLI_NS" ping -c 1 -W 1 "$SRV_IP"

# start_capture NAME: tcpdump on the client side, sets cap_pid
start_capture() {
  ip netns exec "$CLI_NS" tcpdump -i tw-sig-c -n -U --immediate-mode -s 0 -w "$work/$1.pcap" udp port 53 2>"$work/$1.tcpdump.log" &
  cap_pid=$!
  pids+=("$cap_pid")
  wait_for "tcpdump on $1" grep -q 'listening on' "$work/$1.tcpdump.log"
}

extract() {
  # $1 = capture name, $2 = output file
  node "$here/extract-dns-queries.mjs" "$work/$1.pcap" --unique >"$2"
  [ -s "$2" ] || die "$1: no queries captured"
  log "wrote $2 ($(wc -l <"$2") distinct queries)"
}

mkdir -p "$out_dir"

# --------------------------------------------------------------------------
# iodine: one client session per query type
# --------------------------------------------------------------------------
for qtype in ${IODINE_TYPES:-auto NULL PRIVATE TXT SRV MX CNAME A}; do
  name="iodine-${iodine_version%%-*}-$qtype"
  ip netns exec "$SRV_NS" iodined -f -c -P "$PASSWORD" -l "$SRV_IP" -p 53 10.201.0.1/27 "$IODINE_ZONE" \
    >"$work/$name.iodined.log" 2>&1 &
  srv_pid=$!
  pids+=("$srv_pid")
  wait_for "iodined ($qtype)" grep -q 'Listening to dns' "$work/$name.iodined.log"
  start_capture "$name"
  type_args=()
  [ "$qtype" = auto ] || type_args=(-T "$qtype")
  ip netns exec "$CLI_NS" iodine -f -r -P "$PASSWORD" "${type_args[@]}" "$SRV_IP" "$IODINE_ZONE" \
    >"$work/$name.iodine.log" 2>&1 &
  cli_pid=$!
  pids+=("$cli_pid")
  wait_for "iodine client setup ($qtype)" grep -q 'Connection setup complete' "$work/$name.iodine.log"
  # Data packets both ways: small and large pings through the tunnel.
  ip netns exec "$CLI_NS" ping -c 4 -i 0.3 -W 3 10.201.0.1 >/dev/null 2>&1 || log "$qtype: some small pings lost"
  ip netns exec "$CLI_NS" ping -c 3 -i 0.5 -W 5 -s 900 -p 5475 10.201.0.1 >/dev/null 2>&1 || log "$qtype: some large pings lost"
  stop "$cli_pid"
  stop "$cap_pid"
  stop "$srv_pid"
  extract "$name" "$out_dir/$name.tsv"
done

# --------------------------------------------------------------------------
# dns2tcp: resource list, then an echo session, per query type
# --------------------------------------------------------------------------
ip netns exec "$SRV_NS" socat TCP-LISTEN:7007,bind=127.0.0.1,reuseaddr,fork EXEC:cat >/dev/null 2>&1 &
echo_pid=$!
pids+=("$echo_pid")
cat >"$work/dns2tcpd.conf" <<EOF
listen = $SRV_IP
port = 53
user = nobody
chroot = /tmp
domain = $DNS2TCP_ZONE
key = $PASSWORD
resources = echo:127.0.0.1:7007
EOF
for qtype in TXT KEY; do
  name="dns2tcp-${dns2tcp_version%%-*}-$qtype"
  ip netns exec "$SRV_NS" dns2tcpd -F -d 1 -f "$work/dns2tcpd.conf" >"$work/$name.dns2tcpd.log" 2>&1 &
  srv_pid=$!
  pids+=("$srv_pid")
  wait_for "dns2tcpd ($qtype)" sh -c "ip netns exec $SRV_NS ss -Hlnu | grep -q '$SRV_IP:53'"
  start_capture "$name"
  # The resource list (no -r), then a session on local port 2222.
  ip netns exec "$CLI_NS" dns2tcpc -f /dev/null -z "$DNS2TCP_ZONE" -k "$PASSWORD" -T "$qtype" "$SRV_IP" \
    >"$work/$name.list.log" 2>&1 || true
  grep -q echo "$work/$name.list.log" || die "dns2tcpc ($qtype) did not list the echo resource"
  ip netns exec "$CLI_NS" dns2tcpc -f /dev/null -z "$DNS2TCP_ZONE" -k "$PASSWORD" -T "$qtype" -r echo -l 2222 "$SRV_IP" \
    >"$work/$name.dns2tcpc.log" 2>&1 &
  cli_pid=$!
  pids+=("$cli_pid")
  wait_for "dns2tcpc listening ($qtype)" sh -c "ip netns exec $CLI_NS ss -Hlnt | grep -q ':2222'"
  payload="tunnelwatch fixture $(seq -s ' ' 1 300)"
  # stdin stays open a while: dns2tcp ends the session when the local side half-closes.
  got="$( { printf '%s\n' "$payload"; sleep 4; } | ip netns exec "$CLI_NS" socat -t 2 - TCP:127.0.0.1:2222 || true)"
  [ "$got" = "$payload" ] || log "$qtype: echo through the tunnel differed (${#got} of ${#payload} bytes back)"
  stop "$cli_pid"
  stop "$cap_pid"
  stop "$srv_pid"
  extract "$name" "$out_dir/$name.tsv"
done
stop "$echo_pid"

log "done: iodine $iodine_version, dns2tcp $dns2tcp_version"
