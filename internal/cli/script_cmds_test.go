package cli

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/upnp/upnptest"
)

// The custom commands of the scan and exposure scripts. Everything they
// start listens on loopback only and stops when the script ends.
//
//	listen NAME ADDR [BANNER]  TCP listener on ADDR (127.0.0.1 or ::1), port
//	                           in $NAME; sends BANNER (Go-quoted escapes such
//	                           as \r\n allowed) to each connection
//	unlisten NAME              stop it: its port refuses from now on
//	relisten NAME              listen again where NAME did, after unlisten
//	conns NAME N               exactly N connections were accepted (! : not N)
//	stamp FILE                 replace @ms(-6h), @s(-6h) and @rfc3339(-6h) in
//	                           FILE with that time before now, and ${NAME}
//	                           with the script's $NAME
//	igd NAME [-nowan] [MAPFILE] fake UPnP IGD on 127.0.0.1, its description
//	                           URL in $NAME, its control URL in $NAME_CONTROL;
//	                           MAPFILE lines: EXT/PROTO CLIENT:PORT ENABLED
//	                           LEASE_S DESCRIPTION...; -nowan: a UPnP device
//	                           without a connection service (not an IGD)
//	httpserve NAME             plain HTTP server (not an IGD), URL in $NAME
//	sleep DURATION             wait, e.g. 1s (stored times have second resolution)
//	grab NAME REGEXP           set $NAME to REGEXP's first group in the last
//	                           command's stdout (the first match)
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){
	"listen":    cmdListen,
	"unlisten":  cmdUnlisten,
	"conns":     cmdConns,
	"stamp":     cmdStamp,
	"igd":       cmdIGD,
	"httpserve": cmdHTTPServe,
	"grab":      cmdGrab,
	"sleep":     cmdSleep,
	"relisten":  cmdRelisten,
}

// scriptStateKey holds a script's *scriptState in testscript.Env.Values.
type scriptStateKey struct{}

// scriptState is what a script's commands started.
type scriptState struct {
	mu        sync.Mutex
	listeners map[string]*countingListener
}

// scriptSetup gives each script its state, and $NMAPXML, the directory of
// the nmap XML samples of internal/scan/nmapxml.
func scriptSetup(env *testscript.Env) error {
	env.Values[scriptStateKey{}] = &scriptState{listeners: map[string]*countingListener{}}
	dir, err := filepath.Abs(filepath.Join("..", "scan", "nmapxml", "testdata"))
	if err != nil {
		return err
	}
	env.Setenv("NMAPXML", dir)
	return nil
}

func stateOf(ts *testscript.TestScript) *scriptState {
	return ts.Value(scriptStateKey{}).(*scriptState)
}

// countingListener accepts TCP connections, sends each a banner and counts
// them.
type countingListener struct {
	ln     net.Listener
	banner string
	mu     sync.Mutex
	n      int
	wg     sync.WaitGroup
}

func (l *countingListener) serve() {
	defer l.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		l.mu.Lock()
		l.n++
		l.mu.Unlock()
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(3 * time.Second))
			if l.banner != "" {
				if _, err := io.WriteString(c, l.banner); err != nil {
					return
				}
			}
			// Read what the client says until it hangs up, as a server
			// waiting for its client's identification would.
			_, _ = io.Copy(io.Discard, c)
		}()
	}
}

func (l *countingListener) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n
}

func (l *countingListener) close() {
	l.ln.Close()
	l.wg.Wait()
}

func cmdListen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: listen NAME ADDR [BANNER]")
	}
	name, addr := args[0], args[1]
	if ip := net.ParseIP(addr); ip == nil || !ip.IsLoopback() {
		ts.Fatalf("listen: %q is not a loopback address", addr)
	}
	banner := ""
	if len(args) == 3 {
		b, err := strconv.Unquote(`"` + args[2] + `"`)
		ts.Check(err)
		banner = b
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(addr, "0"))
	ts.Check(err)
	l := &countingListener{ln: ln, banner: banner}
	l.wg.Add(1)
	go l.serve()
	st := stateOf(ts)
	st.mu.Lock()
	if old := st.listeners[name]; old != nil {
		st.mu.Unlock()
		l.close()
		ts.Fatalf("listen: %s is already listening", name)
	}
	st.listeners[name] = l
	st.mu.Unlock()
	ts.Defer(l.close)
	ts.Setenv(name, strconv.Itoa(ln.Addr().(*net.TCPAddr).Port))
}

func listenerOf(ts *testscript.TestScript, name string) *countingListener {
	st := stateOf(ts)
	st.mu.Lock()
	defer st.mu.Unlock()
	l := st.listeners[name]
	if l == nil {
		ts.Fatalf("no listener %s (start it with listen)", name)
	}
	return l
}

func cmdUnlisten(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: unlisten NAME")
	}
	listenerOf(ts, args[0]).close()
}

