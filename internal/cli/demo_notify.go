package cli

import (
	"context"
	"encoding/json"
	"time"

	"github.com/homesoc/homesoc/internal/store"
)

// demoNotifyWait bounds how long the demo's delivery keeps retrying.
const demoNotifyWait = 10 * time.Second

// demoNotify routes the demo's alerts and delivers them, flushing new groups
// at once: the demo's alerts are all there, so group_wait has nothing to
// gather.
func (e *env) demoNotify(ctx context.Context, out *json.RawMessage) error {
	e.say("\n== 7. notify: route the alerts as the config says and deliver them (homesoc alerts notify)")
	return e.withStore(ctx, func(st store.Store) error {
		run, err := e.deliver(ctx, st, demoNotifyWait, true)
		if err != nil {
			return err
		}
		return e.step(out, func(e *env) error {
			if e.json {
				return e.printJSON(run)
			}
			printNotifyRun(e, run)
			if e.cfg.Route == nil && len(e.cfg.Receivers) == 0 {
				e.say("(no config file: the messages are JSON lines in %s)", e.defaultReceiver().JSONLConfigs[0].Path)
			}
			return nil
		})
	})
}
