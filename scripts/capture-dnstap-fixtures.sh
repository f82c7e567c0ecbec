#!/usr/bin/env bash
# capture-dnstap-fixtures.sh - capture REAL dnstap Frame Streams files from BIND 9.
#
# Two private `named` processes (Debian's bind9 package, built with
# --enable-dnstap), loopback only, from a throw-away config in a mktemp dir:
#
#   authority  127.0.53.2 port 53: serves a tiny root zone "." that delegates
#              example.com and t.example.net to itself, and those two zones.
#              dnstap { auth; }      -> auth.dnstap
#   resolver   127.0.0.1 and ::1 port $PORT: recursion yes, root hint
#              127.0.53.2, no DNSSEC validation, no forwarders.
#              dnstap { client; resolver; auth; }  -> resolver.dnstap
#
# dig sends a fixed list of queries to the resolver (several types, NXDOMAIN,
# REFUSED upstream -> SERVFAIL, TCP, IPv6, a cached repeat, 0x20 case, escaped
# bytes); the resolver asks the authority, so resolver.dnstap holds
# CLIENT_QUERY/CLIENT_RESPONSE and RESOLVER_QUERY/RESOLVER_RESPONSE messages
# and auth.dnstap AUTH_QUERY/AUTH_RESPONSE messages.  Nothing leaves the
# machine: the only root hint is the authority on 127.0.53.2.
#
# Both named are stopped (rndc stop) so their Frame Streams writers finish
# the files (STOP frame), then `dnstap-read -y` prints each file as YAML
# (*.dnstap.yaml, times to the second) and `dnstap-read` one line per
# message (*.dnstap.txt, times to the millisecond, TZ=UTC): the tests compare
# the decoder's events with that text.
#
# Usage: sudo scripts/capture-dnstap-fixtures.sh [OUTPUT_DIR]
#   OUTPUT_DIR defaults to <repo>/test/fixtures/dnstap.
#   PORT=NNNNN overrides the resolver's port (default: first free from 53630).
#   KEEP_WORK=1 keeps the temp dir (named.conf files, zones, named.run).
#
# Rerunnable: every run starts from a fresh temp dir and overwrites the six
# files it writes (times, client ports and DNS ids differ between runs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out_dir="${1:-$repo/test/fixtures/dnstap}"

