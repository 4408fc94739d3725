#!/usr/bin/env bash
# Measures issue 12's `homesoc serve` fed by bench/loadgen over loopback:
# each case starts serve in a fresh data directory (DuckDB) with syslog UDP
# and TCP and the API on free 127.0.0.1 ports (read from <data>/serve.json),
# sends, waits until homesoc_records_stored_total{table="network_events"}
# stops growing, and reads /metrics:
#
#   tcp-max     N lines (2,000,000) over one TCP connection as fast as
#               possible: sent, stored, lost, and the sustained rate,
#               stored / (last batch written - first line sent);
#   tcp-200k    200,000 lines/s for TCP_SECONDS (30): the same figures;
#   udp-R       R lines/s (25k 50k 100k 200k 400k) for UDP_SECONDS (10), a
#               datagram a line: sent; read by serve: handed on to the
#               pipeline (homesoc_syslog_messages_total) and dropped for a
#               full queue (homesoc_syslog_dropped_total); lost in the
#               kernel (sent - handed on - dropped); stored; loss %;
#   http-gzip   N lines pushed in gzip'd batches of HTTP_BATCH (100,000) to
#               POST /api/v1/ingest?format=netfilter (skipped when serve
#               answers 404);
#   rss-50k     50,000 lines/s over TCP for DURATION s (600): VmRSS of
#               serve every 5 s, peak (VmHWM), median of the first minute's
#               samples against the last minute's;
#   ioc         a jsonl receiver, route group_by ['...'] and group_wait 0s
#               (each alert its own group, sent at once), one indicator
#               loaded with `intel load` inside serve, a background stream of
#               20,000 lines/s, and 100 IoC samples (a line from its own
#               192.168.x.y to the indicator) one every 0.5 s: p50, p99 and
#               max from send to the notification's line in the file.
#
# usage: bench/serve.sh                       (every case; rss-50k 10 min)
#        DURATION=60 bench/serve.sh           (a quick run)
#        CASES="tcp-max udp-100k" bench/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
go build -o "$out/loadgen" ./bench/loadgen
N=${N:-2000000}
DURATION=${DURATION:-600}
TCP_SECONDS=${TCP_SECONDS:-30}
UDP_SECONDS=${UDP_SECONDS:-10}
SAMPLES=${SAMPLES:-100}
HTTP_BATCH=${HTTP_BATCH:-100000}
CASES=${CASES:-"tcp-max tcp-200k udp-25k udp-50k udp-100k udp-200k udp-400k http-gzip rss-50k ioc"}
INDICATOR=198.51.100.77

spid="" dir="" url="" tcp="" udp="" token="" bgpid=""

# stop_bg stops the background sender (SIGTERM, then SIGKILL after 10 s).
stop_bg() {
	[ -n "$bgpid" ] || return 0
	kill "$bgpid" 2>/dev/null || true
	for _ in $(seq 100); do kill -0 "$bgpid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$bgpid" 2>/dev/null || true
	wait "$bgpid" 2>/dev/null || true
	bgpid=""
}

# stop_serve stops the background sender and the running serve (SIGTERM,
# then SIGKILL after 60 s).
stop_serve() {
	stop_bg
	[ -n "$spid" ] || return 0
	kill "$spid" 2>/dev/null || true
	for _ in $(seq 600); do kill -0 "$spid" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$spid" 2>/dev/null || true
	wait "$spid" 2>/dev/null || true
	spid=""
}
trap stop_serve EXIT

# start_serve NAME [CONFIG] starts serve on a fresh data directory
# $out/serve-NAME/data and sets spid, dir, url, tcp, udp and token.
start_serve() {
	dir="$out/serve-$1"
	rm -rf "$dir"
	mkdir -p "$dir"
	local cfg=()
	[ -n "${2:-}" ] && cfg=(--config "$2")
	"$out/homesoc" --data "$dir/data" "${cfg[@]}" serve --http 127.0.0.1:0 \
		--syslog-udp 127.0.0.1:0 --syslog-tcp 127.0.0.1:0 > "$dir/serve.out" 2> "$dir/serve.log" &
	spid=$!
	for _ in $(seq 300); do
		[ -s "$dir/data/serve.json" ] && break
		kill -0 "$spid" 2>/dev/null || { echo "serve exited: $(tail -3 "$dir/serve.log")" >&2; return 1; }
		sleep 0.1
	done
	url=$(jq -r .url "$dir/data/serve.json")
	tcp=$(jq -r '.syslog[] | select(startswith("tcp://")) | ltrimstr("tcp://")' "$dir/data/serve.json")
	udp=$(jq -r '.syslog[] | select(startswith("udp://")) | ltrimstr("udp://")' "$dir/data/serve.json")
	token=$(cat "$dir/data/api-token")
}

