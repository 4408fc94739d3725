#!/usr/bin/env bash
# Compares `homesoc scan` with Debian's nmap on the loopback services of
# bench/scan-services.sh (started here if they are not running): the same
# four scans with each - top 100 TCP ports with service detection over IPv4,
# all 65,535 ports, top 100 over IPv6 (::1), and five UDP ports - then prints
# a markdown block for BENCHMARKS.md: the machine, the exact commands, the
# ports and services/products each found, whether they agree, and the median
# wall times and their ratio. Only 127.0.2.1 and ::1 are scanned; nmap runs
# with -n, so no reverse-DNS query leaves the machine.
# usage: bench/scan-nmap.sh            (RUNS=5 for the top-100 scans, RUNS_ALL=1, RUNS_UDP=1)
#        CASES="tcp4 udp" bench/scan-nmap.sh     (some of: tcp4 all4 tcp6 udp)
#        NMAP=0 bench/scan-nmap.sh                (homesoc only, against the last nmap results)
#        HOMESOC=/path/to/homesoc bench/scan-nmap.sh
# Leaves the services running; stop them with bench/scan-services.sh stop.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${RUNS:-5}
RUNS_ALL=${RUNS_ALL:-1}
RUNS_UDP=${RUNS_UDP:-1}
CASES=${CASES:-tcp4 all4 tcp6 udp}
NMAP=${NMAP:-1}
# HOMESOC names another homesoc binary, e.g. one built from a branch.
hsbin=${HOMESOC:-$out/homesoc}
SVC_DIR=${SVC_DIR:-/tmp/homesoc-scan-services}
V4=127.0.2.1
UDP_PORTS=53,123,161,1900,5353
res=$out/scan-nmap
mkdir -p "$res"

bench/scan-services.sh start "$SVC_DIR" | tail -1 >&2

# homesoc_scans succeeds when the binary has the scan command.
homesoc_scans() { "$hsbin" scan --help 2>&1 | grep -q 'homesoc scan'; }
homesoc_scans || echo "$hsbin has no scan command yet: measuring nmap only, homesoc's side pending" >&2

# Wildcard TCP listeners (0.0.0.0, [::], *) are not the benchmark's, whose
# services all bind 127.0.2.1 or ::1: the scans leave their ports alone.
foreign=$(ss -Hltn | awk '{ print $4 }' | grep -E '^(0\.0\.0\.0|\[::\]|\*):' | sed 's/.*://' | sort -nu | paste -sd, -)
exclude=${foreign:+--exclude-ports $foreign}
# all_but prints 1-65535 without the ports of foreign, as ranges.
all_but() {
	tr ',' '\n' <<< "$foreign" | awk '
		function add(a, b) { r = r (r == "" ? "" : ",") (a == b ? a : a "-" b) }
		BEGIN { lo = 1 }
		NF { if ($1 > lo) add(lo, $1 - 1); lo = $1 + 1 }
		END { if (lo <= 65535) add(lo, 65535); print r }'
}

# The scans: a name, nmap's arguments, homesoc's arguments, runs, protocol.
nmap_args() {
	case $1 in
	tcp4) echo "-n -sV -F $exclude $V4" ;;
	all4) echo "-n -sV -p- $exclude $V4" ;;
	tcp6) echo "-n -6 -sV -F $exclude ::1" ;;
	udp) echo "-n -sU -sV -p $UDP_PORTS $V4" ;;
	esac
}
homesoc_args() {
	case $1 in
	tcp4) echo "--ports top100 --allow $V4/32 $V4" ;;
	all4) if [ -n "$foreign" ]; then echo "--ports $(all_but) --allow $V4/32 $V4"; else echo "--ports all --allow $V4/32 $V4"; fi ;;
	tcp6) echo "--ports top100 --allow ::1/128 ::1" ;;
	udp) echo "--udp --ports $UDP_PORTS --allow $V4/32 $V4" ;;
	esac
}
runs() {
	case $1 in
	tcp4 | tcp6) echo "$RUNS" ;;
	all4) echo "$RUNS_ALL" ;;
	udp) echo "$RUNS_UDP" ;;
	esac
}
proto() { if [ "$1" = udp ]; then echo udp; else echo tcp; fi; }

