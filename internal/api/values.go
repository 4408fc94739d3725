package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// parseTime reads a time given as RFC 3339, "2006-01-02T15:04:05",
// "2006-01-02 15:04:05" or "2006-01-02" (UTC), or as a duration before now
// ("24h", "7d"), as the CLI's flags take times.
func parseTime(s string, now time.Time) (time.Time, error) {
	if d, err := parseAgo(s); err == nil {
		return now.Add(-d).UTC(), nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", time.DateTime, time.DateOnly} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("%q is neither a time (2006-01-02T15:04:05Z, 2006-01-02 15:04:05, 2006-01-02) nor a duration ago (24h, 7d)", s)
}

// parseAgo parses a positive Go duration or a number of days ("7d").
func parseAgo(s string) (time.Duration, error) {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseUint(n, 10, 16)
		if err == nil && days == 0 {
			err = errors.New("not positive")
		}
		return time.Duration(days) * 24 * time.Hour, err
	}
	d, err := time.ParseDuration(s)
	if err == nil && d <= 0 {
		err = errors.New("not positive")
	}
	return d, err
}

// jsonRow is a result row with its values as jsonValue gives them.
func jsonRow(row []any) []any {
	out := make([]any, len(row))
	for i, v := range row {
		out[i] = jsonValue(v)
	}
	return out
}

// jsonValue is a driver value as the CLI's --json shows it: times in RFC
// 3339, floats JSON cannot hold (NaN, infinities) as text, big and decimal
// numbers as JSON numbers, lists and maps element by element, anything
// else as its text.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, bool, string, int8, int16, int32, int64, int, uint8, uint16, uint32, uint64, uint:
		return x
	case float32:
		return jsonValue(float64(x))
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return strconv.FormatFloat(x, 'g', -1, 64)
		}
		return x
	case time.Time:
		return x.UTC().Format(time.RFC3339)
	case []byte:
		if utf8.Valid(x) {
			return string(x)
		}
		return x // base64
	case *big.Int: // HUGEINT
		return json.Number(x.String())
	case interface {
		Float64() float64
		String() string
	}: // DuckDB's DECIMAL
		return json.Number(x.String())
	case []any:
		return jsonRow(x)
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, v := range x {
			m[k] = jsonValue(v)
		}
		return m
	default:
		return fmt.Sprint(x)
	}
}
