package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"time"

	"github.com/homesoc/homesoc/internal/demo"
	"github.com/homesoc/homesoc/internal/intended"
	"github.com/homesoc/homesoc/internal/scan"
	"github.com/homesoc/homesoc/internal/store"
)

// demoExposure is what demo --json prints of the exposure part, each as
// its command prints it with --json.
type demoExposure struct {
	Routers  []netip.Addr    `json:"routers"` // the loopback addresses standing in for the routers
	Ingest   json.RawMessage `json:"ingest"`
	Assets   json.RawMessage `json:"assets"`
	Detect   json.RawMessage `json:"detect"`
	Allow    json.RawMessage `json:"allow"`
	UPnP     json.RawMessage `json:"upnp"`
	Run      json.RawMessage `json:"run"`
	Rescan   json.RawMessage `json:"rescan"`
	ScanDiff json.RawMessage `json:"scan_diff"`
}

// demoExposure runs the exposure chain of seeds/000 on stand-in routers:
// EDR export -> detect -> intended port -> UPnP mappings -> scan and
// tickets -> the user closes a port -> rescan and diff.
func (e *env) demoExposure(ctx context.Context, into **demoExposure) error {
	svc, err := demo.StartServices()
	if err != nil {
		return err
	}
	defer svc.Close()
	r := svc.Routers
	doc := &demoExposure{Routers: []netip.Addr{r.Anna, r.Bob}}
	*into = doc
	e.say("\n== 6. exposure: two remote workers' laptops report to CrowdStrike; their home routers stand in on %s and %s", r.Anna, r.Bob)
	edr, err := demo.WriteEDR(e.dataDir, time.Now(), r)
	if err != nil {
		return err
	}
	if err := e.step(&doc.Ingest, func(e *env) error {
		return e.ingest(ctx, ingestOpts{format: "auto", tz: "UTC"}, []string{edr})
	}); err != nil {
		return err
	}
	e.say("\n-- assets import: IT's inventory says who owns each laptop (alerts and tickets name the owner)")
	inv, err := demo.WriteInventory(e.dataDir)
	if err != nil {
		return err
	}
	if err := e.step(&doc.Assets, func(e *env) error { return e.importAssets(ctx, inv, false) }); err != nil {
		return err
	}
	e.say("\n-- detect: who accepted connections from the internet behind NAT?")
	if err := e.demoDetect(ctx, &doc.Detect, nil); err != nil {
		return err
	}
	e.say("\n-- Bob's NAS portal on %d/tcp is approved: record it as intended", demo.BobPort)
	if err := e.step(&doc.Allow, func(e *env) error {
		return e.withStore(ctx, func(st store.Store) error {
			a, err := st.AddAllowance(ctx, intended.Allowance{DeviceID: demo.BobDevice, Port: demo.BobPort, Proto: scan.TCP,
				Reason: "NAS photo sharing, approved by IT", Author: "demo", Created: store.Now()})
			if err != nil {
				return err
			}
			if e.json {
				return e.printJSON(a)
			}
			e.say("added %s: %d/%s for %s (%s)", a.ID, a.Port, a.Proto, allowanceWho(a), a.Reason)
			return nil
		})
	}); err != nil {
		return err
	}
	e.say("\n-- on Anna's home network: which device asked her router to open ports? (exposure upnp --igd %s)", svc.IGD)
	if err := e.step(&doc.UPnP, func(e *env) error {
		ls, err := readMappings(ctx, []string{svc.IGD})
		if err != nil {
			return err
		}
		if err := e.withStore(ctx, func(st store.Store) error { return storeMappings(ctx, st, ls) }); err != nil {
			return err
		}
		return e.printMappings(ls)
	}); err != nil {
		return err
	}
	allow := []netip.Prefix{netip.MustParsePrefix("127.88.0.0/16")}
	o := scan.Options{Allow: allow, UDPPorts: []uint16{demo.SSDPPort}, Args: "homesoc demo (exposure run --udp --allow 127.88.0.0/16)"}
	o.UDP = udpScanner()
	run := func(into *json.RawMessage) error {
		return e.step(into, func(e *env) error {
			return e.withStore(ctx, func(st store.Store) error {
				res, err := e.exposureRun(ctx, st, o, 24*time.Hour)
				if err != nil {
					return err
				}
				return e.printExposureRun(res)
			})
		})
	}
	e.say("\n-- exposure run: scan each suspect's router once, drop intended ports, open one ticket per exposed endpoint")
	if err := run(&doc.Run); err != nil {
		return err
	}
	e.say("\n-- Anna's camera telnet (%d/tcp) gets closed; the next run rescans and updates her ticket", demo.TelnetPort)
	svc.Stop(r.Anna, demo.TelnetPort)
	// Tickets keep their scan time to the second, as stores keep every
	// time: a rescan within the second of the first scan could not be told
	// apart from it. Real rescans come hours later.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	if err := run(&doc.Rescan); err != nil {
		return err
	}
	e.say("\n-- scan diff --target %s: detection time against now", r.Anna)
	return e.step(&doc.ScanDiff, func(e *env) error {
		return e.readStore(ctx, func(st store.Store) error {
			ss, err := st.LatestScans(ctx, r.Anna, 2)
			if err != nil {
				return err
			}
			if len(ss) < 2 {
				return fmt.Errorf("demo: %d scans of %s stored, want 2", len(ss), r.Anna)
			}
			ds, err := hostDiffs(ctx, st, ss[1], ss[0], []netip.Addr{r.Anna})
			if err != nil {
				return err
			}
			return e.printDiffs(ss[1], ss[0], ds)
		})
	})
}
