package udp

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/homesoc/homesoc/internal/scan"
)

// Tests against real daemons from Debian packages (dnsmasq-base, snmpd,
// chrony), each started on a free loopback port in a temp directory and
// skipped when its binary is absent.

// startDaemon runs bin with args until the test ends.
func startDaemon(t *testing.T, bin string, args []string, env ...string) {
	t.Helper()
	path, err := exec.LookPath(bin)
	if err != nil {
		if p := "/usr/sbin/" + bin; fileExists(p) {
			path = p
		} else if os.Getenv("HOMESOC_TEST_DAEMONS") != "" {
			t.Fatalf("%s not installed, and $HOMESOC_TEST_DAEMONS says the daemons are (scripts/test installs them)", bin)
		} else {
			t.Skipf("%s not installed", bin)
		}
	}
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	out, err := os.Create(filepath.Join(t.TempDir(), bin+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			b, _ := os.ReadFile(out.Name())
			t.Logf("%s output:\n%s", bin, b)
		}
	})
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// scanUntil scans port until it is open or 5 s have passed (the daemon
// may still be starting).
func scanUntil(t *testing.T, port uint16, probe string) scan.Port {
	t.Helper()
	s := Scanner{Probes: map[uint16]string{port: probe}}
	var p scan.Port
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		p = s.ScanUDP(context.Background(), loopback(t, "127.0.0.1"), []uint16{port}, 500*time.Millisecond, 0, nil)[0]
		if p.State == scan.Open {
			break
		}
	}
	return p
}

// freeTCPUDPPort returns a port free for both TCP and UDP on host, as
// dnsmasq binds both: a port free for UDP alone may be some other
// server's TCP port.
func freeTCPUDPPort(t *testing.T, host string) uint16 {
	t.Helper()
	for range 50 {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		pc, err := net.ListenPacket("udp", net.JoinHostPort(host, strconv.Itoa(port)))
		l.Close()
		if err == nil {
			pc.Close()
			return uint16(port)
		}
	}
	t.Fatal("no port free for both TCP and UDP in 50 tries")
	return 0
}

func TestDnsmasq(t *testing.T) {
	port := freeTCPUDPPort(t, "127.0.0.1")
	startDaemon(t, "dnsmasq", []string{"--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
		"--listen-address=127.0.0.1", "--bind-interfaces", "--port=" + strconv.Itoa(int(port)), "--user=root", "--pid-file="})
	p := scanUntil(t, port, "domain")
	if p.State != scan.Open || p.Service != "domain" || p.Product != "dnsmasq" || !regexp.MustCompile(`^\d+\.\d+`).MatchString(p.Version) ||
		p.Evidence.Fields["dns_version"] != "dnsmasq-"+p.Version {
		t.Errorf("got %+v", p)
	}
}

func TestSnmpd(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "snmpd.conf")
	if err := os.WriteFile(conf, []byte("rocommunity public 127.0.0.1\nsysName homesoc-test\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t, "127.0.0.1")
	startDaemon(t, "snmpd", []string{"-f", "-Lo", "-C", "-c", conf, "-p", filepath.Join(dir, "pid"), "udp:127.0.0.1:" + strconv.Itoa(int(port))},
		"SNMP_PERSISTENT_DIR="+dir, "MIBS=")
	p := scanUntil(t, port, "snmp")
	f := p.Evidence.Fields
	if p.State != scan.Open || p.Service != "snmp" || f["snmp_version"] != "2c" || f["sysName"] != "homesoc-test" ||
		!strings.HasPrefix(f["sysDescr"], "Linux ") || !strings.HasPrefix(p.OS, "Linux ") {
		t.Errorf("got %+v", p)
	}
}

func TestChronyd(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t, "127.0.0.1")
	conf := filepath.Join(dir, "chrony.conf")
	cfg := strings.Join([]string{
		"port " + strconv.Itoa(int(port)), "bindaddress 127.0.0.1", "allow 127.0.0.1", "local stratum 8", "cmdport 0",
		"pidfile " + filepath.Join(dir, "chronyd.pid"), "driftfile " + filepath.Join(dir, "drift"),
	}, "\n") + "\n"
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// -x: never touch the system clock.
	startDaemon(t, "chronyd", []string{"-d", "-x", "-u", "root", "-f", conf})
	p := scanUntil(t, port, "ntp")
	f := p.Evidence.Fields
	if p.State != scan.Open || p.Service != "ntp" || f["ntp_version"] != "4" || f["ntp_stratum"] != "8" || f["ntp_refid"] != "127.127.1.1" || f["ntp_mode6"] != "" || p.Product != "" {
		t.Errorf("got %+v", p)
	}
}
