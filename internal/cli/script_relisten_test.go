package cli

import (
	"net"

	"github.com/rogpeppe/go-internal/testscript"
)

// cmdRelisten is the script command "relisten NAME": listen again, after
// unlisten, on the address and port listener NAME had, with its banner, so
// that a port closed and opened again can be rescanned.
func cmdRelisten(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: relisten NAME")
	}
	old := listenerOf(ts, args[0])
	ln, err := net.Listen("tcp", old.ln.Addr().String())
	ts.Check(err)
	l := &countingListener{ln: ln, banner: old.banner}
	l.wg.Add(1)
	go l.serve()
	st := stateOf(ts)
	st.mu.Lock()
	st.listeners[args[0]] = l
	st.mu.Unlock()
	ts.Defer(l.close)
}
