#!/usr/bin/env bash
# Bounded smoke run of one libFuzzer harness: run.sh HARNESS CORPUS_DIR SECONDS
# The checked-in corpus is copied so the run does not add files to the repository.
set -euo pipefail
harness=$1 corpus=$2 seconds=$3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/corpus"
if [ -d "$corpus" ]; then cp -r "$corpus"/. "$work/corpus/" 2>/dev/null || true; fi
cd "$work"
"$harness" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1 \
  "$work/corpus" 2>"$work/log" || { tail -n 60 "$work/log"; exit 1; }
grep -E "stat::number_of_executed_units|Done" "$work/log" | tail -n 2
