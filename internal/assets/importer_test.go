package assets

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
)

// render is what Parse made of a file, one line per update (its asset as
// JSON without the zero times) then per reject, then the ignored columns.
func render(p Parsed) string {
	var b strings.Builder
	for _, u := range p.Updates {
		j, _ := json.Marshal(u.Asset)
		s := strings.ReplaceAll(string(j), `,"updated_at":"0001-01-01T00:00:00Z"`, "")
		s = strings.ReplaceAll(s, `,"first_seen":"0001-01-01T00:00:00Z"`, "")
		s = strings.ReplaceAll(s, `,"last_seen":"0001-01-01T00:00:00Z"`, "")
		fmt.Fprintln(&b, s, u.Observed)
	}
	for _, r := range p.Rejects {
		fmt.Fprintln(&b, r.Error("F"))
	}
	fmt.Fprintf(&b, "ignored %q\n", p.Ignored)
	return b.String()
}

func TestParseFiles(t *testing.T) {
	for _, c := range []struct{ file, want string }{
		{"inventory.csv", `{"id":"a1b2c3d4e5f60718293a4b5c6d7e8f90","hostname":"LAPTOP-ANNA","macs":["00:15:5d:aa:bb:cc","a4:5e:60:11:22:33"],"owner":"anna","os":"Windows 11","platform":"","tags":["finance","laptop"],"serial":"PF3ABC12","location":"home office","notes":"Anna's work laptop, docked","source":"import:inventory.csv"} false
{"id":"f00dbabef00dbabef00dbabef00dbabe","hostname":"mac-bob","macs":["3c:22:fb:01:02:03"],"owner":"bob","os":"macOS 14","platform":"","tags":["laptop"],"serial":"C02XYZ","location":"","notes":"","source":"import:inventory.csv"} false
{"id":"inv-0009","hostname":"nas01","macs":["00:11:22:33:44:66","00:11:22:33:44:77"],"owner":"family","os":"Debian 12","platform":"","tags":["nas","server"],"serial":"","location":"basement","notes":"","source":"import:inventory.csv"} false
F:4: no device id: give it in a column id, device_id, aid, DeviceId or host_id
F:6: macs: bad MAC address "not-a-mac": want six bytes such as aa:bb:cc:dd:ee:ff
F:7: 3 fields where the header names 10
ignored ["Purchase Date"]
`},
		{"inventory.json", `{"id":"4d3c2b1a09f8e7d6c5b4a39281706f5e4d3c2b1a","hostname":"laptop-anna.example.org","macs":["a4:5e:60:11:22:33"],"owner":"anna","os":"","platform":"","tags":["defender","laptop"],"serial":"","location":"","notes":"","source":"import:inventory.json","first_seen":"2024-05-01T00:00:00Z"} false
{"id":"inv-0012","hostname":"phone-kim","macs":[],"owner":"kimura","os":"","platform":"","tags":[],"serial":"","location":"","notes":"","source":"import:inventory.json"} false
F:4: no device id: give it in a column id, device_id, aid, DeviceId or host_id
F:5: last_seen: bad time "yesterday": want RFC 3339 (2026-04-06T16:05:29Z) or a date (2026-04-06)
ignored ["cost"]
`},
		{"inventory.jsonl", `{"id":"inv-0020","hostname":"camera","macs":[],"owner":"","os":"","platform":"","tags":["camera","iot"],"serial":"","location":"","notes":"","source":"import:inventory.jsonl"} false
F:3: not a JSON object
F:4: macs: bad MAC address "7": want six bytes such as aa:bb:cc:dd:ee:ff
F:5: bad JSON: unexpected EOF
ignored []
`},
	} {
		f, err := os.Open("testdata/" + c.file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse("dir/"+c.file, f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if got := render(p); got != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.file, got, c.want)
		}
	}
}

// TestParseColumns: aliases and their precedence, separators, semicolon
// CSV with a BOM, a CSV broken by a quote.
func TestParseColumns(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"empty", "", "ignored []\n"},
		{"header only", "id,hostname\n", "ignored []\n"},
		// aid before hostid; an empty preferred column gives way
		{"precedence", "host_id,AID,Host,HostName,User,Owner\nh1,a1,h,,u,\n",
			`{"id":"a1","hostname":"h","macs":[],"owner":"u","os":"","platform":"","tags":[],"serial":"","location":"","notes":"","source":"import:x"} false` + "\nignored []\n"},
		{"semicolon bom", "\ufeffDeviceId;MAC;tags\nd1;aa-bb-cc-dd-ee-ff, AABB.CCDD.EE00;\"a, b c ;a\"\n",
			`{"id":"d1","hostname":"","macs":["aa:bb:cc:dd:ee:00","aa:bb:cc:dd:ee:ff"],"owner":"","os":"","platform":"","tags":["a","b c"],"serial":"","location":"","notes":"","source":"import:x"} false` + "\nignored []\n"},
		{"bad quote", "id,notes\nd1,ok\nd2,\"open\nd3,x\n",
			`{"id":"d1","hostname":"","macs":[],"owner":"","os":"","platform":"","tags":[],"serial":"","location":"","notes":"ok","source":"import:x"} false` +
				"\nF:3: bad CSV, the rest of the file is not read: record on line 3; parse error on line 4, column 6: extraneous or missing \" in quoted-field\nignored []\n"},
		{"json list of wrong type", `[{"id":"d1","tags":["a",1]}, {"id":"d2","owner":{"n":1}}]`,
			"F:1: tags: want a list of text, got an element a number\nF:1: owner: want text, got an object\nignored []\n"},
	} {
		p, err := Parse("x", strings.NewReader(c.in))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if got := render(p); got != c.want {
			t.Errorf("%s:\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
}

func TestNormalMAC(t *testing.T) {
	for in, want := range map[string]string{
		"A4-5E-60-11-22-33": "a4:5e:60:11:22:33", "a45e.6011.2233": "a4:5e:60:11:22:33",
		"A45E60112233": "a4:5e:60:11:22:33", " a4:5e:60:11:22:33 ": "a4:5e:60:11:22:33",
		"a4:5e:60:11:22": "", "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01": "", "zz": "",
	} {
		got, err := NormalMAC(in)
		if got != want || (err == nil) != (want != "") {
			t.Errorf("NormalMAC(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
