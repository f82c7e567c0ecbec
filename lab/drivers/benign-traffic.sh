#!/usr/bin/env bash
# Benign traffic: what a small office's clients ask a resolver, sent with dig
# from each client's own address (dig -b), in rounds spread over DURATION
# seconds. Runs in the host namespace and enters the client namespace itself.
#
#   workstations   browsing: apex/www/api/static/... A, AAAA, HTTPS; CNAMEs into
#                  CDNs; direct CDN hash host names; SRV; PTR of servers;
#                  NXDOMAIN typos and Chrome-style random single-label probes;
#                  one workstation over IPv6
#   mail gateway   DNSBL look-ups of sender addresses (listed → 127.0.0.x,
#                  not listed → NXDOMAIN), PTR of senders, MX, SPF/DMARC/DKIM TXT
#   AV appliance   long hex hash reputation look-ups
#
# Usage: benign-traffic.sh RESOLVER RESOLVER6 DURATION_S WORKDIR [SEED]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../lib/common.sh
. "$here/../lib/common.sh"

resolver=$1 resolver6=$2 duration=$3 work=$4 seed=${5:-1}
rounds=3
mkdir -p "$work"
domains=$(rows "$LAB_DIR/zones/benign-domains.txt")

# One batch file per client and round, drawn with a seeded awk so a run can be replayed.
make_batches() {
  local who=$1 n=$2
  awk -v who="$who" -v n="$n" -v seed="$seed" -v salt="$(printf '%s' "$who" | cksum | cut -d' ' -f1)" -v rounds="$rounds" -v out="$work/$who" '
    BEGIN {
      srand((seed * 7919 + salt) % 2147483647)
      # senders the DNSBL lists (it answers 127.0.0.x for these)
      listed[1] = "203.0.113.7"; listed[2] = "203.0.113.66"; listed[3] = "198.51.100.201"
    }
    { dom[++nd] = $0 }
    function pick(a, k) { return a[1 + int(rand() * k)] }
    function hex(k,   s, i) { s = ""; for (i = 0; i < k; i++) s = s substr("0123456789abcdef", 1 + int(rand() * 16), 1); return s }
    function alnum(k,   s, i) { s = ""; for (i = 0; i < k; i++) s = s substr("abcdefghijklmnopqrstuvwxyz0123456789", 1 + int(rand() * 36), 1); return s }
    function letters(k,   s, i) { s = ""; for (i = 0; i < k; i++) s = s substr("abcdefghijklmnopqrstuvwxyz", 1 + int(rand() * 26), 1); return s }
    function ip(   r) { r = rand(); return (r < 0.5 ? "203.0.113." : r < 0.8 ? "198.51.100." : "192.0.2.") (1 + int(rand() * 254)) }
    function rev(a,   p) { split(a, p, "."); return p[4] "." p[3] "." p[2] "." p[1] }
    function typo(d,   i) { i = 1 + int(rand() * (index(d, ".") - 1)); return substr(d, 1, i) substr(d, i, 1) substr(d, i + 1) }
    END {
      split("www www www api static img login m assets media video status support blog", hosts, " ")
      split("A A A AAAA AAAA HTTPS", types, " ")
      for (r = 1; r <= rounds; r++) {
        f = out "-" r ".batch"
        if (who ~ /^ws/) {
          for (i = 0; i < n; i++) {
            d = pick(dom, nd); h = pick(hosts, 14); t = pick(types, 6)
            print h "." d " " t > f
            if (rand() < 0.3) print d " A" > f
          }
          for (i = 0; i < 4; i++) print "d" alnum(13) ".cloudfront.net A" > f
          for (i = 0; i < 2; i++) print "e" (1000 + int(rand() * 9000)) ".a.akamaiedge.net AAAA" > f
          print "_xmpp-client._tcp." pick(dom, nd) " SRV" > f
          print "_imaps._tcp." pick(dom, nd) " SRV" > f
          print "-x " ip() > f
          print typo(pick(dom, nd)) " A" > f
          print "wwww." pick(dom, nd) " A" > f
          if (r == 1) for (i = 0; i < 3; i++) print letters(7 + int(rand() * 9)) " A" > f
        } else if (who == "mail") {
          for (i = 0; i < n; i++) {
            a = (rand() < 0.1) ? pick(listed, 3) : ip()
            print rev(a) ".zen.spamhaus.org A" > f
            if (rand() < 0.5) print "-x " a > f
          }
          for (i = 0; i < n / 2; i++) {
            d = pick(dom, nd); k = int(rand() * 5)
            if (k == 0) print d " MX" > f
            else if (k == 1) print d " TXT" > f
            else if (k == 2) print "_dmarc." d " TXT" > f
            else if (k == 3) print "selector1._domainkey." d " TXT" > f
            else print "google._domainkey." d " TXT" > f
          }
          if (r == 1) print "2.0.0.127.zen.spamhaus.org TXT" > f
        } else if (who == "av") {
          for (i = 0; i < n; i++) print hex(32) "." hex(32) ".f.sxl.sophosxl.net A" > f
          for (i = 0; i < n / 4; i++) print hex(40) ".u.sxl.sophosxl.net TXT" > f
        }
        close(f)
      }
    }
    ' <(echo "$domains")
}

ws_names=(ws1 ws2 ws3 ws4 ws6)
ws_addrs=("${WORKSTATIONS[@]}" "$WORKSTATION6")
for i in "${!ws_names[@]}"; do make_batches "${ws_names[$i]}" 14; done
make_batches mail 12
make_batches av 10

dig_batch() {
  local src=$1 server=$2 batch=$3
  # +tries=1: a slow answer is not re-asked, so the log shows each query once.
  ip netns exec "$NS_CLIENT" dig -b "$src" @"$server" +tries=1 +time=4 +noall +answer +comments -f "$batch" >>"$batch.out" 2>&1 || true
}

# Stopped (a failed run stops its processes), it stops its own batches; the
# dig inside each is in the lab's namespace, where `down` stops it.
trap 'kill -TERM $(jobs -p) 2>/dev/null; exit 143' TERM INT

pause=$(awk -v d="$duration" -v r="$rounds" 'BEGIN { printf "%.1f", d / r }')
for r in $(seq "$rounds"); do
  pids=()
  for i in "${!ws_names[@]}"; do
    server=$resolver
    [ "${ws_names[$i]}" = ws6 ] && server=$resolver6
    dig_batch "${ws_addrs[$i]}" "$server" "$work/${ws_names[$i]}-$r.batch" &
    pids+=($!)
  done
  dig_batch "$MAIL_GATEWAY" "$resolver" "$work/mail-$r.batch" &
  pids+=($!)
  dig_batch "$AV_APPLIANCE" "$resolver" "$work/av-$r.batch" &
  pids+=($!)
  started=$(date +%s%N)
  wait "${pids[@]}"
  if [ "$r" -lt "$rounds" ]; then
    left=$(awk -v p="$pause" -v s="$started" -v n="$(date +%s%N)" 'BEGIN { l = p - (n - s) / 1e9; printf "%.1f", (l > 0 ? l : 0) }')
    sleep "$left"
  fi
done
queries=$(cat "$work"/*.batch | wc -l)
answered=$(grep -c 'status: NOERROR' "$work"/*.out | awk -F: '{s += $2} END {print s}')
nxdomain=$(grep -c 'status: NXDOMAIN' "$work"/*.out | awk -F: '{s += $2} END {print s}')
printf '{"queries":%d,"noerror":%d,"nxdomain":%d}\n' "$queries" "$answered" "$nxdomain"
