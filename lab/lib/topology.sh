# shellcheck shell=bash
# The lab's namespaces, links, name servers and safety checks: `up`, `down`,
# `check-safety`. Sourced by lab.sh after common.sh.
#
#   twlab-client ──tw-c0═tw-r0── twlab-resolver ──tw-r1═tw-a0── twlab-auth      (root, TLDs, in-addr.arpa, sites)
#   10.77.1.0/24                 (no forwarding)  ──tw-r2═tw-x0── twlab-attacker  (attacker NS, tunnel servers)
#   fd77:1::/64                                    10.77.2.0/24 / 10.77.3.0/24
#
# The client reaches nothing but the resolver; the resolver does not forward
# packets, so the attacker is reachable from the client only through DNS.
# No namespace has a default route or a link to the host's namespace.

WATCH_FILTER='(ip and not dst net 10.77.0.0/16 and not dst net 127.0.0.0/8) or (ip6 and not dst net fd77::/16 and not dst net fe80::/10 and not dst net ff02::/16 and not dst host ::1)'

# Namespace names are global to the machine, and `down` stops every process
# inside the lab's namespaces: the lab that built them (its state directory,
# written here by `up`) is the only one that may tear them down, so a second
# checkout's `up` or `down` cannot stop a lab another one is running.
LAB_OWNER_FILE=${LAB_OWNER_FILE:-/run/tunnelwatch-lab/owner}

any_lab_namespace() {
  local ns
  for ns in "${LAB_NAMESPACES[@]}"; do
    ip netns list 2>/dev/null | grep -q "^$ns\b" && return 0
  done
  return 1
}

# Fails when the lab's namespaces exist and belong to another lab that is
# still there (its state directory exists). LAB_TAKEOVER=1 overrides.
assert_lab_is_ours() {
  local owner
  owner=$(cat "$LAB_OWNER_FILE" 2>/dev/null || true)
  [ -z "$owner" ] || [ "$owner" = "$STATE" ] || [ -n "${LAB_TAKEOVER:-}" ] && return 0
  any_lab_namespace || return 0
  [ -d "$owner" ] || return 0
  die "the lab's namespaces belong to another lab (state in $owner): run 'lab.sh down' from that checkout, or set LAB_TAKEOVER=1 to stop it from here"
}

topology_down() {
  local ns pid pids i
  assert_lab_is_ours
  for ns in "${LAB_NAMESPACES[@]}"; do
    ip netns list 2>/dev/null | grep -q "^$ns\b" || continue
    # Every process inside a lab namespace was started by the lab.
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    for i in $(seq 50); do
      pids=$(ip netns pids "$ns" 2>/dev/null || true)
      [ -z "$pids" ] && break
      sleep 0.1
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
  [ "$(cat "$LAB_OWNER_FILE" 2>/dev/null || true)" = "$STATE" ] && rm -f "$LAB_OWNER_FILE"
  rm -rf "$STATE"
}

