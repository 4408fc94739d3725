#!/usr/bin/env bash
# Measures the whole `homesoc ingest` command: N generated netfilter lines
# into a fresh store, RUNS times per engine; prints each run's wall time,
# events/s and peak RSS, then the medians.
# usage: bench/ingest.sh            (N=2000000 RUNS=3, DuckDB)
#        N=500000 RUNS=5 bench/ingest.sh
#        CLICKHOUSE=127.0.0.1:9000 CLICKHOUSE_HTTP=127.0.0.1:8123 bench/ingest.sh   (both engines)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${N:-2000000}
RUNS=${RUNS:-3}
log=$(netfilter_log "$N")
echo "input: $log ($(wc -l < "$log") lines, $(du -h "$log" | cut -f1)); $(machine)"
for engine in $(stores); do
	rates=() rss=()
	for run in $(seq "$RUNS"); do
		flags=$(fresh_store "$engine")
		# shellcheck disable=SC2086
		/usr/bin/time -f '%e %M' -o "$out/time.txt" \
			"$out/homesoc" $flags --json ingest --format netfilter "$log" > "$out/ingest.json"
		drop_store $flags
		read -r wall kb < "$out/time.txt"
		stored=$(grep -m1 '"stored"' "$out/ingest.json" | tr -dc 0-9)
		rate=$(awk -v n="$stored" -v s="$wall" 'BEGIN { printf "%d", n / s }')
		echo "$engine run $run: stored $stored in ${wall}s = $rate events/s, peak RSS $((kb / 1024)) MB"
		rates+=("$rate") rss+=("$((kb / 1024))")
	done
	echo "$engine median: $(median "${rates[@]}") events/s, peak RSS $(median "${rss[@]}") MB"
done
