#!/usr/bin/env bash
# make-lab-fixtures.sh - keep small excerpts of one lab run (npm run lab) as fixtures for the fast
# unit test test/lab-fixtures.test.ts (test/fixtures/lab/, described in its README.md).
#
# Every byte kept was written by the lab's software (BIND's query log and dnstap, tcpdump's pcap,
# the lab's labels.json); excerpts are prefixes of the run's files, cut at record boundaries:
#
#   query.log      the lines up to the one where the last tunnel session had its Nth query
#   resolver.pcap  editcap -r: the packets up to the last session's Nth query, and M more (the
#                  answers to the last queries)
#   dnstap.fstrm   scripts/cut-fstrm.mjs: named's START frame, the messages up to the last
#                  session's Nth client query and M more, a STOP frame (checked with dnstap-read)
#
# Scenarios: iodine and dns2tcp (cut as above, N = QUERIES_PER_SESSION, default 10, M =
# ANSWER_MARGIN, default 12); slow-exfil whole (12 queries, ~25 KB); benign: the whole query log,
# the first BENIGN_PACKETS packets (default 200) and BENIGN_MESSAGES dnstap messages (default 200).
# labels.json whole. excerpt.json records, per scenario, what was kept of what.
#
# Usage: scripts/make-lab-fixtures.sh [LAB_OUT] [FIXTURE_DIR]   (defaults lab/out, test/fixtures/lab)
#   after `npm run lab`, which leaves lab/out/SCENARIO/ and lab/out/summary.json (the commit).
# Needs jq, tcpdump, dnstap-read (bind9-dnsutils), editcap (wireshark-common) and node; as root
# with apt-get it installs the missing ones from Debian.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
lab_out="${1:-$repo/lab/out}"
fixtures="${2:-$repo/test/fixtures/lab}"
per_session=${QUERIES_PER_SESSION:-10}
margin=${ANSWER_MARGIN:-12}
benign_packets=${BENIGN_PACKETS:-200}
benign_messages=${BENIGN_MESSAGES:-200}

die() {
  printf 'make-lab-fixtures: %s\n' "$*" >&2
  exit 1
}

need=()
command -v jq >/dev/null || need+=(jq)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v dnstap-read >/dev/null || need+=(bind9-dnsutils)
command -v editcap >/dev/null || need+=(wireshark-common)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then die "missing Debian packages: ${need[*]} (apt-get install ${need[*]})"; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
[ -f "$lab_out/summary.json" ] || die "no $lab_out/summary.json: run 'npm run lab' first"

# "client tunnel-domain" of every session of a scenario, one a line.
sessions() { jq -r '.malicious[] | "\(.client) \(.tunnelDomain)"' "$1/labels.json"; }

# The 1-based index of the record (line of LISTING) at which the last session had its Nth query.
# CLIENT_SEP and NAME_END say how the listing writes a client (e.g. "10.77.1.10#" in a query log,
# "IP 10.77.1.10." in tcpdump, "CQ 10.77.1.10:" in dnstap-read) and the end of a name ("." in a
# query log, ". " in tcpdump, "/IN/" in dnstap-read); each listing line is one record.
nth_query_index() {
  local sessions=$1 listing=$2 client_prefix=$3 client_sep=$4 name_end=$5
  awk -v n="$per_session" -v pre="$client_prefix" -v sep="$client_sep" -v end="$name_end" '
    NR == FNR { client[NR] = $1; domain[NR] = tolower($2); k = NR; next }
    {
      line = tolower($0)
      for (s = 1; s <= k; s++) {
        if (index(line, pre client[s] sep) && index(line, "." domain[s] end)) {
          if (++seen[s] == n) at[s] = FNR
          break
        }
      }
    }
    END {
      last = 0
      for (s = 1; s <= k; s++) {
        if (!(s in at)) { print "session " client[s] " " domain[s] " has fewer than " n " queries" > "/dev/stderr"; exit 1 }
        if (at[s] > last) last = at[s]
      }
      print last
    }' <(echo "$sessions") "$listing"
}

records() { tcpdump -n -r "$1" 2>/dev/null | wc -l; }
messages() { dnstap-read "$1" | wc -l; }