# metric NAME [LABEL_FILTER] prints the sum of a metric's samples (0 when
# it has none).
metric() {
	curl -fsS --max-time 10 "$url/metrics" | awk -v name="$1" -v filter="${2:-}" '
		$1 == name || index($1, name "{") == 1 { if (filter == "" || index($1, filter)) s += $2 }
		END { printf "%.0f\n", s }'
}

# last_write prints when serve last wrote a batch (unix seconds).
last_write() {
	curl -fsS --max-time 10 "$url/metrics" | awk '$1 == "homesoc_ingest_last_write_timestamp_seconds" { printf "%.3f\n", $2 }'
}

# wait_stored waits until serve has handled every record its listeners
# received (network events stored or duplicate, plus records rejected or
# skipped, reach max(syslog messages, records parsed)) and the count held
# for a second, or the count has not moved for STUCK s (60); at most 900 s.
# It prints the stored network events.
wait_stored() {
	local prev=-1 same=0 n m
	for _ in $(seq 1800); do
		m=$(curl -fsS --max-time 10 "$url/metrics" | awk '
			/^homesoc_records_stored_total\{table="network_events"\}/ { stored += $2 }
			/^homesoc_records_duplicate_total\{table="network_events"\}/ { done += $2 }
			/^homesoc_events_(rejected|skipped)_total/ { done += $2 }
			/^homesoc_syslog_messages_total/ { msgs += $2 }
			/^homesoc_events_received_total/ { parsed += $2 }
			END { want = msgs > parsed ? msgs : parsed; printf "%.0f %d\n", stored, (stored + done >= want) }')
		n=${m% *}
		if [ "$n" = "$prev" ]; then
			same=$((same + 1))
			[ "${m#* }" = 1 ] && [ "$same" -ge 2 ] && break
			[ "$same" -ge $((${STUCK:-60} * 2)) ] && break
		else
			same=0
		fi
		prev=$n
		sleep 0.5
	done
	echo "$n"
}

# report_stream NAME LOADGEN_JSON prints a stream's sent, stored, lost and
# rates once serve stored everything.
report_stream() {
	local name=$1 res=$2 stored last
	stored=$(wait_stored)
	last=$(last_write)
	jq -r --argjson stored "$stored" --argjson last "${last:-0}" --arg name "$name" \
		--argjson recv "$(metric homesoc_events_received_total)" '
		def r: . * 10 | round / 10;
		"\($name): sent \(.sent) in \(.elapsed_s | r) s (\(.rate | round)/s); parsed \($recv), stored \($stored), lost \(.sent - $stored)"
		+ "; sustained \(if $last > .first_send_unix then ($stored / ($last - .first_send_unix)) | round else "-" end)/s (stored / (last batch written - first send))"
		+ (if .error then "; loadgen: \(.error)" else "" end)' "$res"
}

# peak_rss prints serve's VmHWM in MB.
peak_rss() { awk '/VmHWM/ { printf "%d\n", $2 / 1024 }' "/proc/$spid/status"; }

case_tcp_max() {
	start_serve tcp-max
	timeout 600 "$out/loadgen" -mode tcp -addr "$tcp" -n "$N" > "$dir/loadgen.json" || true
	report_stream "tcp-max ($N lines)" "$dir/loadgen.json"
	echo "  peak RSS $(peak_rss) MB; write errors $(metric homesoc_ingest_write_errors_total); batches $(metric homesoc_ingest_batches_total)"
	stop_serve
}

case_tcp_rate() { # NAME RATE
	start_serve "$1"
	timeout $((TCP_SECONDS + 60)) "$out/loadgen" -mode tcp -addr "$tcp" -rate "$2" -duration "${TCP_SECONDS}s" > "$dir/loadgen.json" || true
	report_stream "$1 (${TCP_SECONDS} s)" "$dir/loadgen.json"
	echo "  peak RSS $(peak_rss) MB"
	stop_serve
}

case_udp() { # NAME RATE
	start_serve "$1"
	timeout $((UDP_SECONDS + 30)) "$out/loadgen" -mode udp -addr "$udp" -rate "$2" -duration "${UDP_SECONDS}s" > "$dir/loadgen.json" || true
	local stored recv dropped
	stored=$(wait_stored)
	recv=$(metric homesoc_syslog_messages_total udp://)
	dropped=$(metric homesoc_syslog_dropped_total udp://)
	jq -r --argjson stored "$stored" --argjson recv "$recv" --argjson dropped "$dropped" --arg name "$1" '
		def pct: . * 1000 | round / 10;
		"\($name): sent \(.sent) (\(.rate | round)/s); read by serve \($recv + $dropped): handed on \($recv), dropped (queue full) \($dropped); lost in the kernel \(.sent - $recv - $dropped); stored \($stored); loss \((.sent - $stored) / ([.sent, 1] | max) * 100 | . * 100 | round / 100) %"
		+ (if .error then "; loadgen: \(.error)" else "" end)' "$dir/loadgen.json"
	stop_serve
}

case_http() {
	start_serve http-gzip
	local rc=0
	timeout 600 "$out/loadgen" -mode http -url "$url" -token "$token" -batch "$HTTP_BATCH" -n "$N" > "$dir/loadgen.json" 2> "$dir/loadgen.err" || rc=$?
	if [ "$rc" = 3 ]; then
		echo "http-gzip: skipped: $(tail -1 "$dir/loadgen.err")"
	else
		report_stream "http-gzip ($N lines, batches of $HTTP_BATCH)" "$dir/loadgen.json"
		echo "  requests $(jq .requests "$dir/loadgen.json"), replies summed $(jq -c .replies "$dir/loadgen.json"); peak RSS $(peak_rss) MB"
	fi
	stop_serve
}

case_rss() {
	start_serve rss-50k
	"$out/loadgen" -mode tcp -addr "$tcp" -rate 50000 -duration "${DURATION}s" > "$dir/loadgen.json" &
	bgpid=$!
	: > "$dir/rss.txt"
	local t0=$SECONDS
	while kill -0 "$bgpid" 2>/dev/null && [ $((SECONDS - t0)) -lt $((DURATION + 60)) ]; do
		echo "$((SECONDS - t0)) $(awk '/VmRSS/ { print $2 }' "/proc/$spid/status")" >> "$dir/rss.txt"
		sleep 5
	done
	stop_bg
	report_stream "rss-50k (${DURATION} s)" "$dir/loadgen.json"
	local first last
	first=$(awk '$1 < 60 { print int($2 / 1024) }' "$dir/rss.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	last=$(awk -v end="$((DURATION - 60))" '$1 >= end { print int($2 / 1024) }' "$dir/rss.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	echo "  RSS: peak (VmHWM) $(peak_rss) MB; median of the first minute's samples $first MB, of the last minute's $last MB; $(wc -l < "$dir/rss.txt") samples in $dir/rss.txt"
	stop_serve
}

case_ioc() {
	local cfgfile="$out/serve-ioc.yaml" notes="$out/serve-ioc-notifications.jsonl"
	rm -f "$notes"
	cat > "$cfgfile" <<YAML
route:
  receiver: bench
  group_by: ['...']
  group_wait: 0s
receivers:
  - name: bench
    jsonl_configs:
      - path: $PWD/$notes
YAML
	start_serve ioc "$cfgfile"
	printf '# bench indicator\n%s\n' "$INDICATOR" > "$dir/feed.csv"
	"$out/homesoc" --data "$dir/data" --wait 10s intel load --feed csv "$dir/feed.csv" > "$dir/intel.out"
	for _ in $(seq 100); do [ "$(metric homesoc_matcher_indicators)" -ge 1 ] && break; sleep 0.1; done
	local span=$(( (SAMPLES + 1) / 2 + 30 ))
	"$out/loadgen" -mode tcp -addr "$tcp" -rate 20000 -duration "${span}s" > "$dir/background.json" &
	bgpid=$!
	sleep 2
	timeout $((span + 30)) "$out/loadgen" -addr "$tcp" -ioc "$INDICATOR" -samples "$SAMPLES" -every 500ms \
		-notifications "$notes" -wait 20s > "$dir/ioc.json" || true
	stop_bg
	jq -r '"ioc: \(.samples) samples, \(.seen) notified; send to notification p50 \(.p50_ms | round) ms, p99 \(.p99_ms | round) ms, max \(.max_ms | round) ms"
		+ (if (.missing // []) != [] then "; never notified: \(.missing | join(" "))" else "" end)' "$dir/ioc.json"
	jq -r '"  background: \(.sent) lines at \(.rate | round)/s"' "$dir/background.json"
	echo "  notifications $(wc -l < "$notes"); alerts: $(metric homesoc_notifications 'state="delivered"') delivered, $(metric homesoc_notifications 'state="pending"') pending; peak RSS $(peak_rss) MB"
	echo "  store write errors $(metric homesoc_ingest_write_errors_total); job failures $(metric homesoc_job_failures_total)"
	grep -m1 'store write failed' "$dir/serve.log" | cut -c1-400 || true
	stop_serve
}

echo "$(machine); commit $(git rev-parse --short HEAD); N=$N DURATION=${DURATION}s"
for c in $CASES; do
	case $c in
	tcp-max) case_tcp_max ;;
	tcp-*k) case_tcp_rate "$c" "$(( ${c//[!0-9]/} * 1000 ))" ;;
	udp-*k) case_udp "$c" "$(( ${c//[!0-9]/} * 1000 ))" ;;
	http-gzip) case_http ;;
	rss-50k) case_rss ;;
	ioc) case_ioc ;;
	*) echo "unknown case $c" >&2; exit 2 ;;
	esac
done
