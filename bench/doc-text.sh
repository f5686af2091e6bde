#!/usr/bin/env bash
# Writes about SIZE_MB of real English text (Debian's copyright files and changelogs from
# /usr/share/doc, which every Debian machine has) to OUT (files separated by blank lines) for the
# tokenizer, BPE and prepare benchmarks. Usage: bench/doc-text.sh OUT [SIZE_MB]   (default 50)
set -euo pipefail
out=${1:?usage: bench/doc-text.sh OUT [SIZE_MB]} size=$(( ${2:-50} * 1024 * 1024 ))
tmp="$out.tmp"; : > "$tmp"
for pass in 1 2 3 4 5 6 7 8; do  # repeat the (sorted, fixed) file list until SIZE_MB is reached
  while IFS= read -r f; do
    case $f in *.gz) zcat -f "$f" 2>/dev/null || true ;; *) cat "$f" ;; esac >> "$tmp"
    printf '\n\n' >> "$tmp"
    (( $(stat -c %s "$tmp") >= size )) && break 2
  done < <(find /usr/share/doc -type f \( -name 'copyright' -o -name 'changelog*.gz' -o -name 'NEWS*.gz' -o -name 'README*' \) | LC_ALL=C sort)
done
head -c "$size" "$tmp" > "$out" && rm -f "$tmp"
echo "$out: $(stat -c %s "$out") bytes" >&2