# wall OUT CMD... runs CMD, its output to the file OUT, and prints its wall
# time in seconds.
wall() {
	local t0 t1 o=$1
	shift
	t0=$(date +%s.%N)
	"$@" > "$o"
	t1=$(date +%s.%N)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f\n", b - a }'
}

# ports_nmap XML PROTO and ports_homesoc JSON PROTO print one line per port
# found open or open|filtered: port<TAB>state<TAB>service<TAB>product version.
# nmap's "http" over TLS is written https, as homesoc names it.
ports_nmap() {
	python3 - "$1" "$2" <<-'EOF'
		import sys, xml.etree.ElementTree as ET
		for port in ET.parse(sys.argv[1]).iter("port"):
		    st = port.find("state").get("state")
		    if port.get("protocol") != sys.argv[2] or st not in ("open", "open|filtered"):
		        continue
		    s = port.find("service")
		    s = s.attrib if s is not None else {}
		    name = s.get("name", "")
		    if s.get("tunnel") == "ssl":
		        name = "https" if name == "http" else "ssl/" + name
		    if s.get("method") == "table":
		        name += "?"
		    prod = " ".join(x for x in (s.get("product", ""), s.get("version", "")) if x)
		    print(f'{port.get("portid")}\t{st}\t{name}\t{prod}')
	EOF
}
ports_homesoc() {
	python3 - "$1" "$2" <<-'EOF'
		import json, sys
		scan = json.load(open(sys.argv[1]))
		for host in scan.get("hosts") or []:
		    for p in host.get("ports") or []:
		        if p.get("proto") != sys.argv[2] or p.get("state") not in ("open", "open|filtered"):
		            continue
		        name = p.get("service", "") + ("?" if p.get("guessed") else "")
		        prod = " ".join(x for x in (p.get("product", ""), p.get("version", "")) if x)
		        print(f'{p["port"]}\t{p["state"]}\t{name}\t{prod}')
	EOF
}

# compare NMAP_PORTS HOMESOC_PORTS SUMMARY prints a markdown table of the
# union of ports: what each found, and whether service and product agree
# (names compared case-insensitively without spaces, one a prefix of the
# other, so "MiniUPnP" matches "MiniUPnPd", and nmap's "domain" is "dns"; a
# product named by one side only says which). It writes the counts to
# SUMMARY: ports found by nmap, by homesoc, by both, services and products
# that agree.
compare() {
	python3 - "$@" <<-'EOF'
		import sys
		def load(path):
		    rows = {}
		    try:
		        for line in open(path):
		            port, st, name, prod = line.rstrip("\n").split("\t")
		            rows[int(port)] = (st, name, prod)
		    except FileNotFoundError:
		        return None
		    return rows
		n, h = load(sys.argv[1]), load(sys.argv[2])
		# The same protocol under nmap's name and ours.
		alias = {"domain": "dns", "upnp": "ssdp", "http-proxy": "http"}
		def norm(s):
		    s = s.lower().replace(" ", "").rstrip("?")
		    return alias.get(s, s)
		def same(a, b):
		    a, b = norm(a), norm(b)
		    return a == b or bool(a and b and (a.startswith(b) or b.startswith(a)))
		def product(a, b):
		    a, b = a.split(" ")[0], b.split(" ")[0]
		    if not a and not b:
		        return "neither"
		    if not a:
		        return "homesoc only"
		    if not b:
		        return "nmap only"
		    return "yes" if same(a, b) else "no"
		def cell(r):
		    return "-" if r is None else f"{r[0]} {r[1]} {r[2]}".strip()
		both = svc_ok = prod_ok = 0
		print("| port | nmap | homesoc | service | product |")
		print("|---|---|---|---|---|")
		for port in sorted(set(n or {}) | set(h or {})):
		    a, b = (n or {}).get(port), (h or {}).get(port)
		    if h is None:
		        hs, svc, prod = "pending", "-", "-"
		    elif a is None or b is None:
		        hs, svc, prod = cell(b), "missed by " + ("nmap" if a is None else "homesoc"), "-"
		    else:
		        both += 1
		        hs, svc, prod = cell(b), "yes" if same(a[1], b[1]) else "no", product(a[2], b[2])
		        svc_ok += svc == "yes"
		        prod_ok += prod in ("yes", "neither", "homesoc only")
		    print(f"| {port} | {cell(a)} | {hs} | {svc} | {prod} |")
		with open(sys.argv[3], "w") as f:
		    count = lambda r: "-" if r is None else str(len(r))
		    f.write(f"{count(n)}\t{count(h)}\t{both if n is not None and h is not None else '-'}\t{svc_ok}\t{prod_ok}\n")
	EOF
}

