# Shared by the bench scripts: build the binary, and name fresh stores.
# Source it from bench/*.sh after `cd` to the repository root.
export PATH="$PATH:/usr/local/go/bin"
out=bench/out
mkdir -p "$out"
go build -o "$out/homesoc" ./cmd/homesoc

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
