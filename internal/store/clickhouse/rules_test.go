package clickhouse

import (
	"context"
	"strings"
	"testing"

	"github.com/homesoc/homesoc/internal/chtest"
	"github.com/homesoc/homesoc/internal/detect"
	engine "github.com/homesoc/homesoc/internal/rules"
	"github.com/homesoc/homesoc/internal/store"
	"github.com/homesoc/homesoc/rules"
)

// TestBuiltinRules runs the tests of the built-in rules on ClickHouse, each
// case in a database of its own, prepared by the retro-hunt.
func TestBuiltinRules(t *testing.T) { testBuiltinRules(t, chtest.URL(t)) }

func testBuiltinRules(t *testing.T, server string) {
	rs, err := engine.LoadAll(engine.Source{FS: rules.FS, Dir: "."})
	if err != nil {
		t.Fatal(err)
	}
	env := detect.TestEnv(func(ctx context.Context) (store.Store, error) { return OpenTemp(ctx, server) })
	var out strings.Builder
	if passed, failed := engine.RunTests(context.Background(), rs, env, &out); failed > 0 || passed == 0 {
		t.Errorf("%d passed, %d failed:\n%s", passed, failed, out.String())
	}
}
