// Package source holds what every live source of homesoc serve shares: the
// record a source hands on and the sink that takes it into the pipeline.
// The sources themselves live in subpackages (source/syslog, source/tail,
// source/flow); the sink is the pipeline's live ingester.
package source

import (
	"context"
	"time"

	"github.com/homesoc/homesoc/internal/event"
)

// Record is one line or message a live source received.
type Record struct {
	// Source names the sender: "syslog+udp://192.0.2.1", a file's path,
	// "netflow://192.0.2.1:2055". Formats are detected per Source, and
	// rejects and metrics name it.
	Source string
	// Format is a registered parser's name, or "" (or "auto") to detect it
	// per Source.
	Format string
	// Line is the record in the text form homesoc's parsers read (a syslog
	// message as a syslog daemon writes it to a file, a file's line), without
	// its line end. The sink owns it once handed over.
	Line []byte
	// Event, when not nil, is a record the source decoded itself (a flow
	// record): the sink stores it as it is and parses nothing; Line is then
	// only its raw text.
	Event *event.Network
	// Reject, when not empty, says why the source could not decode the
	// record (a flow datagram it cannot read): the sink keeps Line as a
	// rejected record with this reason, under Format.
	Reject string
	// Received is when the source read the record; it places stamps that
	// carry no year.
	Received time.Time
}

// Sink takes records into the pipeline. Implementations are safe for
// concurrent use.
type Sink interface {
	// Submit queues recs, blocking while the pipeline's queue is full
	// (back-pressure) or until ctx ends (then it returns ctx's error and
	// queues nothing). done, when not nil, is called once, after every record
	// of recs is stored or counted (nil), or could not be (the store's
	// error): a source that checkpoints moves its checkpoint there.
	Submit(ctx context.Context, recs []Record, done func(error)) error
	// Offer queues recs if there is room now and reports whether it did. A
	// UDP listener counts what it could not queue as dropped.
	Offer(recs []Record) bool
}
