// Package route is the routing tree of homesoc.yaml's route section: which
// receivers an alert goes to, and how its alerts are grouped and timed.
//
// The semantics are Alertmanager's. An alert enters at the top route, which
// takes every alert. At each route it tries the child routes in the order
// the file lists them: it goes down into the first child whose matchers all
// hold for its labels (a label the alert lacks counts as empty) and, unless
// that child says continue: true, tries no further sibling; a child with
// continue lets the alert go on to the next siblings as well, so one alert
// may reach several routes. Inside a child the same happens again. Where no
// child takes the alert, the route itself is where it stops (and only then:
// a parent whose continue child took the alert is not a stop): the routes an
// alert stops at name the receivers it is sent to, and it is grouped there
// by that route's group_by (["..."]: by every label) and timed by its
// group_wait, group_interval and repeat_interval.
//
// A child route leaves out what it shares with its parent: receiver,
// group_by and the three timers are inherited from the parent, and the top
// route's timers default to Alertmanager's (config.DefaultGroupWait, ...).
//
// Routes are named as the config's messages name them: the top route is
// "top route", the others "route N", numbered from 1 in the order the file
// lists them, depth first (a route's children right after it).
package route

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/homesoc/homesoc/internal/config"
)

// DefaultReceiver is the receiver of a config without a route: the JSONL
// file, so a fresh install loses nothing. The caller defines it.
const DefaultReceiver = "jsonl"

// TopName is the name of the top route.
const TopName = "top route"

// Tree is a routing tree built from the config: immutable once built, safe
// to share between goroutines.
type Tree struct {
	top   *Node
	nodes []*Node // depth first, the top route first
}

// Node is one route with everything it inherits filled in.
type Node struct {
	Name     string // "top route" or "route N"
	Line     int    // the route's line in the config; 0 for a route built in code
	Receiver string
	// GroupBy are the label names alerts are grouped by, sorted; GroupAll
	// is set (and GroupBy nil) for group_by ["..."].
	GroupBy        []string
	GroupAll       bool
	GroupWait      time.Duration
	GroupInterval  time.Duration
	RepeatInterval time.Duration
	Matchers       []config.Matcher
	Continue       bool
	Routes         []*Node
}

// New builds the tree of a config's route section and checks that every
// route sends to one of receivers. A nil top is the route of a config that
// has none: every alert to DefaultReceiver, which the caller defines (it is
// not looked for in receivers).
func New(top *config.Route, receivers []config.Receiver) (*Tree, error) {
	if top == nil {
		n := &Node{Name: TopName, Receiver: DefaultReceiver, GroupWait: time.Duration(config.DefaultGroupWait),
			GroupInterval: time.Duration(config.DefaultGroupInterval), RepeatInterval: time.Duration(config.DefaultRepeatInterval)}
		return &Tree{top: n, nodes: []*Node{n}}, nil
	}
	if top.Receiver == "" {
		return nil, fmt.Errorf("the top route has no receiver: every alert needs one")
	}
	names := make(map[string]bool, len(receivers))
	for _, r := range receivers {
		names[r.Name] = true
	}
	t := &Tree{}
	config.FillRoute(top) // what a route leaves out, from its parent (a checked config's are filled already)
	n := 0
	var build func(r *config.Route, name string) (*Node, error)
	build = func(r *config.Route, name string) (*Node, error) {
		node := &Node{Name: name, Line: r.Line(), Receiver: r.Receiver, Matchers: slices.Clone(r.Matchers), Continue: r.Continue,
			GroupWait: time.Duration(r.GroupWait), GroupInterval: time.Duration(r.GroupInterval), RepeatInterval: time.Duration(r.RepeatInterval)}
		if slices.Contains(r.GroupBy, "...") {
			node.GroupAll = true
		} else {
			node.GroupBy = slices.Compact(slices.Sorted(slices.Values(r.GroupBy)))
		}
		if !names[node.Receiver] {
			return nil, fmt.Errorf("undefined receiver %q used in %s", node.Receiver, name)
		}
		t.nodes = append(t.nodes, node)
		for _, c := range r.Routes {
			n++
			cname := "route " + strconv.Itoa(n)
			if c == nil {
				return nil, fmt.Errorf("%s (under %s) is empty", cname, name)
			}
			child, err := build(c, cname)
			if err != nil {
				return nil, err
			}
			node.Routes = append(node.Routes, child)
		}
		return node, nil
	}
	root, err := build(top, TopName)
	if err != nil {
		return nil, err
	}
	t.top = root
	return t, nil
}

// Nodes are every route, depth first, the top route first.
func (t *Tree) Nodes() []*Node { return t.nodes }

// Match returns the routes an alert with labels stops at, in the order of
// the tree (see the package doc); never empty, since the top route takes
// every alert.
func (t *Tree) Match(labels map[string]string) []*Node {
	return t.top.match(labels, true)
}

// match is Match below n; top skips n's own matchers (the top route has
// none to hold).
func (n *Node) match(labels map[string]string, top bool) []*Node {
	if !top && !n.Matches(labels) {
		return nil
	}
	var all []*Node
	for _, c := range n.Routes {
		m := c.match(labels, false)
		all = append(all, m...)
		if len(m) > 0 && !c.Continue {
			break
		}
	}
	if len(all) == 0 {
		all = append(all, n)
	}
	return all
}

// Matches reports whether every matcher of the route holds for labels (a
// missing label is the empty string).
func (n *Node) Matches(labels map[string]string) bool {
	for _, m := range n.Matchers {
		if !m.Matches(labels[m.Name]) {
			return false
		}
	}
	return true
}