make_namespaces() {
  local ns
  for ns in "${LAB_NAMESPACES[@]}"; do
    ip netns add "$ns"
    in_ns "$ns" ip link set lo up
    # No router advertisements, no autoconfiguration; forwarding stays off.
    in_ns "$ns" sysctl -q -w net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
      net.ipv6.conf.default.router_solicitations=0 net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0
  done
  # IPv6 only where the clients use it (client ↔ resolver).
  for ns in "$NS_AUTH" "$NS_ATTACKER"; do
    in_ns "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done

  # veth pairs are created inside the namespaces: no end ever exists in the host's namespace.
  ip link add tw-c0 netns "$NS_CLIENT" type veth peer name tw-r0 netns "$NS_RESOLVER"
  ip link add tw-r1 netns "$NS_RESOLVER" type veth peer name tw-a0 netns "$NS_AUTH"
  ip link add tw-r2 netns "$NS_RESOLVER" type veth peer name tw-x0 netns "$NS_ATTACKER"
  in_ns "$NS_RESOLVER" sysctl -q -w net.ipv6.conf.tw-r1.disable_ipv6=1 net.ipv6.conf.tw-r2.disable_ipv6=1

  local a s
  # client: victims first (10.77.1.10 is the primary, default source), then workstations, mail gateway, AV appliance
  for a in "${VICTIMS[@]}" "${WORKSTATIONS[@]}" "$MAIL_GATEWAY" "$AV_APPLIANCE"; do
    in_ns "$NS_CLIENT" ip addr add "$a/24" dev tw-c0
  done
  in_ns "$NS_CLIENT" ip addr add "$WORKSTATION6/64" dev tw-c0 nodad
  for s in "${SCENARIOS[@]}"; do
    in_ns "$NS_RESOLVER" ip addr add "${RESOLVER_ADDR[$s]}/24" dev tw-r0
    in_ns "$NS_RESOLVER" ip addr add "${RESOLVER_ADDR6[$s]}/64" dev tw-r0 nodad
  done
  in_ns "$NS_RESOLVER" ip addr add 10.77.2.1/24 dev tw-r1
  in_ns "$NS_RESOLVER" ip addr add 10.77.3.1/24 dev tw-r2
  for a in "$ROOT_SERVER" "$TLD_SERVER" "$INADDR_SERVER" "$SITES_SERVER"; do
    in_ns "$NS_AUTH" ip addr add "$a/24" dev tw-a0
  done
  in_ns "$NS_ATTACKER" ip addr add "$ATTACKER_NS/24" dev tw-x0
  while read -r _ _ _ _ _ server _ _; do
    [ "$server" = "$ATTACKER_NS" ] || in_ns "$NS_ATTACKER" ip addr add "$server/24" dev tw-x0
  done < <(rows "$LAB_DIR/conf/tunnels.txt")
  in_ns "$NS_CLIENT" ip link set tw-c0 up
  in_ns "$NS_RESOLVER" ip link set tw-r0 up
  in_ns "$NS_RESOLVER" ip link set tw-r1 up
  in_ns "$NS_RESOLVER" ip link set tw-r2 up
  in_ns "$NS_AUTH" ip link set tw-a0 up
  in_ns "$NS_ATTACKER" ip link set tw-x0 up
  # A tunnel client cannot pick its source address: each scenario's victim
  # reaches that scenario's resolver through a host route with its own source.
  for s in "${!RESOLVER_VICTIM[@]}"; do
    in_ns "$NS_CLIENT" ip route add "${RESOLVER_ADDR[$s]}/32" dev tw-c0 src "${RESOLVER_VICTIM[$s]}"
  done
}

# Zone files for the root, the TLDs, arpa and in-addr.arpa, and the attacker's
# domains, from benign-domains.txt, special-zones.txt and conf/tunnels.txt.
generate_zones() {
  local z="$STATE/zones" tld dom file
  mkdir -p "$z"
  local serial=2026112301
  soa() { printf '$TTL 86400\n@ IN SOA %s hostmaster.%s %s 1800 900 604800 300\n' "$1" "$2" "$serial"; }

  { soa a.root-servers.net. root-servers.net.
    echo '@ IN NS a.root-servers.net.'
    echo "a.root-servers.net. IN A $ROOT_SERVER"
    for tld in com net org io arpa; do echo "$tld. IN NS a.gtld-servers.net."; done
    echo "a.gtld-servers.net. IN A $TLD_SERVER"
  } >"$z/root.db"

  for tld in com net org io; do
    { soa a.gtld-servers.net. gtld-servers.net.
      echo '@ IN NS a.gtld-servers.net.'
      if [ "$tld" = net ]; then
        echo "a.gtld-servers.net. IN A $TLD_SERVER"
        echo "a.root-servers.net. IN A $ROOT_SERVER"
      fi
      rows "$LAB_DIR/zones/benign-domains.txt" | in_tld "$tld" | while read -r dom; do
        printf '%s. IN NS ns1.%s.\n%s. IN NS ns2.%s.\nns1.%s. IN A %s\nns2.%s. IN A %s\n' \
          "$dom" "$dom" "$dom" "$dom" "$dom" "$SITES_SERVER" "$dom" "$SITES_SERVER"
      done
      rows "$LAB_DIR/zones/special-zones.txt" | awk '{print $1}' | in_tld "$tld" | while read -r dom; do
        printf '%s. IN NS ns1.%s.\nns1.%s. IN A %s\n' "$dom" "$dom" "$dom" "$SITES_SERVER"
      done
      rows "$LAB_DIR/conf/tunnels.txt" | awk '{print $4}' | sort -u | in_tld "$tld" | while read -r dom; do
        printf '%s. IN NS ns1.%s.\nns1.%s. IN A %s\n' "$dom" "$dom" "$dom" "$ATTACKER_NS"
      done
    } >"$z/$tld.db"
  done

  { soa a.gtld-servers.net. gtld-servers.net.
    echo '@ IN NS a.gtld-servers.net.'
    echo 'in-addr.arpa. IN NS a.in-addr-servers.arpa.'
    echo "a.in-addr-servers.arpa. IN A $INADDR_SERVER"
  } >"$z/arpa.db"

  { soa a.in-addr-servers.arpa. in-addr-servers.arpa.
    echo '@ IN NS a.in-addr-servers.arpa.'
    echo "a.in-addr-servers.arpa. IN A $INADDR_SERVER"
    rows "$LAB_DIR/zones/special-zones.txt" | awk '{print $1}' | in_tld in-addr.arpa | while read -r dom; do
      printf '%s. IN NS ns1.corenet-isp.net.\n' "$dom"
    done
  } >"$z/in-addr.arpa.db"

  # The attacker's registered domains: a plausible web presence, and the
  # tunnel label delegated to the tunnel server (or, for the slow exfiltration,
  # answered by a wildcard on this server, which logs every query).
  local id tool qtype reg tdomain server client net label
  while read -r id tool qtype reg tdomain server client net; do
    label=${tdomain%%.*}
    file="$z/attacker-$reg.db"
    if [ ! -f "$file" ]; then
      { printf '$TTL 300\n@ IN SOA ns1 hostmaster %s 3600 600 86400 300\n@ IN NS ns1\n' "$serial"
        echo "ns1 IN A $ATTACKER_NS"
        echo "@ IN A $ATTACKER_NS"
        echo "www IN A $ATTACKER_NS"
      } >"$file"
    fi
    if [ "$server" = "$ATTACKER_NS" ]; then
      echo "*.$label IN A $ATTACKER_NS" >>"$file"
    else
      printf '%s IN NS ns-%s\nns-%s IN A %s\n' "$label" "$label" "$label" "$server" >>"$file"
    fi
  done < <(rows "$LAB_DIR/conf/tunnels.txt")
}

