package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/alert"
	"github.com/homesoc/homesoc/internal/demo"
	"github.com/homesoc/homesoc/internal/identity"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/internal/view"
)

// demoIdentity is what demo --json prints of the remote-access story, each
// part as its command prints it with --json.
type demoIdentity struct {
	Ingest json.RawMessage `json:"ingest"`
	Detect json.RawMessage `json:"detect"`
	Alert  json.RawMessage `json:"alert"` // the ioc-contact alert of the VPN pool address, as alerts show
	Whois  json.RawMessage `json:"whois"` // the address two laptops held at once, as whois
}

// demoIdentity runs the remote-access story of seeds/004: a Cisco ASA's
// AnyConnect sessions, its and the proxy's logs of a pool address reaching
// the C2, and two Defender laptops sharing a home address -> ingest ->
// detect attributes the new alert -> whois answers ambiguous.
func (e *env) demoIdentity(ctx context.Context, into **demoIdentity) error {
	doc := &demoIdentity{}
	*into = doc
	e.say("\n== 5. who was behind an address: a VPN concentrator (Cisco ASA AnyConnect) gives %s to %s, then to %s;\n"+
		"   its traffic to the C2 is in the ASA's log and the office proxy's (Squid); two laptops (Defender) both hold %s",
		demo.PoolAddr, demo.VPNUser, demo.LaterUser, demo.HomeAddr)
	files, err := demo.WriteVPN(e.dataDir, time.Now())
	if err != nil {
		return fmt.Errorf("write sample data: %w", err)
	}
	if err := e.step(&doc.Ingest, func(e *env) error {
		return e.ingest(ctx, ingestOpts{format: "auto", tz: "UTC"}, []string{files.ASA, files.Squid, files.Defender})
	}); err != nil {
		return err
	}
	e.say("\n-- detect: every new alert is attributed as it is raised")
	if err := e.demoDetect(ctx, &doc.Detect, nil); err != nil {
		return err
	}
	pool := alert.Identity("ioc-contact", []string{"host", "indicator"}, map[string]string{"host": demo.PoolAddr, "indicator": demo.C2})
	cmd := "homesoc --data " + e.dataDir
	e.say("\n-- the C2 contacts of VPN pool address %s resolve to the user of that moment (%s alerts show %s):", demo.PoolAddr, cmd, pool[:8])
	at := files.HomeAt
	return e.withStore(ctx, func(st store.Store) error {
		as, err := st.Alerts(ctx)
		if err != nil {
			return err
		}
		a, err := view.FindAlert(as, pool)
		if err != nil {
			return err
		}
		if err := e.step(&doc.Alert, func(e *env) error {
			if e.json {
				return e.printJSON(view.Alert{Alert: a})
			}
			printIdentity(e.stdout, a.Identity)
			return nil
		}); err != nil {
			return err
		}
		e.say("\n-- two laptops in two homes held %s at the same time: ambiguous, never a guess (%s whois %s --at %s):",
			demo.HomeAddr, cmd, demo.HomeAddr, at.Format(time.RFC3339))
		ans, err := identity.NewResolver(st, identity.ResolverOptions{Owners: store.Owners(st)}).Resolve(ctx,
			[]identity.Query{{Addr: netip.MustParseAddr(demo.HomeAddr), From: at, To: at}})
		if err != nil {
			return err
		}
		return e.step(&doc.Whois, func(e *env) error { return e.printWhois(ans[0]) })
	})
}