rm -rf "$fixtures.new"
mkdir -p "$fixtures.new"
work=$(mktemp -d)
trap 'rm -rf "$work" "$fixtures.new"' EXIT

for scenario in benign iodine dns2tcp slow-exfil; do
  src="$lab_out/$scenario"
  dst="$fixtures.new/$scenario"
  mkdir -p "$dst"
  for f in labels.json query.log resolver.pcap dnstap.fstrm; do [ -s "$src/$f" ] || die "$src/$f is missing"; done
  cp "$src/labels.json" "$dst/"
  lines=$(wc -l <"$src/query.log")
  packets=$(records "$src/resolver.pcap")
  msgs=$(messages "$src/dnstap.fstrm")
  case $scenario in
    slow-exfil)
      keep_lines=$lines keep_packets=$packets keep_msgs=$msgs
      ;;
    benign)
      keep_lines=$lines
      keep_packets=$((benign_packets < packets ? benign_packets : packets))
      keep_msgs=$((benign_messages < msgs ? benign_messages : msgs))
      ;;
    *)
      s=$(sessions "$src")
      keep_lines=$(nth_query_index "$s" "$src/query.log" ' ' '#' ' in ')
      tcpdump -n -r "$src/resolver.pcap" 2>/dev/null >"$work/pcap.txt"
      keep_packets=$(($(nth_query_index "$s" "$work/pcap.txt" 'ip ' '.' '. ') + margin))
      keep_packets=$((keep_packets < packets ? keep_packets : packets))
      dnstap-read "$src/dnstap.fstrm" >"$work/dnstap.txt"
      keep_msgs=$(($(nth_query_index "$s" "$work/dnstap.txt" 'cq ' ':' '/in/') + margin))
      keep_msgs=$((keep_msgs < msgs ? keep_msgs : msgs))
      ;;
  esac
  head -n "$keep_lines" "$src/query.log" >"$dst/query.log"
  if [ "$keep_packets" -eq "$packets" ]; then cp "$src/resolver.pcap" "$dst/"; else editcap -F pcap -r "$src/resolver.pcap" "$dst/resolver.pcap" "1-$keep_packets"; fi
  if [ "$keep_msgs" -eq "$msgs" ]; then cp "$src/dnstap.fstrm" "$dst/"; else node "$here/cut-fstrm.mjs" "$src/dnstap.fstrm" "$dst/dnstap.fstrm" "$keep_msgs"; fi
  # The cuts are whole records, readable by the software that reads the originals.
  [ "$(records "$dst/resolver.pcap")" -eq "$keep_packets" ] || die "$scenario: the pcap excerpt does not hold $keep_packets packets"
  [ "$(messages "$dst/dnstap.fstrm")" -eq "$keep_msgs" ] || die "$scenario: dnstap-read does not read $keep_msgs messages from the excerpt"
  jq -n --arg scenario "$scenario" --argjson n "$per_session" --argjson margin "$margin" \
    --argjson lines "$keep_lines" --argjson linesOf "$lines" --argjson packets "$keep_packets" --argjson packetsOf "$packets" \
    --argjson msgs "$keep_msgs" --argjson msgsOf "$msgs" '
    { scenario: $scenario,
      queryLog: { lines: $lines, of: $linesOf },
      pcap: { packets: $packets, of: $packetsOf },
      dnstap: { messages: $msgs, of: $msgsOf } }
    + (if $scenario == "iodine" or $scenario == "dns2tcp" then { queriesPerSession: $n, answerMargin: $margin } else {} end)' >"$dst/excerpt.json"
  printf '%-10s query.log %5d of %5d lines   resolver.pcap %5d of %5d packets   dnstap.fstrm %5d of %5d messages\n' \
    "$scenario" "$keep_lines" "$lines" "$keep_packets" "$packets" "$keep_msgs" "$msgs"
done

jq '{ generated, commit, software }' "$lab_out/summary.json" >"$fixtures.new/run.json"
[ -f "$fixtures/README.md" ] && cp "$fixtures/README.md" "$fixtures.new/"
rm -rf "$fixtures"
mv "$fixtures.new" "$fixtures"
trap 'rm -rf "$work"' EXIT
du -sh "$fixtures"
