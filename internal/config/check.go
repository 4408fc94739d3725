package config

import (
	"net"
	"reflect"
	"strconv"
	"strings"
)

// check adds the meaning errors of c: names that do not resolve, values
// out of range, receivers that send nowhere.
func (p *parser) check(c *Config) {
	if c.Scan.Rate < 0 || c.Scan.Concurrency < 0 || c.Scan.HostConcurrency < 0 {
		p.add(0, "scan: rate, concurrency and host_concurrency must not be negative")
	}
	p.checkServe(&c.Serve)
	p.checkFeeds(c.Feeds)
	p.checkRetention(&c.Retention)
	names := map[string]int{}
	for i := range c.Receivers {
		r := &c.Receivers[i]
		if r.Name == "" {
			p.add(r.line, "receiver %d has no name", i+1)
			continue
		}
		if first, dup := names[r.Name]; dup {
			p.add(r.line, "duplicate receiver %q (first at line %d)", r.Name, first)
			continue
		}
		names[r.Name] = r.line
		p.checkReceiver(r)
	}
	if c.Route == nil {
		if len(c.Receivers) > 0 {
			p.add(0, "receivers are defined but there is no route to send to them")
		}
		return
	}
	top := c.Route
	if top.Receiver == "" {
		p.add(top.line, "the top route has no receiver: every alert needs one")
	}
	if len(top.Matchers) > 0 {
		p.add(top.line, "the top route must not have matchers: it takes every alert")
	}
	n := 0
	var walk func(r *Route, what string)
	walk = func(r *Route, what string) {
		if r.Receiver != "" {
			if _, ok := names[r.Receiver]; !ok {
				p.add(r.line, "undefined receiver %q used in %s", r.Receiver, what)
			}
		}
		if r.Sets("group_interval") && r.GroupInterval <= 0 {
			p.add(r.line, "group_interval in %s must be above 0 (0s would send the group at every run)", what)
		}
		if r.Sets("repeat_interval") && r.RepeatInterval <= 0 {
			p.add(r.line, "repeat_interval in %s must be above 0 (0s would send the group at every run)", what)
		}
		for _, g := range r.GroupBy {
			if g == "..." && len(r.GroupBy) > 1 {
				p.add(r.line, "group_by in %s: \"...\" (group by every label) must stand alone", what)
			} else if g != "..." && !labelName.MatchString(g) {
				p.add(r.line, "group_by in %s: bad label name %q", what, g)
			}
		}
		for _, c := range r.Routes {
			n++
			if c == nil {
				p.add(r.line, "route %d (under %s) is empty", n, what)
				continue
			}
			walk(c, "route "+strconv.Itoa(n))
		}
	}
	walk(top, "the top route")
}

var pagerDutySeverities = map[string]bool{"": true, "critical": true, "error": true, "warning": true, "info": true}

// checkReceiver adds the errors of one receiver's configs.
func (p *parser) checkReceiver(r *Receiver) {
	total := len(r.PagerDutyConfigs) + len(r.SlackConfigs) + len(r.WebhookConfigs) + len(r.EmailConfigs) +
		len(r.JSONLConfigs) + len(r.AlertmanagerConfigs)
	if total == 0 {
		p.add(r.line, "receiver %q has no configuration: give it one of pagerduty_configs, slack_configs, webhook_configs, email_configs, jsonl_configs or alertmanager_configs", r.Name)
	}
	need := func(kind string, i int, key string, missing bool) {
		if missing {
			p.add(r.line, "receiver %q: %s %d has no %s", r.Name, kind, i+1, key)
		}
	}
	for i, c := range r.PagerDutyConfigs {
		need("pagerduty_configs", i, "routing_key", c.RoutingKey == "")
		if !pagerDutySeverities[c.Severity] {
			p.add(r.line, "receiver %q: pagerduty_configs %d: severity %q is not one of critical, error, warning, info", r.Name, i+1, c.Severity)
		}
	}
	for i, c := range r.SlackConfigs {
		need("slack_configs", i, "api_url", c.APIURL.Secret == "")
	}
	for i, c := range r.WebhookConfigs {
		need("webhook_configs", i, "url", c.URL.Secret == "")
	}
	for i, c := range r.EmailConfigs {
		need("email_configs", i, "to", c.To == "")
		need("email_configs", i, "from", c.From == "")
		need("email_configs", i, "smarthost", c.Smarthost == "")
		if c.Smarthost != "" {
			if _, port, err := net.SplitHostPort(c.Smarthost); err != nil || port == "" {
				p.add(r.line, "receiver %q: email_configs %d: smarthost %q must be host:port", r.Name, i+1, c.Smarthost)
			}
		}
		if c.AuthPassword != "" && c.AuthUsername == "" {
			p.add(r.line, "receiver %q: email_configs %d: auth_password without auth_username", r.Name, i+1)
		}
	}
	for i, c := range r.JSONLConfigs {
		need("jsonl_configs", i, "path", strings.TrimSpace(c.Path) == "")
	}
	for i, c := range r.AlertmanagerConfigs {
		need("alertmanager_configs", i, "url", c.URL == "")
	}
}

// fill sets what a checked config leaves to defaults: the route timers a
// route inherits, PagerDuty's URL, require_tls.
func (c *Config) fill() {
	FillRoute(c.Route)
	for i := range c.Receivers {
		r := &c.Receivers[i]
		for j := range r.PagerDutyConfigs {
			if r.PagerDutyConfigs[j].URL == "" {
				r.PagerDutyConfigs[j].URL = DefaultPagerDutyURL
			}
		}
		for j := range r.EmailConfigs {
			if r.EmailConfigs[j].RequireTLS == nil {
				t := true
				r.EmailConfigs[j].RequireTLS = &t
			}
		}
	}
	emptySlices(reflect.ValueOf(c))
}

// FillRoute gives every route of the tree under top what it leaves out:
// the top route Alertmanager's timers, the others their parent's receiver,
// group_by and timers (a timer given as 0s is kept). Filling a filled tree
// changes nothing. A nil top is none.
func FillRoute(top *Route) {
	if top != nil {
		top.inherit(&Route{GroupWait: DefaultGroupWait, GroupInterval: DefaultGroupInterval, RepeatInterval: DefaultRepeatInterval})
	}
}

// inherit gives r what it leaves out from parent, then its children.
func (r *Route) inherit(parent *Route) {
	if r.Receiver == "" {
		r.Receiver = parent.Receiver
	}
	if r.GroupBy == nil {
		r.GroupBy = parent.GroupBy
	}
	if r.GroupWait == 0 && !r.Sets("group_wait") {
		r.GroupWait = parent.GroupWait
	}
	if r.GroupInterval == 0 && !r.Sets("group_interval") {
		r.GroupInterval = parent.GroupInterval
	}
	if r.RepeatInterval == 0 && !r.Sets("repeat_interval") {
		r.RepeatInterval = parent.RepeatInterval
	}
	for _, c := range r.Routes {
		c.inherit(r)
	}
}

// emptySlices replaces every nil slice and map under v with an empty one,
// so that JSON prints [] and {} for none, as every homesoc output does.
func emptySlices(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			emptySlices(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				emptySlices(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.IsNil() {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		}
		for i := 0; i < v.Len(); i++ {
			emptySlices(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
	}
}
