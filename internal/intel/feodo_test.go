package intel

import (
	"testing"

	"github.com/homesoc/homesoc/internal/event"
)

func TestLoadFeodo(t *testing.T) {
	const ip = event.IndicatorIP
	runLoadCases(t, LoadFeodo, []loadCase{
		{
			name:       "json",
			file:       "feodo/ipblocklist.json",
			wantValues: []string{"203.0.113.10", "198.51.100.23", "192.0.2.77", "2001:db8::bad:1", "198.51.100.200"},
			want: []event.Indicator{
				// Listed twice (ports 443 and 995): the span of both, described
				// by the entry seen last.
				ind("feodo", ip, "203.0.113.10", "QakBot", 100, ts("2023-04-20 09:00:00"), ts("2024-01-10"), true,
					`{"as_name":"EXAMPLE-AS","as_number":64500,"country":"NL","first_seen":"2023-05-01 10:11:12","hostname":null,"ip_address":"203.0.113.10","last_online":"2024-01-10","malware":"QakBot","port":443,"status":"online"}`),
				// Offline, but online 26 days before now: active.
				ind("feodo", ip, "198.51.100.23", "Emotet", 75, ts("2022-11-02 08:00:00"), ts("2023-12-20"), true,
					`{"as_name":"EXAMPLE & SONS","as_number":64501,"country":"DE","first_seen":"2022-11-02 08:00:00","hostname":"host-23.example.net","ip_address":"198.51.100.23","last_online":"2023-12-20","malware":"Emotet","port":8080,"status":"offline"}`),
				// Offline for half a year: inactive.
				ind("feodo", ip, "192.0.2.77", "Dridex", 75, ts("2021-03-04 05:06:07"), ts("2023-06-30"), false,
					`{"as_name":"DOC-NET","as_number":64502,"country":"US","first_seen":"2021-03-04 05:06:07","hostname":null,"ip_address":"192.0.2.77","last_online":"2023-06-30","malware":"Dridex","port":2222,"status":"offline"}`),
				// Online, never a last_online: last seen when first seen.
				ind("feodo", ip, "2001:db8::bad:1", "Pikabot", 100, ts("2024-01-02 03:04:05"), ts("2024-01-02 03:04:05"), true,
					`{"as_name":"EXAMPLE-V6","as_number":64503,"country":"FR","first_seen":"2024-01-02 03:04:05","hostname":"c2.example.net","ip_address":"2001:db8::bad:1","last_online":null,"malware":"Pikabot","port":443,"status":"online"}`),
				ind("feodo", ip, "198.51.100.200", "BumbleBee", 75, ts("2023-01-01 00:00:00"), ts("2023-01-01 00:00:00"), false,
					`{"as_name":"EXAMPLE & SONS","as_number":64501,"country":"DE","first_seen":"2023-01-01 00:00:00","hostname":null,"ip_address":"198.51.100.200","last_online":null,"malware":"BumbleBee","port":443,"status":"offline"}`),
			},
			wantDuplicates: 1,
		},
		{
			name:       "json bad entries",
			file:       "feodo/ipblocklist.bad.json",
			feed:       "feodo-recommended",
			wantValues: []string{"198.51.100.99"},
			want: []event.Indicator{
				ind("feodo-recommended", ip, "198.51.100.99", "QakBot", 100, ts("2023-09-09 09:09:09"), ts("2024-01-14"), true,
					`{"first_seen":"2023-09-09 09:09:09","hostname":null,"ip_address":"198.51.100.99","last_online":"2024-01-14","malware":"QakBot","port":443,"status":"online"}`),
			},
			wantRejected: []Rejected{
				{Line: 2, Reason: `bad ip_address "203.0.113.999"`},
				{Line: 3, Reason: `missing ip_address`},
				{Line: 4, Reason: `missing first_seen`},
				{Line: 5, Reason: `bad first_seen "yesterday"`},
				{Line: 6, Reason: `bad ip_address 3405803788`},
				{Line: 7, Reason: `entry is not a JSON object`, Raw: `"203.0.113.14"`},
				{Line: 8, Reason: `bad last_online "soon"`},
				{Line: 9, Reason: `missing ip_address`, Raw: `{"ip_address":"","first_seen":"2023-05-01 10:11:12"}`},
			},
		},
		{
			name:         "json truncated keeps what came before",
			input:        "[\n{\"ip_address\":\"203.0.113.1\",\"first_seen\":\"2024-01-01 00:00:00\"},\n{\"ip_address\":\"203.0.113.2\",",
			wantValues:   []string{"203.0.113.1"},
			wantErr:      "feodo json: entry 2: line 3: unexpected EOF",
			wantRejected: nil,
		},
		{
			name:       "json syntax error",
			input:      "[\n{\"ip_address\":\"203.0.113.1\",\"first_seen\":\"2024-01-01 00:00:00\"}\n{\"ip_address\":\"203.0.113.2\"}]",
			wantValues: []string{"203.0.113.1"},
			wantErr:    "feodo json: entry 2: line 3: expected comma after array element",
		},
		{
			name:       "json data after the array",
			input:      "[]\n[]",
			wantErr:    "feodo json: line 2: data after the array",
			wantValues: nil,
		},
		{
			name:       "json empty array, byte-order mark",
			input:      "\xef\xbb\xbf  [ ]\n",
			wantValues: nil,
		},
		{
			name:       "json status in any case, no last_online",
			input:      `[{"ip_address":"::ffff:203.0.113.3","status":"ONLINE","first_seen":"2024-01-01 00:00:00"}]`,
			wantValues: []string{"203.0.113.3"},
			want: []event.Indicator{
				ind("feodo", ip, "203.0.113.3", "", 100, ts("2024-01-01 00:00:00"), ts("2024-01-01 00:00:00"), true,
					`{"first_seen":"2024-01-01 00:00:00","ip_address":"::ffff:203.0.113.3","status":"ONLINE"}`),
			},
		},
		{
			name:       "json last_online same day as first_seen",
			input:      `[{"ip_address":"203.0.113.4","status":"offline","first_seen":"2024-01-10 12:00:00","last_online":"2024-01-10"}]`,
			wantValues: []string{"203.0.113.4"},
			want: []event.Indicator{
				ind("feodo", ip, "203.0.113.4", "", 75, ts("2024-01-10 12:00:00"), ts("2024-01-10 12:00:00"), true,
					`{"first_seen":"2024-01-10 12:00:00","ip_address":"203.0.113.4","last_online":"2024-01-10","status":"offline"}`),
			},
		},
		{
			name:       "json not an array",
			input:      `{"ip_address":"203.0.113.1"}`,
			wantErr:    "feodo json: want an array of entries, got an object",
			wantValues: nil,
		},
		{
			name:       "csv",
			file:       "feodo/ipblocklist.csv",
			wantValues: []string{"203.0.113.10", "198.51.100.23", "192.0.2.77", "198.51.100.200"},
			want: []event.Indicator{
				ind("feodo", ip, "203.0.113.10", "QakBot", 100, ts("2023-04-20 09:00:00"), ts("2024-01-10"), true,
					`{"c2_status":"online","dst_ip":"203.0.113.10","dst_port":"443","first_seen_utc":"2023-05-01 10:11:12","last_online":"2024-01-10","malware":"QakBot"}`),
				ind("feodo", ip, "198.51.100.200", "BumbleBee", 75, ts("2023-01-01 00:00:00"), ts("2023-01-01 00:00:00"), false,
					`{"c2_status":"offline","dst_ip":"198.51.100.200","dst_port":"443","first_seen_utc":"2023-01-01 00:00:00","last_online":"","malware":"BumbleBee"}`),
			},
			wantSkipped:    11,
			wantDuplicates: 1,
		},
		{
			name:       "csv bad entries",
			file:       "feodo/ipblocklist.bad.csv",
			wantValues: []string{"198.51.100.99"},
			wantRejected: []Rejected{
				{Line: 6, Reason: `bad dst_ip "203.0.113.999"`},
				{Line: 7, Reason: `wrong number of fields: got 5, want 6`, Raw: `"2023-05-01 10:11:12","203.0.113.11","443","online","2024-01-10"`},
				{Line: 8, Reason: `missing dst_ip`},
				{Line: 9, Reason: `missing first_seen_utc`},
				{Line: 10, Reason: `bad first_seen_utc "2023-05-01T25:00:00"`},
				{Line: 11, Reason: `bad last_online "last week"`},
				{Line: 12, Reason: `bad csv: extraneous or missing " in quoted-field`},
			},
			wantSkipped: 7,
		},
		{
			name:       "csv without column line, CRLF",
			input:      "\"2023-05-01 10:11:12\",\"203.0.113.10\",\"443\",\"online\",\"2024-01-10\",\"QakBot\"\r\n\r\n",
			wantValues: []string{"203.0.113.10"},
			want: []event.Indicator{
				ind("feodo", ip, "203.0.113.10", "QakBot", 100, ts("2023-05-01 10:11:12"), ts("2024-01-10"), true,
					`{"c2_status":"online","dst_ip":"203.0.113.10","dst_port":"443","first_seen_utc":"2023-05-01 10:11:12","last_online":"2024-01-10","malware":"QakBot"}`),
			},
			wantSkipped: 1,
		},
		{
			// Copies of the feed (VAST's docs) print the column line without
			// its '#': a header row, not an entry with a bad dst_ip.
			name:       "csv uncommented column line",
			file:       "feodo/ipblocklist-header.csv",
			wantValues: []string{"203.0.113.205", "198.51.100.32"},
			want: []event.Indicator{
				ind("feodo", ip, "198.51.100.32", "Dridex", 100, ts("2024-01-10 07:44:46"), ts("2024-01-14"), true,
					`{"c2_status":"online","dst_ip":"198.51.100.32","dst_port":"4643","first_seen_utc":"2024-01-10 07:44:46","last_online":"2024-01-14","malware":"Dridex"}`),
			},
			wantSkipped: 6,
		},
		{
			name:        "csv column line after its comment",
			input:       "# first_seen_utc,dst_ip,malware\nfirst_seen_utc,dst_ip,malware\n2024-01-01 00:00:00,203.0.113.1,X\n",
			wantValues:  []string{"203.0.113.1"},
			wantSkipped: 2,
		},
		{
			name:       "csv columns reordered",
			input:      "# \"dst_ip\",\"malware\",\"first_seen_utc\"\n203.0.113.10,QakBot,2023-05-01 10:11:12\n",
			wantValues: []string{"203.0.113.10"},
			want: []event.Indicator{
				ind("feodo", ip, "203.0.113.10", "QakBot", 75, ts("2023-05-01 10:11:12"), ts("2023-05-01 10:11:12"), false,
					`{"dst_ip":"203.0.113.10","first_seen_utc":"2023-05-01 10:11:12","malware":"QakBot"}`),
			},
			wantSkipped: 1,
		},
		{
			name:       "empty",
			input:      "",
			wantValues: nil,
		},
	})
}
