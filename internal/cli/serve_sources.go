package cli

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/homesoc/homesoc/internal/config"
	"github.com/homesoc/homesoc/internal/source/flow"
	"github.com/homesoc/homesoc/internal/source/syslog"
	"github.com/homesoc/homesoc/internal/source/tail"
)

// sources are serve's running sources.
type sources struct {
	stop    context.CancelFunc
	wg      sync.WaitGroup
	tailers []*tail.Tailer
	syslog  []*syslog.Listener
	flows   []*flow.Listener
	flowCfg []config.FlowListener
}

// syslogListeners are the syslog listeners serve runs: the config's
// (serve.syslog), else UDP and TCP on the flags' addresses; a flag given
// replaces the config's listeners of its kind ("" removes them).
func syslogListeners(cmd *cobra.Command, cfg []config.SyslogListener, o serveOptions) []config.SyslogListener {
	flags := []struct{ flag, scheme, addr string }{
		{"syslog-udp", "udp", o.syslogUDP}, {"syslog-tcp", "tcp", o.syslogTCP}, {"syslog-tls", "tls", o.syslogTLS}}
	ls := slices.Clone(cfg)
	for _, f := range flags {
		if len(cfg) > 0 && !cmd.Flags().Changed(f.flag) {
			continue
		}
		ls = slices.DeleteFunc(ls, func(l config.SyslogListener) bool { return strings.HasPrefix(l.Listen, f.scheme+"://") })
		if f.addr != "" {
			l := config.SyslogListener{Listen: f.scheme + "://" + f.addr, Format: "auto"}
			if f.scheme == "tls" {
				l.CertFile, l.KeyFile = o.tlsCert, o.tlsKey
			}
			ls = append(ls, l)
		}
	}
	return ls
}

// startSources starts the sources of the config and the flags, feeding
// s.in, until ctx ends or close.
func (s *server) startSources(ctx context.Context, cmd *cobra.Command, o serveOptions) (_ *sources, err error) {
	ctx, cancel := context.WithCancel(ctx)
	src := &sources{stop: cancel}
	defer func() {
		if err != nil {
			src.close()
		}
	}()
	for _, lc := range syslogListeners(cmd, s.e.cfg.Serve.Syslog, o) {
		l, err := syslog.Listen(syslog.Config{Listen: lc.Listen, Format: lc.Format,
			CertFile: s.e.abs(lc.CertFile), KeyFile: s.e.abs(lc.KeyFile), Logger: s.log.With("source", lc.Listen)})
		if err != nil {
			return nil, fmt.Errorf("syslog %s: %w", lc.Listen, err)
		}
		src.syslog = append(src.syslog, l)
		src.run(ctx, s, lc.Listen, func(ctx context.Context) error { return l.Serve(ctx, s.in) })
		s.log.Info("syslog listening", "listen", l.URL(), "format", cmp.Or(lc.Format, "auto"))
	}
	for _, fc := range s.e.cfg.Serve.Flows {
		l, err := flow.Listen(flow.Config{Listen: fc.Listen, Protocol: fc.Protocol, Logger: s.log.With("source", fc.Protocol+" "+fc.Listen)})
		if err != nil {
			return nil, fmt.Errorf("serve.flows %s: %w", fc.Listen, err)
		}
		src.flows, src.flowCfg = append(src.flows, l), append(src.flowCfg, fc)
		src.run(ctx, s, fc.Listen, func(ctx context.Context) error { return l.Run(ctx, s.in) })
		s.log.Info("flows listening", "listen", l.Addr().String(), "protocol", cmp.Or(fc.Protocol, flow.ProtocolNetFlow))
	}
	for i, fs := range s.e.cfg.Serve.Files {
		paths := make([]string, len(fs.Paths))
		for j, p := range fs.Paths {
			paths[j] = s.e.abs(p)
		}
		t, err := tail.New(tail.Config{Paths: paths, Format: fs.Format, Logger: s.log.With("source", "files"),
			Checkpoints: filepath.Join(s.e.dataDir, "tail-"+pathsKey(paths)+".json")}, s.in)
		if err != nil {
			return nil, fmt.Errorf("serve.files %d: %w", i+1, err)
		}
		src.tailers = append(src.tailers, t)
		src.run(ctx, s, "files "+strings.Join(paths, " "), t.Run)
		s.log.Info("tailing", "paths", paths, "format", fs.Format)
	}
	return src, nil
}

// run runs a source until ctx ends, logging how it failed.
func (src *sources) run(ctx context.Context, s *server, name string, run func(context.Context) error) {
	src.wg.Go(func() {
		if err := run(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("source stopped", "source", name, "err", err)
		}
	})
}

// close stops the sources and waits for each to hand on what it read.
func (src *sources) close() {
	src.stop()
	src.wg.Wait()
}

// syslogAddrs are the addresses the syslog listeners are bound to, for
// the server file.
func (src *sources) syslogAddrs() []string {
	as := []string{}
	for _, l := range src.syslog {
		as = append(as, l.URL())
	}
	return as
}

// flowAddrs are the flow listeners' protocols and bound addresses, for
// the server file: "netflow://127.0.0.1:2055".
func (src *sources) flowAddrs() []string {
	as := []string{}
	for i, l := range src.flows {
		as = append(as, cmp.Or(src.flowCfg[i].Protocol, flow.ProtocolNetFlow)+"://"+l.Addr().String())
	}
	return as
}

// pathsKey names the checkpoint file of a set of tailed paths: a config
// that lists the same paths finds the same checkpoints.
func pathsKey(paths []string) string {
	h := sha256.Sum256([]byte(strings.Join(paths, "\x00")))
	return hex.EncodeToString(h[:6])
}
