#!/usr/bin/env bash
# Measures issue 11's delivery of one big detect: N alerts (one per scanning
# source, built-in rule port-scan-burst) routed to a PagerDuty and a Slack
# receiver served by bench/fakereceiver on 127.0.0.1, group_wait 0s:
#
#   none-N     no config: detect routes to the default route, which has
#              no integration, so nothing is enqueued (routing's cost);
#   rule-N     group_by [rule]: one group, so Slack gets one message in
#              parts of at most 100 alerts and PagerDuty one notification
#              (one event) per alert;
#   rule-N-pd-limited   the same, the fake PagerDuty accepting only
#              PD_RATE events a second (about what PagerDuty allows a
#              routing key) and answering 429 + Retry-After beyond it;
#   source-M, source-N  group_by [source]: one group, so one message per
#              receiver, per alert; M (SMALL) alerts then N, for memory.
#
# Each case: a fresh data directory, ingest, detect (wall and peak RSS; it
# writes the outbox), then `alerts notify --wait WINDOW`, which starts no
# send after WINDOW seconds (draining 10,000 PagerDuty events at 2/s takes
# 83 min) and is stopped with SIGINT only 30 s after that, and from the fake receiver's log and the outbox: requests
# accepted per receiver and their rate, events per dedup_key, Slack
# requests per title and first source (a group's message or part),
# notifications per group, integration and part, what is still pending.
# usage: bench/notify.sh                   (N=10000 SMALL=1000 WINDOW=30 PD_RATE=2)
#        CASES="source-10000" WINDOW=60 bench/notify.sh
#        CASES="none-1000 none-10000 rule-1000 rule-10000" bench/notify.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${N:-10000}
SMALL=${SMALL:-1000}
WINDOW=${WINDOW:-30}
PD_RATE=${PD_RATE:-2}
CASES=${CASES:-"rule-$N rule-$N-pd-limited source-$SMALL source-$N"}
go build -o "$out/fakereceiver" ./bench/fakereceiver

# scan_log N prints the path of a netfilter log in which each of N sources
# (198.18.0.0/15, as data only) probes 15 ports of one address within half
# a minute, dropped: port-scan-burst raises one alert per source and no
# other built-in rule fires. 50 lines a second from 2026-04-06T16:00:00Z.
scan_log() {
	local log="$out/scan-$1.log"
	[ -s "$log" ] || awk -v n="$1" 'BEGIN {
	t0 = 1775491200
	for (i = 0; i < n; i++) {
		src = sprintf("198.%d.%d.%d", 18 + int(i / 65536), int(i / 256) % 256, i % 256)
		for (j = 0; j < 15; j++) {
			k = i * 15 + j
			printf "%s router kernel: DROP IN=ppp0 OUT= MAC= SRC=%s DST=203.0.113.7 LEN=60 TOS=0x00 PREC=0x00 TTL=50 ID=%d PROTO=TCP SPT=%d DPT=%d WINDOW=1024 RES=0x00 SYN URGP=0\n",
				strftime("%Y-%m-%dT%H:%M:%S", t0 + int(k / 50), 1), src, k % 65536, 40000 + j, 20 + j * 7
		}
	}}' > "$log" || return
	echo "$log"
}

# write_config FILE URL GROUP_BY writes a config routing every alert to a
# PagerDuty and a Slack receiver at URL, group_wait 0s.
write_config() {
	cat > "$1" <<YAML
route:
  receiver: bench
  group_by: [$3]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: bench
    pagerduty_configs:
      - routing_key: bench-routing-key-0123456789abcdef
        url: $2/v2/enqueue
    slack_configs:
      - api_url: $2/slack/T000/B000/bench
YAML
}