write_auth_conf() {
  local dir="$STATE/auth" dom file tld
  mkdir -p "$dir"
  {
    cat <<EOF
// Authoritative side of the lab: one named, one view per server address, so
// the resolver walks real referrals (root → TLD → site; arpa → in-addr.arpa → reverse zone).
options {
  directory "$dir";
  pid-file "$dir/named.pid";
  session-keyfile "$dir/session.key";
  listen-on port 53 { $ROOT_SERVER; $TLD_SERVER; $INADDR_SERVER; $SITES_SERVER; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  allow-transfer { none; };
};
controls { };
logging {
  channel general { file "named.log"; print-time iso8601-utc; severity info; };
  category default { general; };
};
view "root" {
  match-destinations { $ROOT_SERVER; };
  zone "." { type primary; file "$STATE/zones/root.db"; };
};
view "tld" {
  match-destinations { $TLD_SERVER; };
EOF
    for tld in com net org io arpa; do
      echo "  zone \"$tld\" { type primary; file \"$STATE/zones/$tld.db\"; };"
    done
    cat <<EOF
};
view "in-addr" {
  match-destinations { $INADDR_SERVER; };
  zone "in-addr.arpa" { type primary; file "$STATE/zones/in-addr.arpa.db"; };
};
view "sites" {
  match-destinations { $SITES_SERVER; };
EOF
    rows "$LAB_DIR/zones/benign-domains.txt" | while read -r dom; do
      echo "  zone \"$dom\" { type primary; file \"$LAB_DIR/zones/benign-site.db\"; };"
    done
    rows "$LAB_DIR/zones/special-zones.txt" | while read -r dom file; do
      echo "  zone \"$dom\" { type primary; file \"$LAB_DIR/zones/$file\"; };"
    done
    echo '};'
  } >"$dir/named.conf"
}

write_attacker_conf() {
  local dir="$STATE/attacker" reg
  mkdir -p "$dir"
  {
    cat <<EOF
// The attacker's name server: authoritative for the registered domains,
// delegating each tunnel label to its tunnel server; its query log is the
// receiving end of the slow exfiltration.
options {
  directory "$dir";
  pid-file "$dir/named.pid";
  session-keyfile "$dir/session.key";
  listen-on port 53 { $ATTACKER_NS; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  notify no;
  querylog yes;
};
controls { };
logging {
  channel general { file "named.log"; print-time iso8601-utc; severity info; };
  channel queries { file "queries.log"; print-time iso8601-utc; severity info; };
  category default { general; };
  category queries { queries; };
};
EOF
    rows "$LAB_DIR/conf/tunnels.txt" | awk '{print $4}' | sort -u | while read -r reg; do
      echo "zone \"$reg\" { type primary; file \"$STATE/zones/attacker-$reg.db\"; };"
    done
  } >"$dir/named.conf"
}

# named-checkzone looks the names of out-of-zone name servers up with the
# system resolver unless told not to: `-i local`, and run inside a lab
# namespace, so no check can ever ask a real resolver.
check_zone() { in_ns "$NS_AUTH" named-checkzone -q -i local "$1" "$2" || die "zone $1 ($2) does not load"; }

check_zones() {
  local f dom file
  named-checkconf "$STATE/auth/named.conf" || die "auth named.conf does not check"
  named-checkconf "$STATE/attacker/named.conf" || die "attacker named.conf does not check"
  check_zone . "$STATE/zones/root.db"
  for f in com net org io arpa in-addr.arpa; do check_zone "$f" "$STATE/zones/$f.db"; done
  for f in "$STATE"/zones/attacker-*.db; do
    dom=${f##*/attacker-}
    check_zone "${dom%.db}" "$f"
  done
  check_zone codeharbor.io "$LAB_DIR/zones/benign-site.db"
  rows "$LAB_DIR/zones/special-zones.txt" | while read -r dom file; do check_zone "$dom" "$LAB_DIR/zones/$file"; done
}

start_named() {
  local ns=$1 dir=$2 what=$3
  spawn "$ns" "$dir/named.pid.spawn" "$dir/stderr.log" named -f -n 1 -c "$dir/named.conf"
  wait_for_line "$dir/named.log" 'running' 20 "$what named to start" || die "$what named did not start"
}

# One tcpdump per namespace, on every interface (tun devices made later
# included), printing any packet addressed outside the lab. Its output must
# stay empty for the whole life of the lab; every run checks it.
start_watchdogs() {
  local ns
  mkdir -p "$STATE/watch"
  for ns in "${LAB_NAMESPACES[@]}"; do
    ip netns exec "$ns" tcpdump -i any -n -l --immediate-mode -Z root "$WATCH_FILTER" \
      >"$STATE/watch/$ns.txt" 2>"$STATE/watch/$ns.stderr" </dev/null &
    record_pid $! "$STATE/watch/$ns.pid"
  done
  for ns in "${LAB_NAMESPACES[@]}"; do
    wait_for_line "$STATE/watch/$ns.stderr" 'listening on' 10 "the watchdog in $ns" || die "watchdog tcpdump in $ns did not start"
  done
}

# The watchdog's filter must flag what it is there to flag. Two hand-made
# packets in a pcap file (never sent anywhere): one to 192.0.2.1 and one to
# 2001:db8::1 must match it, one to a lab address must not.
watchdog_selftest() {
  local f="$STATE/watch/selftest.pcap" eth ip4 ip6 udp hits
  pcap_hex() { printf '%s' "$1" | tr -d ' ' | sed 's/../\\x&/g'; }
  eth() { printf '020000000001 020000000002 %s' "$1"; }
  udp='0035 0035 0008 0000'
  packet() { # ethertype, network header (hex)
    local body len
    body="$(eth "$1") $2 $udp"
    len=$(($(printf '%s' "$body" | tr -d ' ' | wc -c) / 2))
    printf '00000000 00000000 %02x000000 %02x000000 %s ' "$len" "$len" "$body"
  }
  ip4() { printf '4500001c 00000000 4011 0000 0a4d010a %s' "$1"; }
  ip6() { printf '60000000 0008 1140 fd770001000000000000000000000010 %s' "$1"; }
  printf "$(pcap_hex "d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000 \
    $(packet 0800 "$(ip4 c0000201)") $(packet 86dd "$(ip6 20010db8000000000000000000000001)") $(packet 0800 "$(ip4 0a4d0101)")")" >"$f"
  hits=$(tcpdump -n -r "$f" "$WATCH_FILTER" 2>/dev/null | wc -l)
  [ "$hits" -eq 2 ] || die "safety: the watchdog filter flags $hits of the 2 outside packets in its self-test"
  [ "$(tcpdump -n -r "$f" 2>/dev/null | wc -l)" -eq 3 ] || die "safety: the watchdog self-test pcap is malformed"
}

topology_up() {
  topology_down
  mkdir -p "$STATE" "$(dirname "$LAB_OWNER_FILE")"
  echo "$STATE" >"$LAB_OWNER_FILE"
  # Whatever fails (die exits), a half-built lab is torn down.
  trap 'if [ ! -f "$STATE/up" ]; then log "up failed: tearing the lab down"; topology_down; fi' EXIT
  make_namespaces
  start_watchdogs
  watchdog_selftest
  generate_zones
  write_auth_conf
  write_attacker_conf
  check_zones
  start_named "$NS_AUTH" "$STATE/auth" auth
  start_named "$NS_ATTACKER" "$STATE/attacker" attacker
  # The delegation chain answers from the resolver's namespace (no resolver runs yet).
  in_ns "$NS_RESOLVER" dig +short +norec +time=2 +tries=3 @"$ROOT_SERVER" . SOA | grep -q root-servers || die "fake root does not answer"
  check_safety
  date -u +%Y-%m-%dT%H:%M:%SZ >"$STATE/up"
  trap - EXIT
  log "lab is up (state in $STATE)"
}

# Fails (exit 1) on the first broken safety property, saying which.
check_safety() {
  local ns bad route
  ip -o link show | grep -q ' tw-' && die "safety: a lab interface exists in the host's namespace"
  for ns in "${LAB_NAMESPACES[@]}"; do
    ip netns list | grep -q "^$ns\b" || die "safety: namespace $ns is missing (is the lab up?)"
    bad=$(in_ns "$ns" ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -v -E '^(lo|tw-[a-z][0-9]|twdns[0-9]+)$' || true)
    [ -z "$bad" ] || die "safety: unexpected interface(s) in $ns: $bad"
    route=$(in_ns "$ns" ip route show default)
    [ -z "$route" ] || die "safety: $ns has an IPv4 default route: $route"
    route=$(in_ns "$ns" ip -6 route show default 2>/dev/null || true)
    [ -z "$route" ] || die "safety: $ns has an IPv6 default route: $route"
    # `ip route get` asks the kernel for a route without sending anything.
    in_ns "$ns" ip route get 192.0.2.1 >/dev/null 2>&1 && die "safety: $ns has a route to 192.0.2.1 (outside the lab)"
    in_ns "$ns" ip -6 route get 2001:db8::1 >/dev/null 2>&1 && die "safety: $ns has a route to 2001:db8::1 (outside the lab)"
    [ "$(in_ns "$ns" sysctl -n net.ipv4.ip_forward)" = 0 ] || die "safety: $ns forwards IPv4"
  done
  in_ns "$NS_CLIENT" ip route get "$ATTACKER_NS" >/dev/null 2>&1 && die "safety: the client can reach the attacker other than through DNS"
  in_ns "$NS_CLIENT" ip route get "$ROOT_SERVER" >/dev/null 2>&1 && die "safety: the client can reach the authoritative servers directly"
  bad=$(awk '$3 == "A" || $3 == "AAAA" {print $4}' "$LAB_DIR/zones/root.hints" | grep -v -E '^10\.77\.' || true)
  [ -z "$bad" ] || die "safety: root hints name addresses outside the lab: $bad"
  grep -q -E '^\S+\s+\S+\s+A\s+10\.77\.' "$LAB_DIR/zones/root.hints" || die "safety: root hints have no lab root server"
  if grep -l -E '^\s*forward(ers)?\b' "$STATE"/*/named.conf 2>/dev/null; then die "safety: a named.conf forwards queries"; fi
  check_watchdogs
  log "safety: ok (no default route, no route out, lab-only root hints, watchdogs empty)"
}

check_watchdogs() {
  local ns
  for ns in "${LAB_NAMESPACES[@]}"; do
    pidfile_alive "$STATE/watch/$ns.pid" || die "safety: the watchdog tcpdump in $ns is not running"
    if [ -s "$STATE/watch/$ns.txt" ]; then
      head -n 5 "$STATE/watch/$ns.txt" >&2
      die "safety: packets to addresses outside the lab were seen in $ns (see $STATE/watch/$ns.txt)"
    fi
  done
}
