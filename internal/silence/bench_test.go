package silence

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkSilenced: one alert's labels against 100 active silences, half
// of them regexes, as a router would check each alert before delivery.
func BenchmarkSilenced(b *testing.B) {
	var ss []Silence
	for i := range 100 {
		arg := fmt.Sprintf("host=192.168.%d.%d", i/250, i%250)
		if i%2 == 1 {
			arg = fmt.Sprintf(`rule=~"port-%d-.*"`, i)
		}
		ms, err := ParseMatchers([]string{arg, "severity!=low"})
		if err != nil {
			b.Fatal(err)
		}
		ss = append(ss, Silence{ID: fmt.Sprint(i), Matchers: ms, StartsAt: t0, EndsAt: t0.Add(time.Hour)})
	}
	labels := map[string]string{"rule": "port-scan-burst", "severity": "high", "host": "192.168.0.98", "user": "anna"}
	at := t0.Add(time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if got := Silenced(labels, ss, at); len(got) != 1 {
			b.Fatalf("silenced by %v, want one", got)
		}
	}
}
