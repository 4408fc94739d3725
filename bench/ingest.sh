#!/usr/bin/env bash
# Measures the whole `homesoc ingest` command: N generated netfilter lines
# into a fresh embedded DuckDB data directory, RUNS times; prints each run's
# wall time, events/s and peak RSS, then the medians.
# usage: bench/ingest.sh            (N=2000000 RUNS=3)
#        N=500000 RUNS=5 bench/ingest.sh
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
N=${N:-2000000}
RUNS=${RUNS:-3}
out=bench/out
mkdir -p "$out"
go build -o "$out/homesoc" ./cmd/homesoc
log="$out/fw-$N.log"
[ -s "$log" ] || awk -v n="$N" -v seed=1 -f bench/gen-netfilter.awk > "$log"
echo "input: $log ($(wc -l < "$log") lines, $(du -h "$log" | cut -f1)); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
rates=() rss=()
for run in $(seq "$RUNS"); do
	rm -rf "$out/data"
	/usr/bin/time -f '%e %M' -o "$out/time.txt" \
		"$out/homesoc" --data "$out/data" --json ingest --format netfilter "$log" > "$out/ingest.json"
	read -r wall kb < "$out/time.txt"
	stored=$(grep -m1 '"stored"' "$out/ingest.json" | tr -dc 0-9)
	rate=$(awk -v n="$stored" -v s="$wall" 'BEGIN { printf "%d", n / s }')
	echo "run $run: stored $stored in ${wall}s = $rate events/s, peak RSS $((kb / 1024)) MB"
	rates+=("$rate") rss+=("$((kb / 1024))")
done
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
echo "median: $(median "${rates[@]}") events/s, peak RSS $(median "${rss[@]}") MB"
