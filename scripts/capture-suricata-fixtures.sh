#!/usr/bin/env bash
# Regenerates test/fixtures/suricata/ from Zeek's DNS test traces with the real Suricata.
# Not run by CI: the fixtures are committed. Needs `suricata` (Debian 12: bookworm-backports,
# `apt-get install -t bookworm-backports suricata`) and ../shared/data/zeek-traces next to the repo.
# Offline: suricata only reads the pcaps (-r), with detection disabled and no rules.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TRACES=${TRACES:-$ROOT/../shared/data/zeek-traces/testing/btest/Traces}
OUT=$ROOT/test/fixtures/suricata
# Queries and answers, EDNS (ECS, cookie, TCP keepalive), TCP DNS, IPv6 fragments, odd names.
PCAPS=(dns53.pcap dns-two-responses.pcap dns-txt-multiple.pcap dns_original_case.pcap dns-edns-ecs.pcap
  dns-edns-cookie.pcap dns-edns-tcp-keepalive.pcap dns-zero-RRs.pcap dns-caa.pcap
  dns-https.pcap ipv6-fragmented-dns.pcap dns/dns-binds.pcap dns/dns-invalid-names.pcap dns/long-connection.pcap
  dns/tkey.pcap dns/dynamic-update.pcap dns/naptr.pcap)
command -v suricata >/dev/null || { echo "suricata not installed" >&2; exit 1; }
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT"

# version: 2 is Suricata 6/7's default; version 1 (one record per query / per answer) was
# removed in Suricata 7, so it is captured only where the installed suricata still accepts it.
config() { # $1 = dns logger version, $2 = formats line
  cat <<YAML
%YAML 1.1
---
default-log-dir: $WORK
logging: {default-log-level: warning, outputs: [{console: {enabled: yes}}]}
outputs:
  - eve-log:
      enabled: yes
      filetype: regular
      filename: eve.json
      types:
        - dns:
            version: $1
            requests: yes
            responses: yes
$2
app-layer:
  protocols:
    dns:
      tcp: {enabled: yes, detection-ports: {dp: 53}}
      udp: {enabled: yes, detection-ports: {dp: 53}}
YAML
}

capture() { # $1 = output file, $2 = version, $3 = formats line
  : > "$OUT/$1.tmp"
  config "$2" "$3" > "$WORK/suricata.yaml"
  if ! suricata -c "$WORK/suricata.yaml" -T >"$WORK/log" 2>&1 || grep -qi 'version 1.*\(removed\|not supported\|deprecated\)' "$WORK/log"; then
    grep -m3 '^[EW]:' "$WORK/log" >&2 || true; rm -f "$OUT/$1.tmp"; return 1
  fi
  for p in "${PCAPS[@]}"; do
    [ -f "$TRACES/$p" ] || { echo "missing $TRACES/$p" >&2; continue; }
    rm -f "$WORK"/eve.json
    suricata -c "$WORK/suricata.yaml" --disable-detection -k none --runmode single -r "$TRACES/$p" -l "$WORK" >"$WORK/log" 2>&1 \
      || { echo "suricata failed on $p (skipped):" >&2; grep -m3 '^E:' "$WORK/log" >&2 || true; continue; }
    grep -F '"event_type":"dns"' "$WORK/eve.json" >> "$OUT/$1.tmp" || true
  done
  head -n 300 "$OUT/$1.tmp" > "$OUT/$1"
  rm -f "$OUT/$1.tmp"
  echo "$1: $(wc -l < "$OUT/$1") dns records"
}

capture eve-dns-v2.json 2 "            formats: [detailed, grouped]"
capture eve-dns-v2-detailed.json 2 "            formats: [detailed]"
# Suricata 7 accepts `version: 1` in the config but still writes version 2 records: keep the file
# only when it really holds v1 records (Suricata 5/6).
if ! capture eve-dns-v1.json 1 "" || ! grep -q '"dns":{"type"' "$OUT/eve-dns-v1.json"; then
  rm -f "$OUT/eve-dns-v1.json"
  echo "this suricata writes no dns version 1 records: eve-dns-v1.json not kept" >&2
fi

# A few non-dns records from the same runs, to test the not_dns skip.
config 2 "" > "$WORK/suricata.yaml"
sed -i 's/        - dns:/        - flow\n        - dns:/' "$WORK/suricata.yaml"
rm -f "$WORK"/eve.json
suricata -c "$WORK/suricata.yaml" --disable-detection -k none --runmode single -r "$TRACES/dns53.pcap" -l "$WORK" >/dev/null 2>&1
head -n 20 "$WORK/eve.json" > "$OUT/eve-mixed.json"
echo "eve-mixed.json: $(wc -l < "$OUT/eve-mixed.json") records"
suricata --build-info | head -n 3 > "$OUT/VERSION"
