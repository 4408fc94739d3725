#!/usr/bin/env bash
# Measures incremental detection: `homesoc detect` (no --now) over N ingested
# events and M indicators, then again with nothing new, then after K more
# events, which must cost in proportion to the K new events, not to history.
# Reports each pass's wall time and peak RSS, and the seconds of the
# retro-hunt and of each rule as `detect --json` gives them.
# usage: bench/detect-incremental.sh        (N=1000000 K=100000 M=1000000, DuckDB)
#        N=10000000 bench/detect-incremental.sh
#        CLICKHOUSE=127.0.0.1:9000 CLICKHOUSE_HTTP=127.0.0.1:8123 bench/detect-incremental.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${N:-1000000}
K=${K:-100000}
M=${M:-1000000}
all=$(netfilter_log "$((N + K))")
head -n "$N" "$all" > "$out/fw-first.log"
tail -n "$K" "$all" > "$out/fw-more.log"
intel=$(indicator_list "$M")
echo "input: $N events then $K more ($all), $M indicators ($intel); $(machine)"

# pass NAME FLAGS...: one detect, its wall time and peak RSS, and what it did.
pass() {
	local name=$1
	shift
	/usr/bin/time -f '%e %M' -o "$out/time.txt" "$out/homesoc" "$@" --json detect > "$out/detect.json"
	read -r wall rss < "$out/time.txt"
	printf '%s: %s s wall, %d MB peak RSS; %s\n' "$name" "$wall" "$((rss / 1024))" \
		"$(tr -d ' \n' < "$out/detect.json" | grep -oE '"retro_hunt":\{[^}]*\}|"retro_hunt_elapsed_s":[0-9.e-]+|"rule":"[a-z-]+","up_to_date":[a-z]+|"evaluations":[0-9]+|"rows":[0-9]+|"elapsed_s":[0-9.e-]+|"opened":[0-9]+|"updated":[0-9]+' | tr '\n' ' ')"
}

for engine in $(stores); do
	flags=$(fresh_store "$engine")
	# shellcheck disable=SC2086
	{
		ingest_netfilter "$out/fw-first.log" $flags
		/usr/bin/time -f 'intel load %e s' "$out/homesoc" $flags intel load --feed csv "$intel" 2>&1 | tail -2
		pass "detect 1 (all history)" $flags
		pass "detect 2 (nothing new)" $flags
		ingest_netfilter "$out/fw-more.log" $flags
		pass "detect 3 ($K new events)" $flags
	} | sed "s/^/$engine: /"
	drop_store $flags
done
