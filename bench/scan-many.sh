#!/usr/bin/env bash
# Scans 1,000 targets in one run, to show that a scan's time follows its
# concurrency limits, not the sum of its timeouts:
#   - N_LO loopback addresses from 127.0.1.0 upward, 127.0.2.0/24 of
#     bench/scan-services.sh left out (no setup needed on lo);
#     every 10th has an SSH banner on 22 and an HTTP page on 80
#     (bench/scan-listen), the rest of their ports are closed (RST);
#   - N_NS addresses in 198.19.209.0/24 (RFC 2544 benchmarking space) that
#     exist only inside a network namespace this script creates, reached over
#     a veth pair; a drop rule there (nft, else iptables) silences every TCP
#     port but 22 and 80, so each of those targets has ~98 filtered ports of
#     the top 100, the slow case of a real router; every 10th has the
#     listener too. The namespace, its veth pair and the listeners go away
#     on exit (trap).
# It runs `homesoc scan` (top 100 TCP ports) once at its default limits and
# once per --concurrency value of CONCURRENCY, and reports wall time,
# targets per minute, open and filtered ports found; then nmap -sT -F on the
# same targets for reference; each run is cut off after CAP seconds.
# Root is needed for the namespace; without it only loopback targets run.
# usage: bench/scan-many.sh     (N_LO=900 N_NS=100 CONCURRENCY="100 1000" CAP=600)
#        RATE=0 CONCURRENCY="100 300 1000" bench/scan-many.sh
#          (the --concurrency runs with --rate RATE: 0 lifts the rate limit,
#          which at its default of 3,000 a second bounds a 1,000-target scan
#          before the concurrency does)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
export PATH="$PATH:/usr/sbin:/sbin"
N_LO=${N_LO:-900}
N_NS=${N_NS:-100}
CONCURRENCY=${CONCURRENCY:-100 1000}
CAP=${CAP:-600}
# HOMESOC names another homesoc binary, e.g. one built from a branch.
hsbin=${HOMESOC:-$out/homesoc}
NS_NET=198.19.209
res=$out/scan-many
mkdir -p "$res"
[ "$N_NS" -le 240 ] || { echo "N_NS at most 240 (one /24)" >&2; exit 2; }

ns=hsbench$$
veth=hsb$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; done
	ip netns del "$ns" 2> /dev/null || true
	ip link del "${veth}a" 2> /dev/null || true
}
trap cleanup EXIT INT TERM

# Targets: loopback first, then the namespace's.
targets=$res/targets.txt
# 127.0.2.0/24 is skipped: bench/scan-services.sh runs its daemons on
# 127.0.2.1.
awk -v n="$N_LO" 'BEGIN { for (i = 0; i < n; i++) { c = 1 + int(i / 256); printf "127.0.%d.%d\n", c + (c >= 2), i % 256 } }' > "$targets"
go build -o "$res/scan-listen" ./bench/scan-listen
awk 'NR % 10 == 1' "$targets" > "$res/listen-lo.txt"
# shellcheck disable=SC2046
"$res/scan-listen" -ports 22,80 $(cat "$res/listen-lo.txt") 2> "$res/listen-lo.log" &
pids+=($!)

allow="--allow 127.0.0.0/8"
if [ "$N_NS" -gt 0 ] && [ "$(id -u)" = 0 ] && ip netns add "$ns" 2> /dev/null; then
	ip link add "${veth}a" type veth peer name "${veth}b"
	ip link set "${veth}b" netns "$ns"
	ip addr add "$NS_NET.1/24" dev "${veth}a"
	ip link set "${veth}a" up
	ip -n "$ns" link set lo up
	ip -n "$ns" addr add "$NS_NET.2/24" dev "${veth}b"
	ip -n "$ns" link set "${veth}b" up
	awk -v n="$N_NS" -v net="$NS_NET" 'BEGIN { for (i = 0; i < n; i++) printf "%s.%d\n", net, 10 + i }' > "$res/targets-ns.txt"
	while read -r a; do ip -n "$ns" addr add "$a/32" dev "${veth}b"; done < "$res/targets-ns.txt"
	if command -v nft > /dev/null; then
		ip netns exec "$ns" nft -f - <<-EOF
			table inet hsbench {
			  chain input {
			    type filter hook input priority 0; policy accept;
			    iifname "${veth}b" tcp dport != { 22, 80 } drop
			  }
			}
		EOF
		drop="nft: iifname ${veth}b tcp dport != { 22, 80 } drop"
	else
		ip netns exec "$ns" iptables -A INPUT -i "${veth}b" -p tcp -m multiport ! --dports 22,80 -j DROP
		drop="iptables -A INPUT -i ${veth}b -p tcp -m multiport ! --dports 22,80 -j DROP"
	fi
	awk 'NR % 10 == 1' "$res/targets-ns.txt" > "$res/listen-ns.txt"
	# shellcheck disable=SC2046
	ip netns exec "$ns" "$res/scan-listen" -ports 22,80 $(cat "$res/listen-ns.txt") 2> "$res/listen-ns.log" &
	pids+=($!)
	cat "$res/targets-ns.txt" >> "$targets"
	allow="$allow --allow $NS_NET.0/24"
	nsnote="$N_NS in namespace $ns behind $drop"
