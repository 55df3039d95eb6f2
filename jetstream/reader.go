package jetstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/go-hclog"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/wire"
)

// ReaderConfig configures Read.
type ReaderConfig struct {
	// Conn is how to reach NATS, as the Sink's. Servers is required.
	Conn
	// Stream is the JetStream stream the Sink publishes. Required.
	Stream string
	// Events is the event stream read: valid_transactions (the default),
	// valid_blocks or tx_results.
	Events string
	// FromHeight is the first height delivered; 0 delivers what the
	// stream receives from now on. SkipFirst skips that height's events
	// with an index below it (their event-stream ids are <height>:<index>):
	// a reader that stopped after <h>:<i> resumes with FromHeight h and
	// SkipFirst i+1, and gets each event once.
	FromHeight int64
	SkipFirst  int
	// Logger defaults to a null logger.
	Logger hclog.Logger
}

// Read delivers the events of one event stream from JetStream to handler,
// in order and each once (by height and index), until ctx ends (it then
// returns ctx's error) or handler fails (Read returns its error). It uses
// an ordered consumer, which JetStream recreates from the last message
// delivered after any disconnect.
func Read(ctx context.Context, cfg ReaderConfig, handler func(client.Event) error) error {
	if cfg.Stream == "" || len(cfg.Servers) == 0 {
		return errors.New("jetstream reader: Stream and Servers are required")
	}
	if cfg.Events == "" {
		cfg.Events = strings.TrimPrefix(wire.PathTransactions, wire.StreamPrefix)
	}
	if !wire.IsStreamPath(wire.StreamPrefix + cfg.Events) {
		return fmt.Errorf("jetstream reader: Events %q: want valid_transactions, valid_blocks or tx_results", cfg.Events)
	}
	if cfg.FromHeight < 0 || cfg.SkipFirst < 0 {
		return errors.New("jetstream reader: FromHeight and SkipFirst must not be negative")
	}
	if cfg.Logger == nil {
		cfg.Logger = hclog.NewNullLogger()
	}
	if cfg.kinds() > 1 {
		return errors.New("jetstream reader: give a token, a user and password, or a creds file, not several")
	}
	nc, err := cfg.connect("cometstream reader", cfg.Logger)
	if err != nil {
		return fmt.Errorf("jetstream reader: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("jetstream reader: %w", err)
	}
	st, err := js.Stream(ctx, cfg.Stream)
	if err != nil {
		return fmt.Errorf("jetstream reader: stream %s: %w", cfg.Stream, err)
	}
	subject, start, err := startAt(ctx, st, cfg)
	if err != nil {
		return fmt.Errorf("jetstream reader: %w", err)
	}
	occ := jetstream.OrderedConsumerConfig{FilterSubjects: []string{subject}, DeliverPolicy: jetstream.DeliverNewPolicy}
	if start > 0 {
		occ.DeliverPolicy, occ.OptStartSeq = jetstream.DeliverByStartSequencePolicy, start
	}
	cons, err := st.OrderedConsumer(ctx, occ)
	if err != nil {
		return fmt.Errorf("jetstream reader: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("jetstream reader: %w", err)
	}
	stop := context.AfterFunc(ctx, it.Stop)
	defer stop()
	defer it.Stop()
	last := position{height: cfg.FromHeight, seq: cfg.SkipFirst - 1} // the last event delivered
	for {
		m, err := it.Next()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("jetstream reader: %w", err)
		}
		h, err1 := strconv.ParseInt(m.Headers().Get(HeaderHeight), 10, 64)
		i, err2 := strconv.Atoi(m.Headers().Get(HeaderIndex))
		if err1 != nil || err2 != nil {
			return fmt.Errorf("jetstream reader: message on %s without %s and %s headers", m.Subject(), HeaderHeight, HeaderIndex)
		}
		if h < last.height || h == last.height && i <= last.seq {
			continue // delivered already (a redelivery, or before FromHeight)
		}
		e, err := event(cfg.Events, m.Data())
		if err != nil {
			return fmt.Errorf("jetstream reader: height %d index %d: %w", h, i, err)
		}
		if err := handler(e); err != nil {
			return err
		}
		last = position{height: h, seq: i}
	}
}

// startAt is the subject to read and the stream sequence of the first
// message at FromHeight or later (0: from now on), found by bisection on
// the messages' height headers.
func startAt(ctx context.Context, st jetstream.Stream, cfg ReaderConfig) (subject string, seq uint64, err error) {
	info, err := st.Info(ctx)
	if err != nil {
		return "", 0, err
	}
	if len(info.Config.Subjects) != 1 || !strings.HasSuffix(info.Config.Subjects[0], ".>") {
		return "", 0, fmt.Errorf("stream %s has subjects %v: not one a Sink made", cfg.Stream, info.Config.Subjects)
	}
	subject = strings.TrimSuffix(info.Config.Subjects[0], ">") + cfg.Events
	if cfg.FromHeight <= 0 {
		return subject, 0, nil
	}
	lo, hi := info.State.FirstSeq, info.State.LastSeq+1 // the answer is in [lo, hi]
	for lo < hi {
		mid := lo + (hi-lo)/2
		h, err := heightAt(ctx, st, mid, hi)
		if err != nil {
			return "", 0, err
		}
		if h < 0 || h >= cfg.FromHeight {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	if lo > info.State.LastSeq {
		return subject, info.State.LastSeq + 1, nil // not published yet: from the next message
	}
	return subject, lo, nil
}

// heightAt is the height of the first message at or after seq (below
// limit); -1 when there is none (deleted up to limit).
func heightAt(ctx context.Context, st jetstream.Stream, seq, limit uint64) (int64, error) {
	for ; seq < limit; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			return 0, err
		}
		return strconv.ParseInt(m.Header.Get(HeaderHeight), 10, 64)
	}
	return -1, nil
}

// event decodes a message of the named event stream as the Go client
// does.
func event(events string, data []byte) (client.Event, error) {
	var e client.Event
	var err error
	switch events {
	case "valid_blocks":
		e.Block = new(client.BlockEvent)
		err = json.Unmarshal(data, e.Block)
	case "tx_results":
		e.Result = new(client.TxResultEvent)
		err = json.Unmarshal(data, e.Result)
	default:
		e.Tx = new(client.TxEvent)
		err = json.Unmarshal(data, e.Tx)
	}
	return e, err
}
