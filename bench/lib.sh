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

# stores lists the engines to measure: duckdb, and ClickHouse when
# CLICKHOUSE=host:tcp_port names a server (its HTTP port in CLICKHOUSE_HTTP).
stores() {
	echo duckdb
	[ -n "${CLICKHOUSE:-}" ] && echo clickhouse
	return 0
}

# fresh_store ENGINE prints --data and --store flags for an empty store:
# a new data directory, or a new database on the ClickHouse server.
fresh_store() {
	rm -rf "$out/data"
	case $1 in
	duckdb) echo "--data $out/data --store duckdb" ;;
	clickhouse) echo "--data $out/data --store clickhouse://default@$CLICKHOUSE/homesoc_bench_$(date +%s%N)" ;;
	esac
}

# drop_store FLAGS drops the ClickHouse database of flags from fresh_store.
drop_store() {
	case $* in
	*clickhouse://*)
		db=${*##*/}
		curl -fsS "http://${CLICKHOUSE_HTTP:?set CLICKHOUSE_HTTP=host:http_port}/" --data-binary "DROP DATABASE IF EXISTS $db" ;;
	esac
}

# median prints the median of its numeric arguments.
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
