#!/usr/bin/env bash
# capture-pcap-fixtures.sh - capture REAL DNS traffic into pcap and pcapng files for the pcap
# decoder's tests (test/fixtures/pcap/).
#
# Two network namespaces joined by a veth pair and by a pair of tun devices:
#
#   tw-pcap-cli                                        tw-pcap-srv
#   twp-c   10.77.0.2  fd77::2   ── veth (Ethernet) ──  twp-s   10.77.0.1  fd77::1   named
#   twp-tc  10.77.44.2 fd44::2   ── tun (raw IP) ─────  twp-ts  10.77.44.1 fd44::1
#                                  (socat relays packets between the two tun devices)
#
# Debian's named (bind9) answers authoritatively in tw-pcap-srv (no recursion, nothing
# forwarded, it never leaves the namespaces) and logs every query it gets to a query log; dig
# and a small dns-packet client (scripts/send-tunnel-like-queries.mjs) ask from tw-pcap-cli;
# tcpdump and dumpcap capture in tw-pcap-cli:
#
#   dns-ethernet.pcap           tcpdump -i twp-c (EN10MB, µs): UDP and TCP over IPv4 and IPv6,
#                               several types, NXDOMAIN, REFUSED, a name with raw bytes, a TXT
#                               answer spanning TCP segments, two queries on one TCP connection,
#                               a truncated UDP answer retried over TCP, an unanswered LLMNR-port query
#   dns-ethernet.named.log      named's query log of that same traffic
#   dns-ethernet.pcapng         editcap -F pcapng of dns-ethernet.pcap (the same packets)
#   dns-ethernet-nano.pcap      tcpdump --time-stamp-precision=nano -i twp-c
#   dns-sll.pcap, dns-sll2.pcap tcpdump -i any -y LINUX_SLL, and -y LINUX_SLL2 (libpcap 1.10's
#                               default for "any"), at the same time
#   dns-raw.pcap                tcpdump -i twp-tc (a tun device: LINKTYPE_RAW, IPv4 and IPv6)
#   dns-multi-interface.pcapng  dumpcap -i twp-c -i twp-tc (two interfaces, two link types)
#   dns-vlan.pcap, dns-qinq.pcap
#                               dns-ethernet-nano.pcap with an 802.1Q tag added by tcprewrite, and
#                               then an 802.1ad tag outside it (this kernel has neither the 8021q
#                               module nor bridge VLAN filtering, so no interface here tags frames)
#   tunnel-like.pcap            200 TXT queries for distinct base32 names under t.example.net,
#                               sent by scripts/send-tunnel-like-queries.mjs, with named's answers
#
# Usage: sudo scripts/capture-pcap-fixtures.sh [OUTPUT_DIR]   (default test/fixtures/pcap)
#   KEEP_WORK=1 keeps the temp dir (named.conf, zones, logs).
# Needs root (namespaces), and the Debian packages bind9 bind9-dnsutils tcpdump tshark socat
# tcpreplay iproute2 (installed when missing), and node with the repository's node_modules.
#
# Rerunnable: each run overwrites the files above. Times, ports, ids and MAC addresses differ
# from run to run, and the tests pin this capture's values, so a recapture means updating the
# expectations in test/pcap-decoder.test.ts.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out_dir="${1:-$repo/test/fixtures/pcap}"
CLI_NS=tw-pcap-cli
SRV_NS=tw-pcap-srv

