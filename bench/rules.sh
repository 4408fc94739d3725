#!/usr/bin/env bash
# Measures every built-in rule over N network events and M threat-intel
# indicators, on each engine with the same data: ingests N generated netfilter
# lines, loads M generated IP indicators (whose retro-hunt marks the events
# that touched them), then runs `homesoc detect` RUNS times at the end of the
# data and reports the seconds the rules took (the retro-hunt apart).
# usage: bench/rules.sh              (N=10000000 M=1000000 RUNS=3, DuckDB)
#        CLICKHOUSE=127.0.0.1:9000 CLICKHOUSE_HTTP=127.0.0.1:8123 bench/rules.sh   (both engines)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${N:-10000000}
M=${M:-1000000}
RUNS=${RUNS:-3}
log=$(netfilter_log "$N")
intel=$(indicator_list "$M")
# The generator starts at 2026-04-06T16:00:00Z and writes 10 lines a second.
now=$(date -u -d "@$((1775491200 + N / 10))" +%Y-%m-%dT%H:%M:%SZ)
echo "input: $N events ($log), $M indicators ($intel), rules at $now; $(machine)"
for engine in $(stores); do
	flags=$(fresh_store "$engine")
	# shellcheck disable=SC2086
	{
		ingest_netfilter "$log" $flags
		/usr/bin/time -f '%e s' "$out/homesoc" $flags intel load --feed csv "$intel" | tail -2
	} | sed "s/^/$engine load: /"
	totals=()
	for run in $(seq "$RUNS"); do
		# shellcheck disable=SC2086
		"$out/homesoc" $flags --json detect --now "$now" > "$out/detect.json"
		total=$(grep -E '^      "elapsed_s"' "$out/detect.json" | tr -dc '0-9.\n' | awk '{ s += $1 } END { printf "%.2f", s }')
		echo "$engine run $run: rules $total s ($(grep -E '"(rule|rows|elapsed_s)"' "$out/detect.json" | tr -d ' \n'))"
		totals+=("$total")
	done
	echo "$engine median: all rules in $(median "${totals[@]}") s"
	drop_store $flags
done