func cmdConns(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: conns NAME N")
	}
	want, err := strconv.Atoi(args[1])
	ts.Check(err)
	got := listenerOf(ts, args[0]).count()
	switch {
	case !neg && got != want:
		ts.Fatalf("%s accepted %d connections, want %d", args[0], got, want)
	case neg && got == want:
		ts.Fatalf("%s accepted %d connections, want any other number", args[0], got)
	}
	ts.Logf("%s accepted %d connections", args[0], got)
}

// stampRE matches the time placeholders of stamp.
var stampRE = regexp.MustCompile(`@(ms|s|rfc3339)\((-?[0-9a-z.]+)\)`)

func cmdStamp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: stamp FILE")
	}
	path := ts.MkAbs(args[0])
	b, err := os.ReadFile(path)
	ts.Check(err)
	now := time.Now().UTC().Truncate(time.Second)
	var bad error
	out := stampRE.ReplaceAllStringFunc(string(b), func(m string) string {
		sub := stampRE.FindStringSubmatch(m)
		d, err := time.ParseDuration(sub[2])
		if err != nil {
			bad = fmt.Errorf("stamp %s: %w", m, err)
			return m
		}
		t := now.Add(d)
		switch sub[1] {
		case "ms":
			return strconv.FormatInt(t.UnixMilli(), 10)
		case "s":
			return strconv.FormatInt(t.Unix(), 10)
		}
		return t.Format(time.RFC3339)
	})
	ts.Check(bad)
	out = os.Expand(out, func(name string) string {
		v := ts.Getenv(name)
		if v == "" {
			bad = fmt.Errorf("stamp: $%s is not set", name)
		}
		return v
	})
	ts.Check(bad)
	ts.Check(os.WriteFile(path, []byte(out), 0o644))
}

func cmdIGD(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: igd NAME [-nowan] [MAPFILE]")
	}
	name, args := args[0], args[1:]
	var cfg upnptest.Config
	if len(args) > 0 && args[0] == "-nowan" {
		cfg.NoWAN, args = true, args[1:]
	}
	switch len(args) {
	case 0:
	case 1:
		var err error
		cfg.Mappings, err = readMappingFile(ts.MkAbs(args[0]))
		ts.Check(err)
	default:
		ts.Fatalf("usage: igd NAME [-nowan] [MAPFILE]")
	}
	g, err := upnptest.Start(cfg)
	ts.Check(err)
	ts.Defer(g.Close)
	ts.Setenv(name, g.URL)
	ts.Setenv(name+"_CONTROL", g.ControlURL)
}

// readMappingFile reads port mappings, one a line:
// EXT/PROTO CLIENT:PORT ENABLED LEASE_S DESCRIPTION...
func readMappingFile(path string) ([]scan.PortMapping, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []scan.PortMapping
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		fs := strings.Fields(sc.Text())
		if len(fs) == 0 || strings.HasPrefix(fs[0], "#") {
			continue
		}
		if len(fs) < 5 {
			return nil, fmt.Errorf("%s:%d: want EXT/PROTO CLIENT:PORT ENABLED LEASE_S DESCRIPTION", path, n)
		}
		ext, proto, _ := strings.Cut(fs[0], "/")
		client, iport, _ := strings.Cut(fs[1], ":")
		e, err1 := strconv.ParseUint(ext, 10, 16)
		i, err2 := strconv.ParseUint(iport, 10, 16)
		en, err3 := strconv.ParseBool(fs[2])
		lease, err4 := strconv.Atoi(fs[3])
		for _, err := range []error{err1, err2, err3, err4} {
			if err != nil {
				return nil, fmt.Errorf("%s:%d: %w", path, n, err)
			}
		}
		out = append(out, scan.PortMapping{ExternalPort: uint16(e), Proto: proto, InternalClient: client,
			InternalPort: uint16(i), Enabled: en, Lease: time.Duration(lease) * time.Second,
			Description: strings.Join(fs[4:], " ")})
	}
	return out, sc.Err()
}

func cmdHTTPServe(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: httpserve NAME")
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html><head><title>It works</title></head><body>It works</body></html>\n")
	}))
	ts.Defer(srv.Close)
	ts.Setenv(args[0], srv.URL+"/")
}

func cmdGrab(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: grab NAME REGEXP")
	}
	re, err := regexp.Compile(`(?m)` + args[1])
	ts.Check(err)
	m := re.FindStringSubmatch(ts.ReadFile("stdout"))
	if len(m) < 2 {
		ts.Fatalf("grab: no match for %s with a group in stdout", args[1])
	}
	ts.Setenv(args[0], m[1])
}

func cmdSleep(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: sleep DURATION")
	}
	d, err := time.ParseDuration(args[0])
	ts.Check(err)
	if d > 5*time.Second {
		ts.Fatalf("sleep: %s is too long for a script", d)
	}
	time.Sleep(d)
}
