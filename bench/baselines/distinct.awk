# Baseline for `npm run bench`: the distinct-subdomain count of `tunnelwatch detect`,
# done the simplest honest way in awk (written for mawk; POSIX awk, no gawk extensions).
#
#   mawk -f bench/baselines/distinct.awk [-v threshold=180] FILE
#
# Per BIND query-log line ("DD-Mon-YYYY HH:MM:SS.mmm ... query: NAME CLASS TYPE ..."):
#   - time: minutes since the epoch from the date and time fields (UTC; mawk has
#     no mktime, so days come from a small month table, cached per date string);
#   - registered domain: the LAST TWO LABELS of the lower-cased name. Cruder than
#     tunnelwatch's public suffix list: every name under co.uk counts for "co.uk";
#   - subdomain: the rest of the name; a query for the apex itself counts nothing;
#   - windows: 10 minutes long, a new one every 5 minutes, epoch-aligned, so each
#     line belongs to two (those starting at minute 5k and 5k-5);
#   - distinct count per (window, domain) from an associative array of seen
#     (window, domain, subdomain) keys; windows are dropped once they start more
#     than 15 minutes before the newest time seen (lines for dropped windows are ignored).
# Prints "DOMAIN<TAB>WINDOW_START_MINUTE<TAB>LINE_NUMBER" the first time a domain's
# count reaches the threshold in any window, once per domain. No watermark, no
# cool-down, no escapes, no quarantine.

BEGIN {
    if (threshold == "") threshold = 180
    months = "JanFebMarAprMayJunJulAugSepOctNovDec"
    split("0 31 59 90 120 151 181 212 243 273 304 334", cum, " ")
    lastDate = ""
    maxWin = -1
    minWin = -1
}

# Days since 1970-01-01 of a proleptic Gregorian date.
function daysFromCivil(y, m, d,    n) {
    n = (y - 1970) * 365
    n += int((y - 1969) / 4) - int((y - 1901) / 100) + int((y - 1601) / 400)
    n += cum[m] + d - 1
    if (m > 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) n++
    return n
}

# Forget windows that start before window index `limit`.
function sweep(limit,    k, parts) {
    for (k in seen) {
        split(k, parts, SUBSEP)
        if (parts[1] + 0 < limit) delete seen[k]
    }
    for (k in count) {
        split(k, parts, SUBSEP)
        if (parts[1] + 0 < limit) delete count[k]
    }
    minWin = limit
}

{
    # The query name follows the "query:" field (position varies with @0x…, view, syslog header).
    q = 0
    if ($9 == "query:") q = 9
    else for (i = 3; i < NF; i++) if ($i == "query:") { q = i; break }
    if (q == 0) next

    if ($1 != lastDate) {
        lastDate = $1
        mon = index(months, substr($1, 4, 3))
        if (mon == 0 || (mon - 1) % 3 != 0) { lastDate = ""; next }
        dayMinute = daysFromCivil(substr($1, 8, 4) + 0, (mon + 2) / 3, substr($1, 1, 2) + 0) * 1440
    }
    minute = dayMinute + substr($2, 1, 2) * 60 + substr($2, 4, 2)

    name = tolower($(q + 1))
    n = split(name, label, ".")
    if (n < 2) next
    domain = label[n - 1] "." label[n]
    if (length(name) == length(domain)) next
    sub_ = substr(name, 1, length(name) - length(domain) - 1)

    w = int(minute / 5)
    if (w > maxWin) {
        maxWin = w
        if (minWin < 0) minWin = w - 1
        # A window starting at 5w' is dropped once 5w' < newest minute - 15, i.e. w' < w - 3 (to 5-minute resolution).
        if (w - 3 > minWin) sweep(w - 3)
    }
    for (j = w - 1; j <= w; j++) {
        if (j < minWin) continue
        key = j SUBSEP domain SUBSEP sub_
        if (key in seen) continue
        seen[key] = 1
        c = ++count[j SUBSEP domain]
        if (c == threshold && !(domain in alerted)) {
            alerted[domain] = 1
            print domain "\t" (j * 5) "\t" NR
        }
    }
}
