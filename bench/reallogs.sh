#!/usr/bin/env bash
# Ingests every sample of ../shared/real-logs (or $REAL_LOGS) that a parser of
# ours reads, each into a fresh DuckDB store, with the format its folder
# holds (auto-detected where a folder mixes them), and prints one markdown
# row per file: lines read, stored (by table), skipped, rejected. The closing
# notes of issues quote its table. Needs jq.
#
#   bench/reallogs.sh [FOLDER...]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
real=${REAL_LOGS:-../shared/real-logs}
command -v jq >/dev/null || { echo "bench/reallogs.sh needs jq (apt-get install jq)" >&2; exit 1; }

# The format of each folder; auto where one folder holds several.
declare -A formats=(
	[netfilter]=netfilter [zeek-conn]=auto [zeek-http]=auto [crowdstrike-fdr]=crowdstrike-fdr
	[defender]=auto [cisco-asa]=cisco-asa [fortigate]=fortigate [openvpn]=auto [squid]=squid
)
folders=("$@")
[ ${#folders[@]} -gt 0 ] || folders=(netfilter zeek-conn zeek-http crowdstrike-fdr defender cisco-asa fortigate openvpn squid)

echo "| file | format | read | stored | by table | skipped | rejected |"
echo "|---|---|---|---|---|---|---|"
for folder in "${folders[@]}"; do
	format=${formats[$folder]:?"no format known for folder $folder"}
	for f in "$real/$folder"/*; do
		case $f in *README.md | *.sources | *.expected.json) continue ;; esac
		data=$(mktemp -d)
		"$out/homesoc" --data "$data" --json ingest --format "$format" "$f" |
			jq -r --arg file "$folder/$(basename "$f")" '.files[0] as $r |
				"| \($file) | \($r.format) | \($r.read) | \($r.stored) | \([$r.tables // {} | to_entries[] | "\(.key) \(.value.stored)"] | join(", ")) | \($r.skipped) | \($r.rejected) |"'
		rm -rf "$data"
	done
done
