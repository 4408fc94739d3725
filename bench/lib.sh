# Shared by the bench scripts: build the binary, generate inputs, and name
# fresh stores.
# Source it from bench/*.sh after `cd` to the repository root.
export PATH="$PATH:/usr/local/go/bin"
out=bench/out
mkdir -p "$out"
go build -o "$out/homesoc" ./cmd/homesoc

# netfilter_log N prints the path of N generated netfilter lines, generated
# on first use.
netfilter_log() {
	local log="$out/fw-$1.log"
	[ -s "$log" ] || awk -v n="$1" -v seed=1 -f bench/gen-netfilter.awk > "$log" || return
	echo "$log"
}

# indicator_list M prints the path of M generated IP indicators, generated on
# first use: addresses drawn like the generator's sources, so some events hit
# them.
indicator_list() {
	local intel="$out/indicators-$1.txt"
	[ -s "$intel" ] || awk -v m="$1" 'BEGIN { srand(2); for (i = 0; i < m; i++)
	printf "%d.%d.%d.%d\n", 1 + int(rand() * 222), int(rand() * 256), int(rand() * 256), 1 + int(rand() * 254) }' > "$intel" || return
	echo "$intel"
}

# ingest_netfilter FILE FLAGS... ingests FILE into the store of FLAGS and
# prints, on one line, how many events it stored and in how long.
ingest_netfilter() {
	local file=$1
	shift
	"$out/homesoc" "$@" --json ingest --format netfilter "$file" | grep -E '"(stored|elapsed_s)"' | head -2 | tr -d ' \n'
	echo
}

# machine prints what the figures were measured on.
machine() {
	echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(free -g | awk '/Mem:/ { print $2 }') GiB"
}

# stores lists the engines to measure: duckdb, and when CLICKHOUSE=host:tcp_port
# and CLICKHOUSE_HTTP=host:http_port name a server, ClickHouse with events sent
# over the native protocol and over HTTP in RowBinary (?http_port=). STORES
# picks some of them.
stores() {
	if [ -n "${STORES:-}" ]; then
		echo "$STORES"
		return
	fi
	echo duckdb
	if [ -n "${CLICKHOUSE:-}" ]; then
		: "${CLICKHOUSE_HTTP:?set CLICKHOUSE_HTTP=host:http_port too}"
		echo clickhouse clickhouse-http
	fi
}

# fresh_store ENGINE prints --data and --store flags for an empty store:
# a new data directory, or a new database on the ClickHouse server.
fresh_store() {
	rm -rf "$out/data"
	case $1 in
	duckdb) echo "--data $out/data --store duckdb" ;;
	clickhouse) echo "--data $out/data --store clickhouse://default@$CLICKHOUSE/homesoc_bench_$(date +%s%N)" ;;
	clickhouse-http) echo "--data $out/data --store clickhouse://default@$CLICKHOUSE/homesoc_bench_$(date +%s%N)?http_port=${CLICKHOUSE_HTTP##*:}" ;;
	esac
}

# drop_store FLAGS drops the ClickHouse database of flags from fresh_store.
drop_store() {
	local db="$*"
	case $db in
	*clickhouse://*)
		db=${db##*/}
		db=${db%%\?*}
		curl -fsS "http://${CLICKHOUSE_HTTP:?set CLICKHOUSE_HTTP=host:http_port}/" --data-binary "DROP DATABASE IF EXISTS $db" ;;
	esac
}

# median prints the median of its numeric arguments.
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
