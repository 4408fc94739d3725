package parse

import (
	"bytes"
	"fmt"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// stampClock parses the timestamp at the start of a syslog line and places
// the yearless classic stamps ("Apr  6 16:05:29") in a year. It remembers
// the last stamp it parsed: log lines come in bursts within one second, so
// most lines skip parsing altogether.
//
// A yearless stamp gets its year one of two ways:
//   - with Options.Year, the first stamp gets that year and the year moves on
//     by one whenever the month goes back by more than a month from the line
//     before (Dec -> Jan);
//   - without, each stamp gets the latest year that puts it no more than 24h
//     after Options.ModTime (the slack absorbs clock skew and zones), so Dec 31
//     lines in a file written on Jan 2 land in the year before.
type stampClock struct {
	loc *time.Location

	year      int        // the current year in Options.Year mode, else 0
	lastMonth time.Month // month of the previous yearless stamp
	limit     time.Time  // ModTime + 24h: the latest a yearless stamp may be
	limitYear int        // limit's year in loc

	// received is when the input was written (Options.ModTime, at second
	// resolution): the time of lines that carry no stamp at all.
	received time.Time
	now      func() time.Time // Options.Now: received and limit move with it

	key    [40]byte // the last stamp parsed
	keyLen int
	last   time.Time // its time
}

func newStampClock(o Options) *stampClock {
	c := &stampClock{loc: o.Location, year: o.Year, now: o.Now}
	if c.loc == nil {
		c.loc = time.UTC
	}
	mod := o.ModTime
	if mod.IsZero() {
		mod = time.Now()
	}
	c.received = event.SecondsUTC(mod)
	c.limit = mod.Add(24 * time.Hour)
	c.limitYear = c.limit.In(c.loc).Year()
	return c
}

// receivedAt is the time of a line that carries no stamp: when the input
// was written, or now for a stream.
func (c *stampClock) receivedAt() time.Time {
	if c.now != nil {
		return event.SecondsUTC(c.now())
	}
	return c.received
}

// Shapes of timestamp, by how many space-separated tokens they span.
const (
	stampISO      = 1 // 2020-04-06T16:05:29[.frac][zone]
	stampISOSpace = 2 // 2020-04-06 16:05:29[.frac][zone]
	stampClassic  = 3 // Apr  6 16:05:29
	stampOpenWrt  = 5 // Mon Apr  6 16:05:29 2020
)

// parse reads the timestamp at the start of b. It returns the time in UTC at
// second resolution and the rest of b.
func (c *stampClock) parse(b []byte) (time.Time, []byte, error) {
	shape := stampShape(b)
	if shape == 0 {
		tok, _ := nextToken(b)
		return time.Time{}, nil, fmt.Errorf("bad timestamp %q", quote(tok))
	}
	n := tokensEnd(b, shape)
	stamp := b[:n]
	if n == c.keyLen && bytes.Equal(c.key[:n], stamp) {
		return c.last, b[n:], nil
	}
	var t time.Time
	var err error
	switch shape {
	case stampISO, stampISOSpace:
		t, err = c.iso(stamp)
	case stampClassic:
		t, err = c.classic(stamp, 0)
	case stampOpenWrt:
		t, err = c.openWrt(stamp)
	}
	if err != nil {
		return time.Time{}, nil, err
	}
	t = t.UTC() // every shape is parsed to whole seconds: no Truncate needed
	if n <= len(c.key) {
		c.keyLen = copy(c.key[:], stamp)
		c.last = t
	}
	return t, b[n:], nil
}

// stampShape guesses the shape of the stamp at the start of b from its first
// bytes; the parse that follows checks it.
func stampShape(b []byte) int {
	if len(b) < 10 {
		return 0
	}
	if isDigit(b[0]) && isDigit(b[1]) && isDigit(b[2]) && isDigit(b[3]) && b[4] == '-' {
		if len(b) > 13 && b[10] == ' ' && isDigit(b[11]) && b[13] == ':' {
			return stampISOSpace
		}
		return stampISO
	}
	if b[3] != ' ' {
		return 0
	}
	if monthOf(b[:3]) != 0 {
		return stampClassic
	}
	if weekday(b[:3]) && len(b) > 7 && monthOf(b[4:7]) != 0 {
		return stampOpenWrt
	}
	return 0
}

// tokensEnd returns the offset just past the n-th space-separated token.
func tokensEnd(b []byte, n int) int {
	i := 0
	for ; n > 0; n-- {
		for i < len(b) && b[i] == ' ' {
			i++
		}
		for i < len(b) && b[i] != ' ' {
			i++
		}
	}
	return i
}

// iso parses 2020-04-06T16:05:29, with 'T' or a space between date and time,
// an optional fraction and an optional zone (Z, +09:00, +0900, +09). Without
// a zone the clock's location applies.
func (c *stampClock) iso(s []byte) (time.Time, error) {
	bad := func() (time.Time, error) { return time.Time{}, fmt.Errorf("bad timestamp %q", quote(s)) }
	if len(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') {
		return bad()
	}
	y, ok1 := digits(s[0:4])
	mo, ok2 := digits(s[5:7])
	d, ok3 := digits(s[8:10])
	h, mi, sec, ok4 := clock(s[11:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || y < 1970 || mo < 1 || mo > 12 || d < 1 {
		return bad()
	}
	month := time.Month(mo)
	if d > daysIn(month, y) {
		return time.Time{}, fmt.Errorf("impossible date %s %d %d", month.String()[:3], d, y)
	}
	rest := s[19:]
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') { // below the seconds we keep
		i := 1
		for i < len(rest) && isDigit(rest[i]) {
			i++
		}
		if i == 1 {
			return bad()
		}
		rest = rest[i:]
	}
	if len(rest) == 0 {
		return c.date(y, month, d, h, mi, sec), nil
	}
	off, ok := zoneOffset(rest)
	if !ok {
		return bad()
	}
	return unixUTC(y, month, d, h, mi, sec-off), nil
}

// zoneOffset parses Z, ±hh:mm, ±hhmm or ±hh into seconds east of UTC.
func zoneOffset(z []byte) (int, bool) {
	if len(z) == 1 && (z[0] == 'Z' || z[0] == 'z') {
		return 0, true
	}
	if len(z) < 3 || (z[0] != '+' && z[0] != '-') {
		return 0, false
	}
	h, ok := digits(z[1:3])
	m := 0
	switch {
	case len(z) == 3:
	case len(z) == 5:
		m, ok = digits(z[3:5])
	case len(z) == 6 && z[3] == ':':
		m, ok = digits(z[4:6])
	default:
		return 0, false
	}
	if !ok || h > 23 || m > 59 {
		return 0, false
	}
	off := h*3600 + m*60
	if z[0] == '-' {
		off = -off
	}
	return off, true
}

// classic parses "Apr  6 16:05:29" (the day space-padded or not). year is
// the stamp's own year (OpenWrt's) or 0 to derive one.
func (c *stampClock) classic(s []byte, year int) (time.Time, error) {
	bad := func() (time.Time, error) { return time.Time{}, fmt.Errorf("bad timestamp %q", quote(s)) }
	mon, rest := nextToken(s)
	day, rest := nextToken(rest)
	tm, _ := nextToken(rest)
	month := monthOf(mon)
	d, ok := digits(day)
	if month == 0 || !ok || len(day) > 2 || d < 1 || len(tm) < 8 || (len(tm) > 8 && tm[8] != '.') {
		return bad()
	}
	h, mi, sec, ok := clock(tm[:8])
	if !ok {
		return bad()
	}
	if d > daysIn(month, 2000) { // 2000 is a leap year: Feb 29 may be fine
		return time.Time{}, fmt.Errorf("impossible date %s %d", mon, d)
	}
	switch {
	case year != 0:
	case c.year != 0:
		year = c.year
		if c.lastMonth != 0 && month < c.lastMonth-1 {
			year++
		}
		if d <= daysIn(month, year) {
			c.year, c.lastMonth = year, month
		}
	default:
		if c.now != nil { // a stream: the limit moves on with the clock
			if l := c.now().Add(24 * time.Hour); l.After(c.limit) {
				c.limit, c.limitYear = l, l.In(c.loc).Year()
			}
		}
		// The latest year that puts the stamp at most at the limit; Feb 29
		// may have to go back to a leap year.
		for y := c.limitYear; y > c.limitYear-9; y-- {
			if d > daysIn(month, y) {
				continue
			}
			if t := c.date(y, month, d, h, mi, sec); !t.After(c.limit) {
				return t, nil
			}
		}
		return time.Time{}, fmt.Errorf("impossible date %s %d before %d", mon, d, c.limitYear)
	}
	if d > daysIn(month, year) {
		return time.Time{}, fmt.Errorf("impossible date %s %d %d", mon, d, year)
	}
	return c.date(year, month, d, h, mi, sec), nil
}

// date is time.Date in the clock's location, by arithmetic for UTC.
func (c *stampClock) date(y int, m time.Month, d, h, mi, s int) time.Time {
	if c.loc == time.UTC {
		return unixUTC(y, m, d, h, mi, s)
	}
	return time.Date(y, m, d, h, mi, s, 0, c.loc)
}

// unixUTC is time.Date in UTC for a valid date from year 1, several times
// faster. s may run outside 0-59 (a zone offset applied).
func unixUTC(y int, m time.Month, d, h, mi, s int) time.Time {
	// Days from 1970-01-01 (H. Hinnant, "chrono-compatible low-level date
	// algorithms"), with years starting in March so leap days come last.
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	doy := (153*((int(m)+9)%12)+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	return time.Unix(int64(days)*86400+int64(h*3600+mi*60+s), 0).UTC()
}

// openWrt parses logread's "Mon Apr  6 16:05:29 2020", which carries its
// year. The weekday is not checked against the date.
func (c *stampClock) openWrt(s []byte) (time.Time, error) {
	end := tokensEnd(s, 4)
	y, ok := digits(trimSpaces(s[end:]))
	if !ok || len(trimSpaces(s[end:])) != 4 || y < 1970 {
		return time.Time{}, fmt.Errorf("bad timestamp %q", quote(s))
	}
	return c.classic(s[4:end], y)
}

// clock parses "hh:mm:ss". A leap second (60) is let through; time.Date
// carries it into the next minute.
func clock(b []byte) (h, m, s int, ok bool) {
	if len(b) != 8 || b[2] != ':' || b[5] != ':' {
		return 0, 0, 0, false
	}
	h, ok1 := digits(b[0:2])
	m, ok2 := digits(b[3:5])
	s, ok3 := digits(b[6:8])
	return h, m, s, ok1 && ok2 && ok3 && h < 24 && m < 60 && s <= 60
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// monthOf returns the month named by a three-letter English abbreviation,
// or 0.
func monthOf(b []byte) time.Month {
	switch string(b) {
	case "Jan":
		return time.January
	case "Feb":
		return time.February
	case "Mar":
		return time.March
	case "Apr":
		return time.April
	case "May":
		return time.May
	case "Jun":
		return time.June
	case "Jul":
		return time.July
	case "Aug":
		return time.August
	case "Sep":
		return time.September
	case "Oct":
		return time.October
	case "Nov":
		return time.November
	case "Dec":
		return time.December
	}
	return 0
}

// weekday reports whether b is a three-letter English day name.
func weekday(b []byte) bool {
	switch string(b) {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

// daysIn returns the number of days in month m of year y.
func daysIn(m time.Month, y int) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}