log() { printf '[capture-dnstap] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --------------------------------------------------------------------------
# 0. prerequisites
# --------------------------------------------------------------------------
if ! command -v named >/dev/null 2>&1 || ! command -v dig >/dev/null 2>&1 \
   || ! command -v dnstap-read >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "bind9/bind9-dnsutils missing and not root"
  log "installing bind9 bind9-dnsutils"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq bind9 bind9-dnsutils >/dev/null
fi
for tool in named dig rndc rndc-confgen dnstap-read named-checkconf; do
  command -v "$tool" >/dev/null 2>&1 || die "missing $tool"
done
named -V | grep -q -- '--enable-dnstap' || die "this named was built without dnstap"
named_version="$(named -v)"
log "using: $named_version"

port_in_use() {
  command -v ss >/dev/null 2>&1 || return 1
  [ -n "$(ss -Hlntu "( sport = :$1 )" 2>/dev/null)" ]
}
pick_port() {
  local p=$1
  while port_in_use "$p"; do p=$((p + 1)); done
  printf '%s\n' "$p"
}
AUTH_ADDR=127.0.53.2
# named answers only on addresses of an interface (127.0.0.0/8 being routed to
# lo is not enough), and a resolver always asks port 53: the authority gets an
# address of its own on lo for the run, removed again at exit.
added_addr=""
if [ -n "$(ss -Hlntu "( src $AUTH_ADDR and sport = :53 )" 2>/dev/null)" ]; then
  die "$AUTH_ADDR port 53 is taken"
fi
PORT="${PORT:-$(pick_port 53630)}"
RES_CTRL="$(pick_port $((PORT + 1)))"
AUTH_CTRL="$(pick_port $((RES_CTRL + 1)))"
log "resolver port $PORT, control ports $RES_CTRL (resolver) $AUTH_CTRL (authority)"

run_user=()
if [ "$(id -u)" -eq 0 ] && id bind >/dev/null 2>&1; then run_user=(-u bind); fi

work="$(mktemp -d /tmp/tunnelwatch-dnstap.XXXXXX)"
pids=()
cleanup() {
  local p
  for p in "${pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
      kill -KILL "$p" 2>/dev/null || true
    fi
  done
  if [ -n "$added_addr" ]; then ip addr del "$AUTH_ADDR/32" dev lo 2>/dev/null || true; fi
  if [ -n "${KEEP_WORK:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
if ! ip -4 addr show dev lo | grep -q "inet $AUTH_ADDR/"; then
  [ "$(id -u)" -eq 0 ] || die "adding $AUTH_ADDR to lo needs root"
  ip addr add "$AUTH_ADDR/32" dev lo
  added_addr=1
fi

rndc-confgen -a -A hmac-sha256 -k tw-rndc -c "$work/rndc.key" >/dev/null 2>&1

# --------------------------------------------------------------------------
# 1. the authority: root zone + example.com + t.example.net
# --------------------------------------------------------------------------
auth="$work/auth"
mkdir -p "$auth"
cat >"$auth/root.zone" <<EOF
\$TTL 3600
@               IN SOA a.root.invalid. hostmaster.invalid. 1 3600 600 86400 300
                IN NS  a.root.invalid.
a.root.invalid. IN A   $AUTH_ADDR
example.com.    IN NS  ns1.example.com.
ns1.example.com. IN A  $AUTH_ADDR
t.example.net.  IN NS  ns1.t.example.net.
ns1.t.example.net. IN A $AUTH_ADDR
EOF
cat >"$auth/example.com.zone" <<EOF
\$TTL 300
@         IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
          IN NS  ns1.example.com.
          IN MX  10 mail.example.com.
          IN TXT "v=spf1 -all"
ns1       IN A   $AUTH_ADDR
www       IN A   192.0.2.80
www       IN A   192.0.2.81
www       IN AAAA 2001:db8::80
mail      IN A   192.0.2.25
alias     IN CNAME www.example.com.
EOF
cat >"$auth/t.example.net.zone" <<EOF
\$TTL 0
@         IN SOA ns1.t.example.net. hostmaster.t.example.net. 1 3600 600 86400 0
          IN NS  ns1.t.example.net.
ns1       IN A   $AUTH_ADDR
*         IN TXT "tunnel"
*         IN NULL \# 3 010203
EOF
cat >"$auth/named.conf" <<EOF
include "$work/rndc.key";
controls { inet 127.0.0.1 port $AUTH_CTRL allow { 127.0.0.1; } keys { "tw-rndc"; }; };
options {
  directory "$auth";
  pid-file "$auth/named.pid";
  session-keyfile "$auth/session.key";
  managed-keys-directory "$auth";
  listen-on port 53 { $AUTH_ADDR; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-transfer { none; };
  dnstap { auth; };
  dnstap-output file "$auth/auth.dnstap";
  dnstap-identity "tw-authority";
  dnstap-version "tunnelwatch-fixture";
};
logging { channel tw_default { file "$auth/named.run"; severity info; print-time yes; }; category default { tw_default; }; };
zone "." { type primary; file "$auth/root.zone"; };
zone "example.com" { type primary; file "$auth/example.com.zone"; };
zone "t.example.net" { type primary; file "$auth/t.example.net.zone"; };
EOF

# --------------------------------------------------------------------------
# 2. the resolver
# --------------------------------------------------------------------------
res="$work/resolver"
mkdir -p "$res"
printf '. 3600000 NS a.root.invalid.\na.root.invalid. 3600000 A %s\n' "$AUTH_ADDR" >"$res/root.hint"
cat >"$res/named.conf" <<EOF
include "$work/rndc.key";
controls { inet 127.0.0.1 port $RES_CTRL allow { 127.0.0.1; } keys { "tw-rndc"; }; };
options {
  directory "$res";
  pid-file "$res/named.pid";
  session-keyfile "$res/session.key";
  managed-keys-directory "$res";
  listen-on port $PORT { 127.0.0.1; };
  listen-on-v6 port $PORT { ::1; };
  query-source address 127.0.0.1;
  recursion yes;
  allow-recursion { 127.0.0.1; ::1; };
  dnssec-validation no;
  qname-minimization off;
  notify no;
  dnstap { client; resolver; auth; };
  dnstap-output file "$res/resolver.dnstap";
  dnstap-identity "tw-resolver";
  dnstap-version "tunnelwatch-fixture";
};
logging { channel tw_default { file "$res/named.run"; severity info; print-time yes; }; category default { tw_default; }; };
zone "." { type hint; file "$res/root.hint"; };
EOF

start_named() {
  # $1 = dir (holding named.conf)
  local d=$1
  if [ ${#run_user[@]} -gt 0 ]; then chown -R bind:bind "$work"; fi
  named-checkconf "$d/named.conf" || die "named-checkconf failed for $d/named.conf"
  TZ=UTC named -f -c "$d/named.conf" "${run_user[@]}" >"$d/named.stderr" 2>&1 &
  local pid=$!
  pids+=("$pid")
  local i
  for i in $(seq 100); do
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$d/named.stderr" "$d/named.run" >&2 2>/dev/null || true
      die "named ($d) exited during startup"
    fi
    if [ -s "$d/named.pid" ] && grep -q 'running' "$d/named.run" 2>/dev/null; then
      log "named ($d) pid $pid is running (after $i tries)"
      return 0
    fi
    sleep 0.2
  done
  die "named ($d) did not start"
}

stop_named() {
  # $1 = control port, $2 = dir
  rndc -k "$work/rndc.key" -s 127.0.0.1 -p "$1" stop >/dev/null 2>&1 || true
  local i
  for i in $(seq 100); do
    [ -s "$2/named.pid" ] || return 0
    sleep 0.1
  done
  log "named ($2) did not stop after rndc stop"
}

log "starting the authority"
start_named "$auth"
log "starting the resolver"
start_named "$res"

q() {
  dig -p "$PORT" "@$1" +time=3 +tries=1 "${@:2}" >/dev/null 2>&1 || true
}

log "sending queries"
q 127.0.0.1 www.example.com A
q ::1       www.example.com AAAA
q 127.0.0.1 www.example.com A                      # cached: no resolver query
q 127.0.0.1 example.com MX
q ::1       example.com TXT +tcp
q 127.0.0.1 alias.example.com A                    # CNAME chain
q 127.0.0.1 nothere.example.com A                  # NXDOMAIN
q ::1       nothere.example.com AAAA +tcp          # NXDOMAIN, cached
q 127.0.0.1 WwW.ExAmPlE.cOm A +nocookie            # 0x20 case, cached
q 127.0.0.1 paaaabshd2mfqpnutsxzgqs3bmvz2c4tsmfzgk2ltnbxwmzlpmfzhg.t.example.net NULL
q 127.0.0.1 4a1b0100b3a0de1e00000000000000000000000000.t.example.net TXT
q ::1       gzbbgojfhewxbhp6v7ezs2cmyrcyaayd.t.example.net TXT +tcp
q 127.0.0.1 'a\.b\200\\c.t.example.net' TXT        # dot, 8-bit byte and backslash in a label
q 127.0.0.1 www.example.org A                      # not delegated: NXDOMAIN from the root
q 127.0.0.1 example.com SOA +norec                 # no recursion wanted: answered from cache or REFUSED
q 127.0.0.1 blob.example.com TYPE65399

stop_named "$RES_CTRL" "$res"
stop_named "$AUTH_CTRL" "$auth"
log "both named stopped"

# --------------------------------------------------------------------------
# 3. copy the captures and dnstap-read's view of them
# --------------------------------------------------------------------------
mkdir -p "$out_dir"
for f in "$res/resolver.dnstap" "$auth/auth.dnstap"; do
  [ -s "$f" ] || die "$f is empty"
  base="bind-9.18-$(basename "$f")"
  install -m 0644 "$f" "$out_dir/$base"
  dnstap-read -y "$f" >"$out_dir/$base.yaml"
  TZ=UTC dnstap-read "$f" >"$out_dir/$base.txt"
  log "wrote $out_dir/$base ($(stat -c %s "$f") bytes, $(grep -c '^type: MESSAGE' "$out_dir/$base.yaml") messages)"
done
log "named version: $named_version"
