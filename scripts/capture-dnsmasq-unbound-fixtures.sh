#!/usr/bin/env bash
# capture-dnsmasq-unbound-fixtures.sh - capture REAL dnsmasq and unbound
# query-log lines for parser tests.
#
# Starts, from throw-away configs in a mktemp directory:
#   * one private authoritative-only `named` (the upstream that answers; its
#     own logs are not kept),
#   * `dnsmasq` (Debian package dnsmasq-base) several times, forwarding to that
#     named, with --log-queries / --log-queries=extra, logging to a file, to
#     stderr and to syslog,
#   * `unbound` several times, forwarding "." to that named, with log-queries,
#     log-replies, log-local-actions, log-servfail, with and without
#     log-time-ascii, with log-tag-queryreply, and to syslog,
# sends each a fixed list of queries with `dig` over 127.0.0.1 and ::1, stops
# it and copies the log it wrote into test/fixtures/{dnsmasq,unbound}/.
#
# Nothing leaves the machine: every daemon listens on loopback only, on high
# ports; dnsmasq has no resolv.conf and exactly one upstream (our named);
# unbound forwards the root zone to our named (so it never contacts a root
# server), has no trust anchor and runs the iterator module only; named is
# authoritative-only (`recursion no`) and REFUSES everything outside its zones.
#
# Syslog runs: dnsmasq and unbound write to /dev/log themselves.  The script
# gives them one inside a private mount namespace (`unshare -m`, with a tmpfs
# over /dev holding only null/zero/random/urandom/full and the socket), where a
# small Python listener appends each datagram, exactly as received, as one
# line.  The host's /dev is never touched.  Without unshare or python3 the
# syslog files are left as they are (a warning says so).  python3 also sends
# the two malformed packets of the FORMERR lines (section 4).
#
# Every line in the output files was written by the daemon itself; the script
# never edits a line.  Readiness is checked with `ss` (a listening socket),
# not with a query, so the logs contain only the queries listed below.
#
# Usage: sudo scripts/capture-dnsmasq-unbound-fixtures.sh [OUT_ROOT]
#   OUT_ROOT defaults to <repo>/test/fixtures; files go to OUT_ROOT/dnsmasq/
#   and OUT_ROOT/unbound/.
#   BASE_PORT=NNNNN changes the first port tried (default 53560).
#   KEEP_WORK=1 keeps the temp dir for inspection.
#
# Rerunnable: every run starts from a fresh temp dir and overwrites only the
# dnsmasq-*.log and unbound-*.log files it produces (never the hand-written
# hostile.log and syslog-variants.log).  Times, pids, client ports and dnsmasq's serial
# numbers differ between runs; the tests pin the values of this capture, so a
# recapture means updating the expectations in test/dnsmasq-unbound-parser.test.ts.
set -euo pipefail
# dnsmasq prints a name only if isprint() holds for every byte, in its locale:
# pin the locale the fixtures were captured in (bytes >= 0x7f are not printable).
export LC_ALL=C.UTF-8

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out_root="${1:-$repo/test/fixtures}"
dnsmasq_out="$out_root/dnsmasq"
unbound_out="$out_root/unbound"

