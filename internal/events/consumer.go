package events

import (
	"context"
	"log/slog"
	"time"

	"hearth/internal/forum"
)

// Consumer is what reacts to events durably: notifications, the mail
// outbox, search, the member roster. Its position is kept in the database
// and moved only after Handle returns, so after a crash it sees the events
// since its last saved position again: Handle must be idempotent, keying
// what it does by event id (a notification, an outbox row, an index entry
// per event and recipient).
type Consumer interface {
	// Name identifies the consumer's cursor; it never changes.
	Name() string
	// Handle makes the effects of evs durable before it returns nil.
	Handle(ctx context.Context, evs []forum.Event) error
}

// DurableSource is the stream with consumers' cursors (internal/store).
type DurableSource interface {
	Source
	ConsumerCursor(ctx context.Context, consumer string) (forum.EventCursor, error)
	SaveConsumerCursor(ctx context.Context, consumer string, c forum.EventCursor, now time.Time) error
}

// Runner feeds durable consumers, on the node holding the lease (when
// Lease is set) so each event is handled by one node.
type Runner struct {
	Source    DurableSource
	Lease     *Lease // nil: run here whatever other nodes do
	Consumers []Consumer
	Log       *slog.Logger
	Poll      time.Duration // longest wait between reads; default 500ms
	Batch     int           // events per Handle; default 100
}

// Run feeds every consumer until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	for _, c := range r.Consumers {
		go r.feed(ctx, c)
	}
	<-ctx.Done()
}

func (r *Runner) feed(ctx context.Context, c Consumer) {
	poll, size := r.Poll, r.Batch
	if poll <= 0 {
		poll = 500 * time.Millisecond
	}
	if size <= 0 {
		size = 100
	}
	for ctx.Err() == nil {
		if r.Lease != nil && !r.Lease.Held() {
			sleep(ctx, poll)
			continue
		}
		n, err := r.Step(ctx, c, size)
		if err != nil && ctx.Err() == nil && r.Log != nil {
			r.Log.Warn("event consumer failed; it retries from where it stopped", "consumer", c.Name(), "err", err)
		}
		if err != nil {
			sleep(ctx, poll)
		} else if n < size {
			r.Source.WaitEvents(ctx, poll)
		}
	}
}

// Step hands consumer c the next events after its saved position, at most
// size, and saves the position after them once Handle succeeded. It
// reports how many events it handled.
func (r *Runner) Step(ctx context.Context, c Consumer, size int) (int, error) {
	cur, err := r.Source.ConsumerCursor(ctx, c.Name())
	if err != nil {
		return 0, err
	}
	evs, next, err := r.Source.Events(ctx, cur, size)
	if err != nil {
		return 0, err
	}
	if len(evs) > 0 {
		if err := c.Handle(ctx, evs); err != nil {
			return 0, err
		}
	}
	if next != cur { // even with nothing read: a PostgreSQL window read to its end moves on
		if err := r.Source.SaveConsumerCursor(ctx, c.Name(), next, time.Now()); err != nil {
			return 0, err
		}
	}
	return len(evs), nil
}
