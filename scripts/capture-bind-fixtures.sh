#!/usr/bin/env bash
# capture-bind-fixtures.sh - capture REAL BIND 9 query-log lines for parser tests.
#
# Starts a private, loopback-only, authoritative-only `named` (Debian's bind9
# package) from a throw-away config in a mktemp directory, sends it a fixed set
# of queries with `dig` over 127.0.0.1 and ::1, stops it, and copies the log
# files it wrote into test/fixtures/bind/.  Nothing leaves the machine: named
# listens on loopback only, has no forwarders and no DNSSEC validation, and is
# authoritative-only (`recursion no`; in run 2 one view has `recursion yes`
# but `allow-recursion { none; }` and a root hint of 127.0.0.1, only so that
# "query (cache) ... denied" lines get logged).
#
# Every line in the output files was written by named itself; the script only
# truncates the files once after the startup readiness probes.
#
# Two named runs:
#   run 1 (no views, TZ=UTC)  -> named-9.18-category-severity.log
#                                named-9.18-plain.log
#   run 2 (two views, TZ=Asia/Kolkata, smaller query set)
#                             -> named-9.18-iso8601-utc.log
#                                named-9.18-iso8601-local.log
#                                named-9.18-mixed-categories.log
#
# Usage: sudo scripts/capture-bind-fixtures.sh [OUTPUT_DIR]
#   OUTPUT_DIR defaults to <repo>/test/fixtures/bind.
#   PORT=NNNNN overrides the DNS port (default: first free port from 53530).
#   KEEP_WORK=1 keeps the temp dir (named.conf, zone files, named.run) for
#   inspection.
#
# Rerunnable and idempotent: every run starts from a fresh temp dir and
# overwrites only the five named-9.18-*.log files in OUTPUT_DIR (timestamps,
# client ports and the @0x client pointers naturally differ between runs).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out_dir="${1:-$repo/test/fixtures/bind}"