report=$res/report.md
summary=$res/summary.md
{
	echo "| scan | open ports nmap / homesoc / both | same service | same product or better | wall nmap (median) | wall homesoc (median) | homesoc/nmap |"
	echo "|---|---|---|---|---|---|---|"
} > "$summary"
: > "$report"
for c in $CASES; do
	pr=$(proto "$c")
	nt=() ht=()
	nargs=$(nmap_args "$c")
	hargs=$(homesoc_args "$c")
	for run in $(seq "$(runs "$c")"); do
		if [ "$NMAP" = 1 ]; then
			# shellcheck disable=SC2086
			t=$(wall "$res/$c.nmap.txt" nmap $nargs -oX "$res/$c.xml")
			nt+=("$t")
			echo "$c nmap run $run: $t s" >&2
		fi
		if homesoc_scans; then
			# shellcheck disable=SC2086
			t=$(wall "$res/$c.json" "$hsbin" --data "$out/scan-data" scan --json $hargs)
			ht+=("$t")
			echo "$c homesoc run $run: $t s" >&2
		fi
	done
	rm -f "$res/$c.nmap.ports" "$res/$c.homesoc.ports"
	[ -s "$res/$c.xml" ] && ports_nmap "$res/$c.xml" "$pr" > "$res/$c.nmap.ports"
	[ ${#ht[@]} -gt 0 ] && ports_homesoc "$res/$c.json" "$pr" > "$res/$c.homesoc.ports"
	nm=- hm=- ratio=-
	[ ${#nt[@]} -gt 0 ] && nm=$(median "${nt[@]}")
	[ ${#ht[@]} -gt 0 ] && hm=$(median "${ht[@]}")
	[ "$nm" != - ] && [ "$hm" != - ] && ratio=$(awk -v a="$hm" -v b="$nm" 'BEGIN { printf "%.3f", a / b }')
	{
		echo
		echo "#### $c"
		echo
		echo '```'
		echo "nmap $nargs -oX $c.xml"
		echo "homesoc scan --json $hargs"
		echo '```'
		echo
		echo "Wall times (s): nmap ${nt[*]:-not run}; homesoc ${ht[*]:-not run}."
		echo
		compare "$res/$c.nmap.ports" "$res/$c.homesoc.ports" "$res/$c.counts"
	} >> "$report"
	IFS=$'\t' read -r fn fh fb sv pd < "$res/$c.counts"
	if [ "$fh" = - ]; then sv=pending pd=pending hm=pending; else sv="$sv/$fb" pd="$pd/$fb" hm="$hm s"; fi
	[ "$nm" = - ] || nm="$nm s"
	echo "| $c | $fn / $fh / $fb | $sv | $pd | $nm | $hm | $ratio |" >> "$summary"
done
{
	echo "$(machine), kernel $(uname -r), $(nmap --version | head -1)."
	echo "Services: \`bench/scan-services.sh start\` (127.0.2.1 and ::1)."
	homesoc_scans || echo "\`homesoc scan\` does not exist in this build yet: its side is pending."
	echo
	cat "$summary" "$report"
} > "$res/benchmarks.md"
cat "$res/benchmarks.md"