log() { printf '[capture-pcap] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --------------------------------------------------------------------------
# 0. prerequisites
# --------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || die "run as root (network namespaces)"
need=()
for pair in named:bind9 dig:bind9-dnsutils tcpdump:tcpdump tshark:tshark dumpcap:tshark editcap:tshark \
            socat:socat tcprewrite:tcpreplay ip:iproute2; do
  command -v "${pair%%:*}" >/dev/null 2>&1 || need+=("${pair#*:}")
done
if [ ${#need[@]} -gt 0 ]; then
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need[@]}" >/dev/null
fi
command -v node >/dev/null 2>&1 || die "node is needed for the tunnel-like client"
[ -d "$repo/node_modules/dns-packet" ] || die "no node_modules/dns-packet (npm ci first)"

versions="$(named -v); $(dig -v 2>&1); $(tcpdump --version 2>&1 | head -n2 | tr '\n' ' '); $(tshark --version | head -n1); $(socat -V | sed -n 's/^socat version \([^ ]*\).*/socat \1/p'); $(tcprewrite -V 2>&1 | head -n1); node $(node --version); Linux $(uname -r)"
log "using: $versions"

work="$(mktemp -d /tmp/tunnelwatch-pcap.XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  ip netns del "$CLI_NS" 2>/dev/null || true
  ip netns del "$SRV_NS" 2>/dev/null || true
  if [ -n "${KEEP_WORK:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

in_cli() { ip netns exec "$CLI_NS" "$@"; }
in_srv() { ip netns exec "$SRV_NS" "$@"; }

# --------------------------------------------------------------------------
# 1. namespaces, veth and tun links
# --------------------------------------------------------------------------
ip netns del "$CLI_NS" 2>/dev/null || true
ip netns del "$SRV_NS" 2>/dev/null || true
ip netns add "$CLI_NS"
ip netns add "$SRV_NS"
for ns in "$CLI_NS" "$SRV_NS"; do
  # No router solicitations or duplicate-address probes in the captures.
  ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0 \
    net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0
  ip -n "$ns" link set lo up
done
ip link add twp-c netns "$CLI_NS" type veth peer name twp-s netns "$SRV_NS"
ip -n "$CLI_NS" addr add 10.77.0.2/24 dev twp-c
ip -n "$CLI_NS" addr add fd77::2/64 dev twp-c nodad
ip -n "$SRV_NS" addr add 10.77.0.1/24 dev twp-s
ip -n "$SRV_NS" addr add fd77::1/64 dev twp-s nodad
ip -n "$CLI_NS" link set twp-c up
ip -n "$SRV_NS" link set twp-s up

# socat opens both tun devices in the client namespace and relays whole packets between them;
# the server's end is then moved into the server namespace (the open file descriptor moves with it).
ip netns exec "$CLI_NS" socat TUN:10.77.44.2/24,tun-name=twp-tc,tun-type=tun,iff-no-pi,iff-up \
             TUN:10.77.45.1/24,tun-name=twp-ts,tun-type=tun,iff-no-pi,iff-up >"$work/socat.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do ip -n "$CLI_NS" link show twp-ts >/dev/null 2>&1 && break; sleep 0.1; done
ip -n "$CLI_NS" link set twp-ts netns "$SRV_NS"
ip -n "$SRV_NS" addr add 10.77.44.1/24 dev twp-ts
ip -n "$SRV_NS" addr add fd44::1/64 dev twp-ts nodad
ip -n "$SRV_NS" link set twp-ts up
ip -n "$CLI_NS" addr add fd44::2/64 dev twp-tc nodad
ip -n "$CLI_NS" link set twp-tc up

# --------------------------------------------------------------------------
# 2. named
# --------------------------------------------------------------------------
big_txt=""
for i in $(seq -w 1 24); do
  big_txt+="big IN TXT \"record $i: $(printf 'x%.0s' $(seq 180))\""$'\n'
done
cat >"$work/example.com.zone" <<EOF
\$TTL 300
@         IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
          IN NS  ns1.example.com.
          IN MX  10 mail.example.com.
          IN TXT "v=spf1 -all"
ns1       IN A   192.0.2.53
www       IN A   192.0.2.80
www       IN AAAA 2001:db8::80
mail      IN A   192.0.2.25
a         IN A   192.0.2.1
b         IN A   192.0.2.2
alias     IN CNAME www.example.com.
*.w       IN A   192.0.2.7
$big_txt
EOF
cat >"$work/t.example.net.zone" <<'EOF'
$TTL 0
@         IN SOA ns1.t.example.net. hostmaster.t.example.net. 1 3600 600 86400 0
          IN NS  ns1.t.example.net.
ns1       IN A   192.0.2.54
*         IN TXT "ok"
EOF
cat >"$work/named.conf" <<EOF
options {
  directory "$work";
  pid-file "$work/named.pid";
  session-keyfile "$work/session.key";
  managed-keys-directory "$work";
  listen-on port 53 { 10.77.0.1; 10.77.44.1; };
  listen-on-v6 port 53 { fd77::1; fd44::1; };
  recursion no;
  allow-recursion { none; };
  dnssec-validation no;
  notify no;
  allow-transfer { none; };
  version "tunnelwatch-fixture";
  hostname "ns1.fixture.invalid";
  server-id none;
  querylog yes;
};
logging {
  channel queries { file "$work/queries.log"; print-time yes; };
  category queries { queries; };
};
controls { };
zone "example.com" { type primary; file "$work/example.com.zone"; };
zone "t.example.net" { type primary; file "$work/t.example.net.zone"; };
EOF
named-checkconf "$work/named.conf" || die "named-checkconf failed"
ip netns exec "$SRV_NS" named -f -c "$work/named.conf" >"$work/named.stderr" 2>&1 &
named_pid=$!
pids+=("$named_pid")
for i in $(seq 100); do
  kill -0 "$named_pid" 2>/dev/null || { cat "$work/named.stderr" >&2; die "named exited during startup"; }
  listening="$(in_srv ss -Hlnu 2>/dev/null || true)"
  if [[ "$listening" == *"10.77.0.1:53"* && "$listening" == *"10.77.44.1:53"* && "$listening" == *"[fd77::1]:53"* && "$listening" == *"[fd44::1]:53"* ]]; then
    break
  fi
  [ "$i" -eq 100 ] && die "named does not listen"
  sleep 0.1
done
log "named pid $named_pid listening"

# --------------------------------------------------------------------------
# 3. captures
# --------------------------------------------------------------------------
# capture NAME COMMAND...: (tcpdump with --immediate-mode: without it, TPACKET_V3 hands packets over
# in blocks, up to a second late, and a short capture ends before its packets are written) starts a capturing process in the client namespace and waits until it
# says it is capturing; stop_captures ends them all and waits for their files.
capture_pids=()
capture() {
  local name=$1; shift
  # Not through a shell function: $! must be the capturing process itself (ip netns exec execs it).
  ip netns exec "$CLI_NS" "$@" 2>"$work/$name.stderr" &
  local pid=$!
  pids+=("$pid")
  capture_pids+=("$pid")
  for _ in $(seq 100); do
    grep -qE 'listening on|Capturing on' "$work/$name.stderr" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.stderr" >&2; die "$name did not start"; }
    sleep 0.1
  done
  die "$name did not start capturing"
}
stop_captures() {
  # The last answers are on their way; background jobs ignore SIGINT, so TERM ends the captures (both flush their files).
  sleep 0.5
  local pid
  for pid in "${capture_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${capture_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  capture_pids=()
}

# d ARGS...: one dig from the client; only the packets matter
d() { in_cli dig +time=1 +tries=1 "$@" >/dev/null 2>&1 || true; }

: >"$work/queries.log"
capture dns-ethernet tcpdump -i twp-c -n -U --immediate-mode -s 0 -w "$work/dns-ethernet.pcap"
d @10.77.0.1 www.example.com A
d @10.77.0.1 example.com MX
d @10.77.0.1 example.com TXT
d @10.77.0.1 www.example.com AAAA
d @10.77.0.1 nothere.example.com A
d @10.77.0.1 'A\000b\.c\255\"D.w.example.com' A
d @10.77.0.1 alias.example.com A
d @10.77.0.1 nothere.example.org A
d @10.77.0.1 +norecurse +noedns +nocookie www.example.com A
d @10.77.0.1 +dnssec example.com SOA
d @fd77::1 www.example.com AAAA
d @10.77.0.1 +tcp www.example.com A
d @10.77.0.1 +tcp big.example.com TXT
d @10.77.0.1 +tcp +keepopen a.example.com A b.example.com A
d @10.77.0.1 +bufsize=512 +nocookie big.example.com TXT
d @fd77::1 +tcp big.example.com TXT
d @10.77.0.1 -p 5355 llmnr-port.example.com A
stop_captures
cp "$work/queries.log" "$work/dns-ethernet.named.log"

capture dns-ethernet-nano tcpdump -i twp-c -n -U --immediate-mode -s 0 --time-stamp-precision=nano -w "$work/dns-ethernet-nano.pcap"
d @10.77.0.1 www.example.com A
d @10.77.0.1 +tcp mail.example.com A
d @fd77::1 nothere.example.com AAAA
stop_captures

capture dns-sll tcpdump -i any -y LINUX_SLL -n -U --immediate-mode -s 0 -w "$work/dns-sll.pcap"
capture dns-sll2 tcpdump -i any -y LINUX_SLL2 -n -U --immediate-mode -s 0 -w "$work/dns-sll2.pcap"
d @10.77.0.1 www.example.com A
d @fd77::1 www.example.com AAAA
d @10.77.0.1 +tcp example.com MX
stop_captures

capture dns-raw tcpdump -i twp-tc -n -U --immediate-mode -s 0 -w "$work/dns-raw.pcap"
d @10.77.44.1 www.example.com A
d @fd44::1 www.example.com AAAA
d @10.77.44.1 +tcp big.example.com TXT
stop_captures

capture dns-multi-interface dumpcap -q -i twp-c -i twp-tc -w "$work/dns-multi-interface.pcapng"
d @10.77.0.1 www.example.com A
d @10.77.44.1 mail.example.com A
d @fd44::1 www.example.com AAAA
stop_captures

capture tunnel-like tcpdump -i twp-c -n -U --immediate-mode -s 0 -w "$work/tunnel-like.pcap" udp port 53
in_cli node "$here/send-tunnel-like-queries.mjs" 10.77.0.1 53 t.example.net 200 >&2
stop_captures

editcap -F pcapng "$work/dns-ethernet.pcap" "$work/dns-ethernet.pcapng"
tcprewrite --enet-vlan=add --enet-vlan-tag=100 --enet-vlan-pri=0 --enet-vlan-cfi=0 \
  --infile="$work/dns-ethernet-nano.pcap" --outfile="$work/dns-vlan.pcap"
tcprewrite --enet-vlan=add --enet-vlan-proto=802.1ad --enet-vlan-tag=200 --enet-vlan-pri=0 --enet-vlan-cfi=0 \
  --infile="$work/dns-vlan.pcap" --outfile="$work/dns-qinq.pcap"

# --------------------------------------------------------------------------
# 4. results
# --------------------------------------------------------------------------
mkdir -p "$out_dir"
files=(dns-ethernet.pcap dns-ethernet.named.log dns-ethernet.pcapng dns-ethernet-nano.pcap dns-sll.pcap dns-sll2.pcap
       dns-raw.pcap dns-multi-interface.pcapng dns-vlan.pcap dns-qinq.pcap tunnel-like.pcap)
for f in "${files[@]}"; do
  [ -s "$work/$f" ] || die "$f is empty"
  cp "$work/$f" "$out_dir/$f"
done
chmod 644 "${files[@]/#/$out_dir/}"
{
  printf 'captured %s with: %s\n\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$versions"
  for f in "${files[@]}"; do
    case "$f" in *.log) printf '%s: %s lines\n' "$f" "$(wc -l <"$out_dir/$f")" ;;
      *) capinfos -t -E -c -s -M "$out_dir/$f" | sed -n 's/^\(File type\|File encapsulation\|Number of packets\|File size\): *//p' | paste -sd ' ' | sed "s|^|$f: |" ;;
    esac
  done
} >"$out_dir/CAPTURE-INFO.txt"
cat "$out_dir/CAPTURE-INFO.txt" >&2
log "wrote ${#files[@]} files to $out_dir"