log() { printf '[capture-bind] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# --------------------------------------------------------------------------
# 0. prerequisites
# --------------------------------------------------------------------------
if ! command -v named >/dev/null 2>&1 || ! command -v dig >/dev/null 2>&1 \
   || ! command -v rndc >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || die "bind9/bind9-dnsutils missing and not root"
  log "installing bind9 bind9-dnsutils"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq bind9 bind9-dnsutils >/dev/null
fi
for tool in named dig rndc rndc-confgen tsig-keygen nsupdate; do
  command -v "$tool" >/dev/null 2>&1 || die "missing $tool"
done
named_version="$(named -v)"
log "using: $named_version"

port_in_use() {
  # true when something listens on TCP or UDP port $1 (any address)
  command -v ss >/dev/null 2>&1 || return 1
  [ -n "$(ss -Hlntu "( sport = :$1 )" 2>/dev/null)" ]
}
pick_port() {
  local p=$1
  while port_in_use "$p"; do p=$((p + 1)); done
  printf '%s\n' "$p"
}
PORT="${PORT:-$(pick_port 53530)}"
CTRL_PORT="$(pick_port $((PORT + 1)))"
log "DNS port $PORT, control port $CTRL_PORT"

# named drops to user bind if it exists and we are root; otherwise run as is.
run_user=()
if [ "$(id -u)" -eq 0 ] && id bind >/dev/null 2>&1; then run_user=(-u bind); fi

work="$(mktemp -d /tmp/tunnelwatch-bind.XXXXXX)"
named_pid=""
cleanup() {
  if [ -n "$named_pid" ] && kill -0 "$named_pid" 2>/dev/null; then
    kill -TERM "$named_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$named_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$named_pid" 2>/dev/null || true
  fi
  if [ -n "${KEEP_WORK:-}" ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# --------------------------------------------------------------------------
# 1. keys and zones (shared by both runs)
# --------------------------------------------------------------------------
rndc-confgen -a -A hmac-sha256 -k tw-rndc -c "$work/rndc.key" >/dev/null 2>&1
TSIG_SECRET="$(printf 'tunnelwatch-fixture-tsig-key-32b' | base64)"
cat >"$work/tsig.key" <<EOF
key "tw-tsig" { algorithm hmac-sha256; secret "$TSIG_SECRET"; };
EOF

write_zones() {
  # $1 = directory to write the zone files into
  local d=$1
  mkdir -p "$d"
  cat >"$d/example.com.zone" <<'EOF'
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
  cat >"$d/t.example.net.zone" <<'EOF'
$TTL 0
@         IN SOA ns1.t.example.net. hostmaster.t.example.net. 1 3600 600 86400 0
          IN NS  ns1.t.example.net.
ns1       IN A   192.0.2.54
*         IN TXT "tunnel"
*         IN NULL \# 3 010203
EOF
  cat >"$d/reverse-v4.zone" <<'EOF'
$TTL 300
@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
  IN NS  ns1.example.com.
4 IN PTR www.example.com.
EOF
  cat >"$d/reverse-v6.zone" <<'EOF'
$TTL 300
@ IN SOA ns1.example.com. hostmaster.example.com. 1 3600 600 86400 300
  IN NS  ns1.example.com.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 IN PTR www.example.com.
EOF
}

zone_block() {
  # $1 = directory holding the zone files
  cat <<EOF
  zone "example.com" { type primary; file "$1/example.com.zone"; };
  zone "t.example.net" { type primary; file "$1/t.example.net.zone"; };
  zone "3.2.1.in-addr.arpa" { type primary; file "$1/reverse-v4.zone"; };
  zone "8.b.d.0.1.0.0.2.ip6.arpa" { type primary; file "$1/reverse-v6.zone"; };
EOF
}

options_block() {
  # $1 = working directory of this run
  cat <<EOF
include "$work/rndc.key";
include "$work/tsig.key";
controls { inet 127.0.0.1 port $CTRL_PORT allow { 127.0.0.1; } keys { "tw-rndc"; }; };
options {
  directory "$1";
  pid-file "$1/named.pid";
  session-keyfile "$1/session.key";
  managed-keys-directory "$1";
  listen-on port $PORT { 127.0.0.1; };
  listen-on-v6 port $PORT { ::1; };
  recursion no;
  allow-recursion { none; };
  dnssec-validation no;
  notify no;
  querylog yes;
  allow-transfer { none; };
  version "tunnelwatch-fixture";
  hostname "ns1.fixture.invalid";
  server-id none;
};
EOF
}

# --------------------------------------------------------------------------
# 2. named lifecycle
# --------------------------------------------------------------------------
start_named() {
  # $1 = run dir, $2 = TZ for named
  local d=$1 tz=$2
  if [ ${#run_user[@]} -gt 0 ]; then chown -R bind:bind "$work"; fi
  named-checkconf "$d/named.conf" || die "named-checkconf failed for $d/named.conf"
  # -f: foreground, but honour the logging statement (-g would force all
  # logging to stderr and ignore our channels).
  TZ="$tz" named -f -c "$d/named.conf" "${run_user[@]}" >"$d/named.stderr" 2>&1 &
  named_pid=$!
  local i
  for i in $(seq 100); do
    if ! kill -0 "$named_pid" 2>/dev/null; then
      cat "$d/named.stderr" "$d/named.run" >&2 2>/dev/null || true
      die "named exited during startup"
    fi
    if dig -p "$PORT" @127.0.0.1 +short +time=1 +tries=1 example.com SOA >/dev/null 2>&1 \
       && dig -p "$PORT" @::1 +short +time=1 +tries=1 example.com SOA >/dev/null 2>&1; then
      log "named pid $named_pid is answering (after $i tries)"
      return 0
    fi
    sleep 0.2
  done
  die "named did not answer on port $PORT"
}

stop_named() {
  rndc -k "$work/rndc.key" -s 127.0.0.1 -p "$CTRL_PORT" stop >/dev/null 2>&1 \
    || kill -TERM "$named_pid"
  local i
  for i in $(seq 100); do
    kill -0 "$named_pid" 2>/dev/null || { named_pid=""; return 0; }
    sleep 0.1
  done
  log "named pid $named_pid did not stop after rndc stop; sending TERM"
  kill -TERM "$named_pid" 2>/dev/null || true
  wait "$named_pid" 2>/dev/null || true
  named_pid=""
}

# q SERVER ARGS... : one query; answers are irrelevant, only named's log matters
q() {
  local server=$1; shift
  dig -p "$PORT" "@$server" +time=2 +tries=1 "$@" >/dev/null 2>&1 || true
}

# names built from pieces -------------------------------------------------
rep() { local s=""; local i; for ((i = 0; i < $2; i++)); do s+="$1"; done; printf '%s' "$s"; }
label63="$(rep a 53)0123456789"                              # exactly 63 bytes
# 63+1+63+1+63+1+47+1 + len("t.example.net")=13 -> 253 characters, the maximum
name253="$(rep b 63).$(rep c 63).$(rep d 63).$(rep e 47).t.example.net"
# every byte 0..31, \127, and 128..255, as dig \DDD escapes, in <=63-byte labels
esc_range() { local s="" i; for ((i = $1; i <= $2; i++)); do s+="$(printf '\\%03d' "$i")"; done; printf '%s' "$s"; }
ctl_label="$(esc_range 0 31)"                               # 32 bytes
hi1="$(esc_range 127 127)$(esc_range 128 159)"              # 33 bytes
hi2="$(esc_range 160 191)"                                  # 32 bytes
hi3="$(esc_range 192 223)"                                  # 32 bytes
hi4="$(esc_range 224 255)"                                  # 32 bytes

# --------------------------------------------------------------------------
# 3. run 1: no views; category+severity channel and time-only channel
# --------------------------------------------------------------------------
run1="$work/run1"
write_zones "$run1"
{
  options_block "$run1"
  cat <<EOF
logging {
  channel tw_cat_sev {
    file "$run1/named-9.18-category-severity.log";
    severity info;
    print-time yes;
    print-category yes;
    print-severity yes;
  };
  channel tw_plain {
    file "$run1/named-9.18-plain.log";
    severity info;
    print-time yes;
  };
  category queries { tw_cat_sev; tw_plain; };
  channel tw_default { file "$run1/named.run"; severity info; print-time yes; print-category yes; print-severity yes; };
  category default { tw_default; };
};
EOF
  zone_block "$run1"
} >"$run1/named.conf"

log "run 1: starting named"
start_named "$run1" UTC
# The readiness probes above are logged too; truncate so the fixtures start
# with the query list below.  (named opened the files with O_APPEND.)
: >"$run1/named-9.18-category-severity.log"
: >"$run1/named-9.18-plain.log"

log "run 1: sending queries"
# ordinary names and types, IPv4 and IPv6 clients
q 127.0.0.1 www.example.com A
q ::1       www.example.com AAAA
q 127.0.0.1 example.com MX
q ::1       example.com TXT
q 127.0.0.1 _sip._udp.example.com SRV
q 127.0.0.1 alias.example.com CNAME
q 127.0.0.1 example.com ANY
q ::1       example.com ANY +tcp
q 127.0.0.1 -x 1.2.3.4                                    # 4.3.2.1.in-addr.arpa PTR
q ::1       -x 2001:db8::1                                # ip6.arpa nibble name PTR
q 127.0.0.1 4.3.2.1.in-addr.arpa PTR +norec
q 127.0.0.1 www.example.com TYPE1                         # known type given by number
q 127.0.0.1 blob.example.com TYPE65399                    # unknown types
q ::1       blob.example.com TYPE65534
q 127.0.0.1 example.com TYPE65534 +tcp
q 127.0.0.1 version.bind CH TXT                           # class CHAOS
q ::1       hostname.bind CH TXT
q 127.0.0.1 example.com CLASS42 A                         # unknown class: NOTIMP, NOT logged
q 127.0.0.1 example.com HS A                              # Hesiod class: REFUSED (no view), NOT logged
q 127.0.0.1 nothere.example.org A                         # outside our zones (REFUSED)
# header / EDNS flag variations
q 127.0.0.1 www.example.com A +noedns
q 127.0.0.1 www.example.com A +norec
q 127.0.0.1 www.example.com A +norec +noedns
q 127.0.0.1 www.example.com A +cd
q 127.0.0.1 www.example.com A +dnssec
q 127.0.0.1 www.example.com A +dnssec +cd +tcp
q ::1       www.example.com A +tcp +norec +noedns
q 127.0.0.1 www.example.com A +nocookie
q 127.0.0.1 www.example.com A +edns=1 +noednsneg          # EDNS version 1: BADVERS, NOT logged
q 127.0.0.1 www.example.com A +subnet=198.51.100.0/24     # EDNS client subnet
q ::1       www.example.com AAAA +subnet=2001:db8:1234::/48
q 127.0.0.1 www.example.com A +subnet=0                   # ECS 0/0 opt-out
q 127.0.0.1 www.example.com A -y "hmac-sha256:tw-tsig:$TSIG_SECRET"   # TSIG signed
q ::1       www.example.com A -y "hmac-sha256:tw-tsig:$TSIG_SECRET" +tcp +dnssec
# a valid server cookie (V): repeat the server's cookie back to it
cookie="$(dig -p "$PORT" @127.0.0.1 +time=2 +tries=1 www.example.com A 2>/dev/null \
          | sed -n 's/^; COOKIE: \([0-9a-f]*\).*/\1/p' | head -n1 || true)"
if [ -n "$cookie" ]; then q 127.0.0.1 www.example.com A "+cookie=$cookie"; fi
# mixed case (DNS 0x20) names
q 127.0.0.1 wWw.ExAmPlE.CoM A +nocookie
q ::1       WWW.EXAMPLE.COM AAAA
q 127.0.0.1 VaAaAkAtEfY.T.eXaMpLe.NeT NULL
# tunnel-tool-looking names
q 127.0.0.1 vaaaakatefy.t.example.net NULL                # iodine version handshake
q 127.0.0.1 yrbqhavlp.t.example.net NULL                  # iodine
q 127.0.0.1 paaaabshd2mfqpnutsxzgqs3bmvz2c4tsmfzgk2ltnbxwmzlpmfzhg.t.example.net NULL
q ::1       0afsbmzaaaaaaaaaayaaaaaaaa.t.example.net NULL +norec
q 127.0.0.1 'lbaab\190\191\205\230\231\232\233\234\235\236\237\238\239\240\241\242\243\244\245\246\247\248\249\250\251\252\253.t.example.net' NULL   # iodine raw/Base128
q 127.0.0.1 dnscat.4a1b0100b3a0de1e00000000000000000000000000 TXT
q 127.0.0.1 dnscat.4a1b0100b3a0de1e00000000000000000000000000.t.example.net CNAME
q ::1       4a1b0100b3a0de1e0000000000000000.t.example.net MX
q 127.0.0.1 AAAAAJ6KAA.=auth.t.example.net TXT             # dns2tcp
q 127.0.0.1 AAAAAJ6KAA.=auth.t.example.net KEY
q 127.0.0.1 'AAAAAJ6KAA.=connect.t.example.net' KEY
q 127.0.0.1 gzbbgojfhewxbhp6v7ezs2cmyrcyaayd.t.example.net TXT +tcp
# escaped bytes (iodine raw / Base128 style and hostile)
q 127.0.0.1 "$ctl_label.t.example.net" NULL               # bytes 0..31
q 127.0.0.1 "$hi1.t.example.net" NULL                     # 127, 128..159
q 127.0.0.1 "$hi2.t.example.net" NULL                     # 160..191
q ::1       "$hi3.t.example.net" NULL                     # 192..223
q ::1       "$hi4.t.example.net" NULL +tcp                # 224..255
q 127.0.0.1 'a\.b.t.example.net' TXT                      # dot inside a label
q 127.0.0.1 'back\\slash.t.example.net' TXT
q 127.0.0.1 'quo\"te.t.example.net' TXT
q 127.0.0.1 'pa\(re\)n.t.example.net' TXT
q 127.0.0.1 'semi\;colon.t.example.net' TXT
q 127.0.0.1 'at\@sign.t.example.net' TXT
q 127.0.0.1 'dol\$lar.t.example.net' TXT
q 127.0.0.1 'spa\032ce.t.example.net' TXT
q 127.0.0.1 'all\.\\\"\(\)\;\@\$\032\009\127.t.example.net' TXT
q 127.0.0.1 'punct!#%&*+,-/:<=>?[]^_`{|}~x.t.example.net' TXT
q 127.0.0.1 'uni\195\169\226\130\172.t.example.net' TXT   # UTF-8 e-acute, euro sign
q 127.0.0.1 '\000.t.example.net' A                        # single NUL label
q 127.0.0.1 '\042.t.example.net' A                        # a literal '*' label
# length extremes
q 127.0.0.1 "$label63.t.example.net" TXT                  # 63-byte label
q ::1       "$name253" TXT                                # 253-character name
q 127.0.0.1 "$name253" TXT +tcp
q 127.0.0.1 . NS                                          # the root name
q 127.0.0.1 . SOA +norec +noedns

stop_named
log "run 1: named stopped"

# --------------------------------------------------------------------------
# 4. run 2: two views; ISO 8601 channels and a multi-category channel
# --------------------------------------------------------------------------
run2="$work/run2"
write_zones "$run2/v4"
write_zones "$run2/v6"
printf '. 3600000 NS a.root.invalid.\na.root.invalid. 3600000 A 127.0.0.1\n' >"$run2/root.hint"
{
  options_block "$run2"
  cat <<EOF
logging {
  channel tw_iso_utc {
    file "$run2/named-9.18-iso8601-utc.log";
    severity info;
    print-time iso8601-utc;
    print-category yes;
    print-severity yes;
  };
  channel tw_iso_local {
    file "$run2/named-9.18-iso8601-local.log";
    severity info;
    print-time iso8601;
    print-severity yes;
  };
  channel tw_mixed {
    file "$run2/named-9.18-mixed-categories.log";
    severity info;
    print-time yes;
    print-category yes;
    print-severity yes;
  };
  category queries { tw_iso_utc; tw_iso_local; tw_mixed; };
  category security { tw_mixed; };
  category update-security { tw_mixed; };
  category xfer-out { tw_mixed; };
  category query-errors { tw_mixed; };
  category client { tw_mixed; };
  channel tw_default { file "$run2/named.run"; severity info; print-time yes; print-category yes; print-severity yes; };
  category default { tw_default; };
};
view "loopback-v4" {
  match-clients { 127.0.0.1; };
EOF
  zone_block "$run2/v4"
  cat <<EOF
};
view "everyone-else" {
  match-clients { any; };
  // Recursion is switched on here only so that cache queries are *denied*
  // and logged ("query (cache) ... denied").  No client may recurse, and the
  // only root hint is 127.0.0.1 (port 53, where nothing of ours listens), so
  // even a priming query could not leave the machine.
  recursion yes;
  allow-recursion { none; };
  allow-query-cache { none; };
  zone "." { type hint; file "$run2/root.hint"; };
EOF
  zone_block "$run2/v6"
  echo "};"
} >"$run2/named.conf"

log "run 2: starting named (views, TZ=Asia/Kolkata)"
start_named "$run2" Asia/Kolkata
: >"$run2/named-9.18-iso8601-utc.log"
: >"$run2/named-9.18-iso8601-local.log"
: >"$run2/named-9.18-mixed-categories.log"

log "run 2: sending queries"
q 127.0.0.1 www.example.com A
q ::1       www.example.com AAAA
q 127.0.0.1 example.com MX +noedns
q ::1       example.com TXT +tcp +norec
q 127.0.0.1 -x 1.2.3.4
q ::1       -x 2001:db8::1
q 127.0.0.1 blob.example.com TYPE65399
q 127.0.0.1 version.bind CH TXT
q 127.0.0.1 vaaaakatefy.t.example.net NULL
q ::1       AAAAAJ6KAA.=auth.t.example.net KEY
q 127.0.0.1 "$ctl_label.t.example.net" NULL
q ::1       "$hi4.t.example.net" NULL
q 127.0.0.1 'all\.\\\"\(\)\;\@\$\032\009\127.t.example.net' TXT
q 127.0.0.1 www.example.com A +subnet=198.51.100.0/24 +dnssec +cd
q 127.0.0.1 www.example.com A -y "hmac-sha256:tw-tsig:$TSIG_SECRET"
q 127.0.0.1 nothere.example.org A                         # not ours, recursion no: REFUSED (query-errors)
q ::1       nothere.example.org A +norec                  # recursive view: "query (cache) ... denied"
q ::1       www.example.net MX
q 127.0.0.1 example.com AXFR                              # transfer denied
q ::1       example.com IXFR=0
# a dynamic update that is refused (update-security category)
printf 'server 127.0.0.1 %s\nzone example.com\nupdate add evil.example.com 60 A 192.0.2.66\nsend\n' "$PORT" \
  | nsupdate -t 3 >/dev/null 2>&1 || true

stop_named
log "run 2: named stopped"

# --------------------------------------------------------------------------
# 5. copy the captures
# --------------------------------------------------------------------------
mkdir -p "$out_dir"
for f in "$run1/named-9.18-category-severity.log" "$run1/named-9.18-plain.log" \
         "$run2/named-9.18-iso8601-utc.log" "$run2/named-9.18-iso8601-local.log" \
         "$run2/named-9.18-mixed-categories.log"; do
  [ -s "$f" ] || die "$f is empty"
  install -m 0644 "$f" "$out_dir/$(basename "$f")"
  log "wrote $out_dir/$(basename "$f") ($(wc -l <"$f") lines)"
done
log "named version: $named_version"