# run_case NAME ALERTS GROUP_BY RECEIVER_FLAGS... measures one case.
run_case() {
	local name=$1 n=$2 group=$3
	shift 3
	local dir="$out/notify-$name" log
	log=$(scan_log "$n")
	rm -rf "$dir"
	mkdir -p "$dir"
	"$out/fakereceiver" -out "$dir/requests.jsonl" -addr-file "$dir/url" "$@" > /dev/null 2> "$dir/receiver.log" &
	local rpid=$!
	for _ in $(seq 50); do [ -s "$dir/url" ] && break; sleep 0.1; done
	local url
	url=$(head -1 "$dir/url")
	write_config "$dir/homesoc.yaml" "$url" "$group"
	local h=("$out/homesoc" --data "$dir/data" --config "$dir/homesoc.yaml")
	"${h[@]}" --json ingest --format netfilter "$log" > "$dir/ingest.json"
	/usr/bin/time -f '%e %M' -o "$dir/detect.time" "${h[@]}" --json detect > "$dir/detect.json" 2> "$dir/detect.err" || true
	"${h[@]}" --json notify list > "$dir/outbox-detect.json" 2> "$dir/list-detect.err" || echo "  notify list after detect failed: $(head -1 "$dir/list-detect.err")"
	local t0 t1
	t0=$(date +%s.%N)
	timeout -s INT -k 10 "$((WINDOW + 30))" /usr/bin/time -f '%e %M' -o "$dir/notify.time" \
		"${h[@]}" --json alerts notify --wait "${WINDOW}s" > "$dir/notify.json" 2> "$dir/notify.err" || true
	t1=$(date +%s.%N)
	kill "$rpid"
	wait "$rpid" || true
	"${h[@]}" --json notify list > "$dir/outbox.json" 2> "$dir/list.err" || echo "  notify list after notify failed: $(head -1 "$dir/list.err")"
	local alerts
	alerts=$(jq '.opened' "$dir/detect.json")
	read -r dwall drss < <(grep -E '^[0-9.]+ [0-9]+$' "$dir/detect.time")
	read -r nwall nrss < <(grep -E '^[0-9.]+ [0-9]+$' "$dir/notify.time")
	echo "$name: $alerts alerts, group_by [$group]"
	echo "  detect: $dwall s, peak RSS $((drss / 1024)) MB; outbox after detect: $(jq -r 'length' "$dir/outbox-detect.json" 2>/dev/null) notifications ($(jq '[.[].alert_ids | length] | add // 0' "$dir/outbox-detect.json" 2>/dev/null) alert ids), detect's own elapsed_s $(jq '.elapsed_s * 100 | round / 100' "$dir/detect.json")"
	echo "  notify: $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s (--wait ${WINDOW}s; SIGINT at $((WINDOW + 30)) s), peak RSS $((nrss / 1024)) MB; $(jq -c '.delivery' "$dir/notify.json" 2>/dev/null | head -c 200)"
	[ -s "$dir/detect.err" ] && echo "  detect failed: $(head -c 300 "$dir/detect.err" | head -1)"
	[ -s "$dir/notify.err" ] && echo "  notify: $(head -c 300 "$dir/notify.err" | head -1)"
	jq -rs '
		def span: if length > 1 then .[-1].t - .[0].t else 0 end;
		def rate: span as $s | if $s > 0 then (length - 1) / $s else 0 end;
		def r2: . * 100 | round / 100;
		map(.t = (.time | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) + (.time | capture("(?<f>\\.[0-9]+)Z$").f // "0" | tonumber))
		| map(.key = "\(.body.text) \(.body | tostring | capture("`source`: (?<s>[0-9.]+)").s // "")")
		| group_by(.service)[]
		| (.[0].service) as $s
		| map(select(.status < 300)) as $ok
		| "  \($s): \(length) requests, \($ok | length) accepted, \(map(select(.status == 429)) | length) answered 429; first to last accepted \($ok | span | r2) s: \($ok | rate | r2)/s, after the first 10 \($ok[10:] | rate | r2)/s"
		  + (if $s == "pagerduty" then "; events per dedup_key: max \($ok | group_by(.body.dedup_key) | map(length) | max // 0), distinct \($ok | map(.body.dedup_key) | unique | length)"
		     else "; requests per message (title and first source, that is per group and part): max \($ok | group_by(.key) | map(length) | max // 0), distinct \($ok | map(.key) | unique | length)" end)
	' "$dir/requests.jsonl"
	[ -s "$dir/outbox.json" ] && jq -r '"  outbox: \(length) notifications: \(group_by(.state) | map("\(.[0].state) \(length)") | join(", ")); groups \(map(.group_key) | unique | length); most notifications per group, integration and part (PagerDuty: alert): \(group_by([.group_key, .integration, (if .integration | test("/pagerduty/") then .alert_ids else .message.part end)]) | map(length) | max // 0); parts max \(map(.message.parts // 1) | max // 0); attempts max \(map(.attempts) | max // 0)"' "$dir/outbox.json"
	return 0
}

# run_none NAME ALERTS measures detect without a config: routing to the
# default route, which has no integration.
run_none() {
	local name=$1 n=$2
	local dir="$out/notify-$name" log
	log=$(scan_log "$n")
	rm -rf "$dir"
	mkdir -p "$dir"
	local h=("$out/homesoc" --data "$dir/data")
	"${h[@]}" --json ingest --format netfilter "$log" > "$dir/ingest.json"
	/usr/bin/time -f '%e %M' -o "$dir/detect.time" "${h[@]}" --json detect > "$dir/detect.json" 2> "$dir/detect.err" || true
	"${h[@]}" --json notify list > "$dir/outbox.json"
	read -r dwall drss < <(grep -E '^[0-9.]+ [0-9]+$' "$dir/detect.time")
	echo "$name: $(jq '.opened' "$dir/detect.json") alerts, no config"
	echo "  detect: $dwall s, peak RSS $((drss / 1024)) MB; outbox: $(jq -r 'length' "$dir/outbox.json") notifications"
	[ -s "$dir/detect.err" ] && echo "  detect failed: $(head -c 300 "$dir/detect.err" | head -1)"
	return 0
}

echo "$(machine); N=$N SMALL=$SMALL WINDOW=${WINDOW}s PD_RATE=$PD_RATE"
for c in $CASES; do
	case $c in
	none-*) run_none "$c" "${c#none-}" ;;
	rule-*-pd-limited) n=${c#rule-}; run_case "$c" "${n%-pd-limited}" rule -pagerduty-rate "$PD_RATE" -pagerduty-burst "$((2 * PD_RATE))" ;;
	rule-*) run_case "$c" "${c#rule-}" rule ;;
	source-*) run_case "$c" "${c#source-}" source ;;
	*) echo "unknown case $c" >&2; exit 2 ;;
	esac
done