else
	nsnote="no namespace (needs root and ip netns): loopback targets only"
fi
sleep 1
for p in "${pids[@]}"; do kill -0 "$p" || { echo "a listener failed: see $res/listen-*.log" >&2; exit 1; }; done
n=$(wc -l < "$targets")
listeners=$(cat "$res"/listen-*.txt | wc -l)

# summary_homesoc JSON and summary_nmap XML print: hosts up, open ports,
# filtered ports.
summary_homesoc() {
	python3 - "$1" <<-'EOF'
		import json, sys
		scan = json.load(open(sys.argv[1]))
		hosts = scan.get("hosts") or []
		up = sum(h.get("status") == "up" for h in hosts)
		opn = sum(p.get("state") == "open" for h in hosts for p in h.get("ports") or [])
		filt = sum((h.get("filtered") or {}).get("tcp", 0) for h in hosts)
		filt += sum(p.get("state") == "filtered" for h in hosts for p in h.get("ports") or [])
		print(f"{len(hosts)} hosts, {up} up, {opn} open ports, {filt} filtered")
	EOF
}
summary_nmap() {
	python3 - "$1" <<-'EOF'
		import sys, xml.etree.ElementTree as ET
		try:
		    root = ET.parse(sys.argv[1]).getroot()
		except ET.ParseError:
		    print("incomplete (cut off at the cap)")
		    sys.exit()
		hosts = root.findall("host")
		up = sum(h.find("status").get("state") == "up" for h in hosts)
		opn = sum(p.find("state").get("state") == "open" for p in root.iter("port"))
		filt = sum(int(e.get("count")) for e in root.iter("extraports") if e.get("state") == "filtered")
		filt += sum(p.find("state").get("state") == "filtered" for p in root.iter("port"))
		print(f"{len(hosts)} hosts, {up} up, {opn} open ports, {filt} filtered")
	EOF
}

# run_timed OUT CMD... runs CMD with its output in OUT; prints wall seconds.
run_timed() {
	local o=$1 t0 t1
	shift
	t0=$(date +%s.%N)
	"$@" > "$o" 2> "$o.err" || echo "exit $? ($(tail -1 "$o.err"))" >&2
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }'
}
per_min() { awk -v n="$n" -v t="$1" 'BEGIN { printf "%.0f", n * 60 / t }'; }

report=$res/report.md
{
	echo "$(machine), kernel $(uname -r), $(nmap --version | head -1)"
	echo
	echo "Targets: $n ($N_LO loopback from 127.0.1.0, skipping 127.0.2.0/24, $nsnote); listeners (SSH 22, HTTP 80) on $listeners of them, so $((listeners * 2)) open ports."
	echo
	echo "| scanner | limits | wall | targets/min | found |"
	echo "|---|---|---|---|---|"
} > "$report"

hs=("$hsbin" --data "$res/data" scan --json --ports top100)
# shellcheck disable=SC2206
hs+=($allow)
if ! "$hsbin" scan --help 2>&1 | grep -q 'homesoc scan'; then
	echo "$hsbin has no scan command yet: measuring nmap only, homesoc's side pending" >&2
	echo "| homesoc scan --ports top100 | - | pending: \`homesoc scan\` does not exist in this build yet | - | - |" >> "$report"
else
	settings=(default)
	if "$hsbin" scan --help 2>&1 | grep -q -- '--concurrency'; then
		# shellcheck disable=SC2206
		settings+=($CONCURRENCY)
	else
		echo "homesoc scan has no --concurrency yet: default limits only" >&2
	fi
	for c in "${settings[@]}"; do
		flags=()
		[ "$c" = default ] || flags=(--concurrency "$c" ${RATE:+--rate "$RATE"})
		# shellcheck disable=SC2046
		t=$(run_timed "$res/homesoc-$c.json" timeout "$CAP" "${hs[@]}" "${flags[@]}" $(cat "$targets"))
		echo "homesoc $c: $t s" >&2
		if found=$(summary_homesoc "$res/homesoc-$c.json" 2> /dev/null); then rate=$(per_min "$t"); else found="no result (cut off at $CAP s or failed)" rate=-; fi
		echo "| homesoc scan --ports top100 | ${flags[*]:-defaults} | $t s | $rate | $found |" >> "$report"
	done
fi

# Wildcard listeners (0.0.0.0, [::], *) are not the benchmark's: nmap leaves
# their ports alone.
foreign=$(ss -Hltn | awk '{ print $4 }' | grep -E '^(0\.0\.0\.0|\[::\]|\*):' | sed 's/.*://' | sort -nu | paste -sd, -)
exclude=()
[ -z "$foreign" ] || exclude=(--exclude-ports "$foreign")
t=$(run_timed "$res/nmap.txt" timeout "$CAP" nmap -n -Pn -sT -F "${exclude[@]}" -iL "$targets" -oX "$res/nmap.xml")
echo "nmap: $t s" >&2
found=$(summary_nmap "$res/nmap.xml")
rate=$(per_min "$t")
[ "${found#incomplete}" = "$found" ] || rate=-
echo "| nmap -n -Pn -sT -F ${exclude[*]} -iL targets.txt | nmap's defaults (-T3) | $t s (cap $CAP s) | $rate | $found |" >> "$report"
cat "$report"