log() { printf '[capture-dnsmasq-unbound] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --------------------------------------------------------------------------
# 0. prerequisites
# --------------------------------------------------------------------------
need_install=0
for tool in dnsmasq unbound unbound-checkconf named named-checkconf dig ss; do
  command -v "$tool" >/dev/null 2>&1 || need_install=1
done
if [ "$need_install" -eq 1 ]; then
  [ "$(id -u)" -eq 0 ] || die "dnsmasq-base/unbound/bind9/bind9-dnsutils/iproute2 missing and not root"
  log "installing dnsmasq-base unbound bind9 bind9-dnsutils iproute2"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq dnsmasq-base unbound bind9 bind9-dnsutils iproute2 >/dev/null
fi
for tool in dnsmasq unbound unbound-checkconf named named-checkconf dig ss; do
  command -v "$tool" >/dev/null 2>&1 || die "missing $tool"
done
[ "$(id -u)" -eq 0 ] || die "run as root (the syslog runs need a mount namespace)"

dnsmasq_version="$(dnsmasq --version | head -n1)"
unbound_version="$(unbound -V | sed -n 's/^Version //p')"
log "using: $dnsmasq_version; unbound $unbound_version; $(named -v)"
dnsmasq_tag="$(dnsmasq --version | sed -n 's/^Dnsmasq version \([0-9.]*\).*/\1/p')"
unbound_tag="$(printf '%s' "$unbound_version" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')"
[ -n "$dnsmasq_tag" ] && [ -n "$unbound_tag" ] || die "cannot read the daemon versions"

port_in_use() {
  [ -n "$(ss -Hlntu "( sport = :$1 )" 2>/dev/null)" ]
}
pick_port() {
  local p=$1
  while port_in_use "$p"; do p=$((p + 1)); done
  printf '%s\n' "$p"
}
NAMED_PORT="$(pick_port "${BASE_PORT:-53560}")"
DNSMASQ_PORT="$(pick_port $((NAMED_PORT + 1)))"
UNBOUND_PORT="$(pick_port $((DNSMASQ_PORT + 1)))"
log "ports: named $NAMED_PORT, dnsmasq $DNSMASQ_PORT, unbound $UNBOUND_PORT"

# udp_ready PORT: true when UDP sockets listen on PORT at 127.0.0.1 and ::1
udp_ready() {
  local s
  s="$(ss -Hlnu "( sport = :$1 )" 2>/dev/null || true)"
  [[ "$s" == *"127.0.0.1:$1"* ]] && [[ "$s" == *"[::1]:$1"* ]]
}

work="$(mktemp -d /tmp/tunnelwatch-dnsmasq-unbound.XXXXXX)"
chmod 755 "$work"
started_pids=()
cleanup() {
  local pid
  for pid in "${started_pids[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  if [ -n "${KEEP_WORK:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# stop PID: TERM one pid we started and wait for it (bounded)
stop_pid() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# --------------------------------------------------------------------------
# 1. the upstream: an authoritative-only named on 127.0.0.1
# --------------------------------------------------------------------------
ns="$work/named"
mkdir -p "$ns"
cat >"$ns/example.com.zone" <<'EOF'
$TTL 300
@         IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
          IN NS  ns1.example.com.
          IN MX  10 mail.example.com.
          IN TXT "v=spf1 -all"
ns1       IN A   192.0.2.53
www       IN A   192.0.2.80
www       IN AAAA 2001:db8::80
mail      IN A   192.0.2.25
alias     IN CNAME www.example.com.
_sip._udp IN SRV 10 5 5060 www.example.com.
blob      IN TYPE65399 \# 4 deadbeef
EOF
cat >"$ns/t.example.net.zone" <<'EOF'
$TTL 0
@         IN SOA ns1.t.example.net. hostmaster.t.example.net. 1 3600 600 86400 0
          IN NS  ns1.t.example.net.
ns1       IN A   192.0.2.54
*         IN TXT "tunnel"
*         IN NULL \# 3 010203
*         IN MX  10 mx.t.example.net.
EOF
cat >"$ns/named.conf" <<EOF
options {
  directory "$ns";
  pid-file "$ns/named.pid";
  session-keyfile "$ns/session.key";
  listen-on port $NAMED_PORT { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-transfer { none; };
};
logging { channel tw_null { null; }; category default { tw_null; }; category queries { tw_null; }; };
zone "example.com" { type primary; file "$ns/example.com.zone"; };
zone "t.example.net" { type primary; file "$ns/t.example.net.zone"; };
EOF
named-checkconf "$ns/named.conf" || die "named-checkconf failed"
TZ=UTC named -f -c "$ns/named.conf" >"$ns/named.stderr" 2>&1 &
named_pid=$!
started_pids+=("$named_pid")
for i in $(seq 100); do
  kill -0 "$named_pid" 2>/dev/null || { cat "$ns/named.stderr" >&2; die "named exited during startup"; }
  if dig -p "$NAMED_PORT" @127.0.0.1 +short +time=1 +tries=1 example.com SOA >/dev/null 2>&1; then
    log "named pid $named_pid is answering (after $i tries)"; break
  fi
  [ "$i" -lt 100 ] || die "named did not answer on port $NAMED_PORT"
  sleep 0.2
done

# --------------------------------------------------------------------------
# 2. the queries
# --------------------------------------------------------------------------
# q PORT SERVER ARGS... : one query; the answer is irrelevant, only the log matters
q() {
  local port=$1 server=$2; shift 2
  dig -p "$port" "@$server" +time=3 +tries=1 "$@" >/dev/null 2>&1 || true
}
rep() { local s="" i; for ((i = 0; i < $2; i++)); do s+="$1"; done; printf '%s' "$s"; }
esc_range() { local s="" i; for ((i = $1; i <= $2; i++)); do s+="$(printf '\\%03d' "$i")"; done; printf '%s' "$s"; }
label63="$(rep a 53)0123456789"                              # exactly 63 bytes
# 63+1+63+1+63+1+47+1 + len("t.example.net")=13 -> 253 characters, the maximum
name253="$(rep b 63).$(rep c 63).$(rep d 63).$(rep e 47).t.example.net"
ctl_label="$(esc_range 1 31)"                                # bytes 1..31 (31 bytes)
hi_label="$(esc_range 127 127)$(esc_range 200 230)"           # DEL + 31 high bytes (32 bytes)

# full_set PORT: the complete list, in this order (the READMEs number it)
full_set() {
  local p=$1
  # ordinary names and types, IPv4 and IPv6 clients
  q "$p" 127.0.0.1 www.example.com A                      # 1  forwarded
  q "$p" 127.0.0.1 www.example.com A                      # 2  same again: cache
  q "$p" ::1       www.example.com AAAA                   # 3  IPv6 client
  q "$p" 127.0.0.1 example.com MX                         # 4
  q "$p" 127.0.0.1 x.t.example.net TXT                    # 5
  q "$p" 127.0.0.1 x.t.example.net NULL                   # 6
  q "$p" 127.0.0.1 example.com ANY                        # 7
  q "$p" 127.0.0.1 _sip._udp.example.com SRV              # 8
  q "$p" 127.0.0.1 alias.example.com CNAME                # 9
  q "$p" 127.0.0.1 -x 192.0.2.80                          # 10 PTR 80.2.0.192.in-addr.arpa
  q "$p" ::1       -x 2001:db8::1                         # 11 PTR ip6.arpa nibbles
  q "$p" 127.0.0.1 blob.example.com TYPE65399             # 12 unknown type
  q "$p" 127.0.0.1 nx.example.com A                       # 13 NXDOMAIN
  q "$p" 127.0.0.1 nothere.example.org A                  # 14 REFUSED upstream
  q "$p" 127.0.0.1 version.bind CH TXT                    # 15 class CHAOS
  q "$p" 127.0.0.1 . NS                                   # 16 the root
  # mixed case (DNS 0x20)
  q "$p" 127.0.0.1 WwW.ExAmPlE.CoM A                      # 17
  q "$p" ::1       VaAaAkAtEfY.T.eXaMpLe.NeT NULL         # 18
  # tunnel-looking names, TCP
  q "$p" 127.0.0.1 paaaabshd2mfqpnutsxzgqs3bmvz2c4tsmfzgk2ltnbxwmzlpmfzhg.t.example.net NULL   # 19 iodine-like
  q "$p" 127.0.0.1 dnscat.4a1b0100b3a0de1e00000000000000000000000000.t.example.net CNAME      # 20
  q "$p" 127.0.0.1 gzbbgojfhewxbhp6v7ezs2cmyrcyaayd.t.example.net TXT +tcp                   # 21 TCP
  q "$p" ::1       4a1b0100b3a0de1e0000000000000000.t.example.net MX +tcp                    # 22 TCP from ::1
  # escaped bytes: how does the daemon print them?
  q "$p" 127.0.0.1 'a\000b.t.example.net' TXT              # 23 NUL
  q "$p" 127.0.0.1 '\000.t.example.net' TXT                # 24 a label that is one NUL
  q "$p" 127.0.0.1 'a\255b.t.example.net' TXT              # 25 byte 255
  q "$p" 127.0.0.1 'a\.b.t.example.net' TXT                # 26 dot inside a label
  q "$p" 127.0.0.1 'spa\032ce.t.example.net' TXT           # 27 space
  q "$p" 127.0.0.1 'back\\slash.t.example.net' TXT         # 28 backslash
  q "$p" 127.0.0.1 'quo\"te.t.example.net' TXT             # 29 double quote
  q "$p" 127.0.0.1 'pa\(re\)n.t.example.net' TXT           # 30 parentheses
  q "$p" 127.0.0.1 'semi\;colon.t.example.net' TXT         # 31
  q "$p" 127.0.0.1 'at\@sign.t.example.net' TXT            # 32
  q "$p" 127.0.0.1 'dol\$lar.t.example.net' TXT            # 33
  q "$p" 127.0.0.1 'punct!#%&*+,-/:<=>?[]^_`{|}~x.t.example.net' TXT   # 34 printable punctuation
  q "$p" 127.0.0.1 'uni\195\169.t.example.net' TXT         # 35 UTF-8 e-acute
  q "$p" 127.0.0.1 "$ctl_label.t.example.net" NULL        # 36 bytes 1..31
  q "$p" 127.0.0.1 "$hi_label.t.example.net" NULL         # 37 byte 127 and 200..230
  # names built to confuse a naive parser (spaces are legal bytes in a label)
  q "$p" 127.0.0.1 'a\032from\032192.0.2.66.t.example.net' A                                 # 38
  q "$p" 127.0.0.1 'x\032query[A]\032y.example.com\032from\032192.0.2.1.t.example.net' A    # 39
  q "$p" 127.0.0.1 'z.example.com.\032A\032IN.t.example.net' A                               # 40 a label " A IN" after "com."
  # length extremes
  q "$p" 127.0.0.1 "$label63.t.example.net" TXT           # 41 63-byte label
  q "$p" ::1       "$name253" TXT                         # 42 253-character name
  q "$p" 127.0.0.1 "$name253" TXT +tcp                    # 43 same over TCP
}

# short_set PORT: for the syslog and stderr runs
short_set() {
  local p=$1
  q "$p" 127.0.0.1 www.example.com A
  q "$p" ::1       www.example.com AAAA
  q "$p" 127.0.0.1 x.t.example.net TXT +tcp
  q "$p" 127.0.0.1 'spa\032ce.t.example.net' TXT
  q "$p" 127.0.0.1 'a\000b.t.example.net' NULL
  q "$p" 127.0.0.1 nx.example.com A
}

# --------------------------------------------------------------------------
# 3. dnsmasq
# --------------------------------------------------------------------------
dnsmasq_common=(
  --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts --no-poll
  --port="$DNSMASQ_PORT" --listen-address=127.0.0.1 --listen-address=::1 --bind-interfaces
  --server="127.0.0.1#$NAMED_PORT" --cache-size=150 --pid-file= --user=root
  --address=/blocked.example/ --local=/lan/ --host-record=host.lan,192.0.2.9
)

# dnsmasq_run NAME SET EXTRA-ARGS... : file-logging run; writes $work/NAME
dnsmasq_run() {
  local name=$1 set=$2; shift 2
  local logf="$work/$name" pid i
  rm -f "$logf"
  TZ=UTC dnsmasq "${dnsmasq_common[@]}" --log-facility="$logf" "$@" 2>"$work/$name.stderr" &
  pid=$!
  started_pids+=("$pid")
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.stderr" >&2; die "dnsmasq exited during startup ($name)"; }
    udp_ready "$DNSMASQ_PORT" && break
    [ "$i" -lt 100 ] || die "dnsmasq did not listen ($name)"
    sleep 0.1
  done
  log "dnsmasq $name: pid $pid listening"
  "$set" "$DNSMASQ_PORT"
  case "$name" in
    *queries.log|*extra.log)
      q "$DNSMASQ_PORT" 127.0.0.1 blocked.example A        # 44 --address: config NXDOMAIN
      q "$DNSMASQ_PORT" 127.0.0.1 host.lan A               # 45 --host-record
      q "$DNSMASQ_PORT" ::1 nothere.lan AAAA               # 46 --local: config NXDOMAIN
      ;;
  esac
  stop_pid "$pid"
}

dnsmasq_run "dnsmasq-$dnsmasq_tag-queries.log" full_set --log-queries
dnsmasq_run "dnsmasq-$dnsmasq_tag-extra.log" full_set --log-queries=extra
# Authoritative mode: queries arriving at 127.0.0.1 are answered as "auth";
# the ones to ::1 are ordinary queries.
dnsmasq_run "dnsmasq-$dnsmasq_tag-auth-extra.log" short_set --log-queries=extra \
  --auth-server=ns.auth.test,127.0.0.1 --auth-zone=auth.test --host-record=a.auth.test,192.0.2.7

# stderr, the "daemontools" case: with --keep-in-foreground dnsmasq prints no timestamp
TZ=UTC dnsmasq "${dnsmasq_common[@]}" --log-queries --log-facility=- 2>"$work/dnsmasq-$dnsmasq_tag-stderr.log" &
dpid=$!
started_pids+=("$dpid")
for i in $(seq 100); do
  kill -0 "$dpid" 2>/dev/null || die "dnsmasq exited during startup (stderr)"
  udp_ready "$DNSMASQ_PORT" && break
  [ "$i" -lt 100 ] || die "dnsmasq did not listen (stderr)"
  sleep 0.1
done
log "dnsmasq stderr: pid $dpid listening"
short_set "$DNSMASQ_PORT"
stop_pid "$dpid"

# --------------------------------------------------------------------------
# 4. unbound
# --------------------------------------------------------------------------
# unbound_conf FILE LOGFILE EXTRA-LINES : writes a config
unbound_conf() {
  local conf=$1 logf=$2 extra=$3
  cat >"$conf" <<EOF
server:
  verbosity: 1
  port: $UNBOUND_PORT
  interface: 127.0.0.1
  interface: ::1
  do-ip6: yes
  access-control: 127.0.0.0/8 allow
  access-control: ::1/128 allow
  chroot: ""
  username: ""
  directory: "$work"
  pidfile: ""
  logfile: "$logf"
  num-threads: 1
  do-not-query-localhost: no
  module-config: "iterator"
  local-zone: "blocked.example." always_nxdomain
  local-data: "host.lan. A 192.0.2.9"
$extra
forward-zone:
  name: "."
  forward-addr: 127.0.0.1@$NAMED_PORT
EOF
  unbound-checkconf "$conf" >/dev/null || die "unbound-checkconf failed for $conf"
}

# formerr_packets PORT: two malformed queries that unbound answers with FORMERR
# and logs as such: a question cut after its first label, and a question whose
# name is a compression pointer to itself.  dig cannot send these.  (A header
# with QDCOUNT 0 or 2 is also answered FORMERR, but not logged by log-replies.)
formerr_packets() {
  command -v python3 >/dev/null 2>&1 || { log "warning: no python3, FORMERR packets not sent"; return 0; }
  python3 - "$1" <<'PYEOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
header = struct.pack('!6H', 0x1236, 0x0100, 1, 0, 0, 0)
for packet in (header + b'\x03www\x07exa',
               header + b'\xc0\x0c' + struct.pack('!HH', 1, 1)):
    s.sendto(packet, ('127.0.0.1', int(sys.argv[1])))
    try:
        s.recv(4096)
    except OSError:
        pass
PYEOF
}

# unbound_run NAME SET EXTRA-LINES : file-logging run; writes $work/NAME
unbound_run() {
  local name=$1 set=$2 extra=$3
  local logf="$work/$name" conf="$work/$name.conf" pid i
  rm -f "$logf"
  unbound_conf "$conf" "$logf" "$extra"
  TZ=UTC unbound -d -c "$conf" 2>"$work/$name.stderr" &
  pid=$!
  started_pids+=("$pid")
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || { cat "$work/$name.stderr" >&2; die "unbound exited during startup ($name)"; }
    udp_ready "$UNBOUND_PORT" && break
    [ "$i" -lt 100 ] || die "unbound did not listen ($name)"
    sleep 0.1
  done
  log "unbound $name: pid $pid listening"
  "$set" "$UNBOUND_PORT"
  case "$name" in
    *ascii.log|*epoch.log)
      q "$UNBOUND_PORT" 127.0.0.1 blocked.example A       # 44 local-zone always_nxdomain
      q "$UNBOUND_PORT" 127.0.0.1 host.lan A              # 45 local-data
      q "$UNBOUND_PORT" ::1 nothere.lan AAAA              # 46 forwarded, REFUSED upstream: SERVFAIL
      ;;
  esac
  case "$name" in
    *ascii.log) formerr_packets "$UNBOUND_PORT" ;;        # 47, 48 malformed: FORMERR replies
  esac
  stop_pid "$pid"
}

both="  log-queries: yes
  log-replies: yes
  log-local-actions: yes
  log-servfail: yes
  use-syslog: no"
unbound_run "unbound-$unbound_tag-ascii.log" full_set "$both
  log-time-ascii: yes"
unbound_run "unbound-$unbound_tag-epoch.log" full_set "$both
  log-time-ascii: no"
unbound_run "unbound-$unbound_tag-tagged.log" short_set "  log-queries: yes
  log-replies: yes
  log-tag-queryreply: yes
  use-syslog: no
  log-time-ascii: yes"
unbound_run "unbound-$unbound_tag-replies-only.log" short_set "  log-queries: no
  log-replies: yes
  use-syslog: no"

# --------------------------------------------------------------------------
# 5. syslog runs, inside a private mount namespace
# --------------------------------------------------------------------------
syslog_ok=0
if command -v unshare >/dev/null 2>&1 && command -v python3 >/dev/null 2>&1; then
  cat >"$work/listener.py" <<'EOF'
# Appends every datagram received on a unix socket as one line, bytes as received
# (a trailing newline or NUL, if any, is dropped so each message is one line).
import os, socket, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
os.chmod(path, 0o666)
open(out + '.ready', 'w').close()
with open(out, 'ab', buffering=0) as f:
    while True:
        data = s.recv(65536)
        f.write(data.rstrip(b'\n').rstrip(b'\0') + b'\n')
EOF
  unbound_conf "$work/unbound-syslog.conf" "" "  log-queries: yes
  log-replies: yes
  use-syslog: yes"
  # The inner script: runs in its own mount namespace; /dev there is a tmpfs
  # holding five bind-mounted device nodes and the log socket.
  cat >"$work/syslog-phase.sh" <<EOF
set -euo pipefail
work="$work"
newdev="\$work/newdev"
mkdir -p "\$newdev"
mount -t tmpfs -o mode=755 tmpfs "\$newdev"
for n in null zero random urandom full; do
  touch "\$newdev/\$n"
  mount --bind "/dev/\$n" "\$newdev/\$n"
done
ln -s /proc/self/fd "\$newdev/fd"
mount --rbind "\$newdev" /dev
pids=()
finish() { local p; for p in "\${pids[@]}"; do kill -TERM "\$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap finish EXIT
$(declare -f q short_set udp_ready)
# run_one NAME COMMAND... : one daemon logging to /dev/log
run_one() {
  local name=\$1; shift
  local out="\$work/\$name" lpid dpid i
  rm -f "\$out" "\$out.ready"
  python3 "\$work/listener.py" /dev/log "\$out" & lpid=\$!
  pids+=("\$lpid")
  for i in \$(seq 100); do [ -e "\$out.ready" ] && break; sleep 0.05; done
  [ -e "\$out.ready" ] || { echo "listener did not start" >&2; exit 1; }
  "\$@" 2>"\$out.stderr" & dpid=\$!
  pids+=("\$dpid")
  for i in \$(seq 100); do udp_ready "\$PORT" && break; sleep 0.1; done
  short_set "\$PORT"
  sleep 0.3
  kill -TERM "\$dpid"; wait "\$dpid" 2>/dev/null || true
  sleep 0.3
  kill -TERM "\$lpid"; wait "\$lpid" 2>/dev/null || true
  rm -f /dev/log "\$out.ready"
}
PORT=$DNSMASQ_PORT run_one "dnsmasq-$dnsmasq_tag-syslog.log" env TZ=UTC dnsmasq $(printf '%q ' "${dnsmasq_common[@]}") --log-queries
PORT=$UNBOUND_PORT run_one "unbound-$unbound_tag-syslog.log" env TZ=UTC unbound -d -c "$work/unbound-syslog.conf"
EOF
  if unshare -m --propagation private bash "$work/syslog-phase.sh"; then
    syslog_ok=1
  else
    log "warning: the syslog runs failed; their fixtures are not updated"
  fi
else
  log "warning: unshare or python3 missing; syslog fixtures not updated"
fi

# --------------------------------------------------------------------------
# 6. copy
# --------------------------------------------------------------------------
mkdir -p "$dnsmasq_out" "$unbound_out"
for f in "$work"/dnsmasq-*.log; do
  [ -s "$f" ] || die "empty capture $f"
  cp "$f" "$dnsmasq_out/"
  chmod 644 "$dnsmasq_out/$(basename "$f")"
done
for f in "$work"/unbound-*.log; do
  [ -s "$f" ] || die "empty capture $f"
  cp "$f" "$unbound_out/"
  chmod 644 "$unbound_out/$(basename "$f")"
done
stop_pid "$named_pid"
log "wrote $(ls "$work"/dnsmasq-*.log | wc -l) dnsmasq and $(ls "$work"/unbound-*.log | wc -l) unbound files (syslog runs: $syslog_ok)"
log "dnsmasq: $dnsmasq_version"
log "unbound: $unbound_version"
