package jetstream

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/fault"
	"github.com/cometstream/cometstream/streamsvc"
	"github.com/cometstream/cometstream/wire"
)

// Headers of every published message, beside Nats-Msg-Id.
const (
	// HeaderHeight is the block's height.
	HeaderHeight = "Cometstream-Height"
	// HeaderStream names the event stream: valid_blocks,
	// valid_transactions or tx_results.
	HeaderStream = "Cometstream-Stream"
	// HeaderIndex is the message's place in its event stream's messages
	// of the block: the index of its event-stream id "<height>:<index>".
	HeaderIndex = "Cometstream-Index"
	// HeaderSeq is "<seq>/<count>": the message's place among all the
	// block's messages, and their number.
	HeaderSeq = "Cometstream-Seq"
)

// streams are published in this order within a block: the block first.
var streams = []string{wire.PathBlocks, wire.PathTransactions, wire.PathTxResults}

// Stats is what the Sink has done.
type Stats struct {
	Published uint64 // messages acknowledged (duplicates included)
	Errors    uint64 // failed publishes and stream operations
	// Height is the last height the stream holds whole; Lag is how many
	// heights of the log it has not published yet.
	Height int64
	Lag    int64
}

// Sink publishes the log to JetStream; see the package documentation.
type Sink struct {
	cfg    Config
	logger hclog.Logger
	prefix string // cometstream.<chain>.

	published, errs atomic.Uint64
	height          atomic.Int64

	mu     sync.Mutex
	nc     *nats.Conn
	cancel context.CancelFunc
	done   chan struct{}
}

// New validates cfg. Nothing connects until Start.
func New(cfg Config) (*Sink, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	return &Sink{cfg: cfg, logger: cfg.Logger.Named("jetstream"), prefix: "cometstream." + subjectToken(cfg.ChainID) + "."}, nil
}

// Subject is the subject of an event stream's messages ("valid_blocks").
func (s *Sink) Subject(stream string) string { return s.prefix + stream }

// Start connects (in the background: NATS may be down, the Sink waits for
// it) and starts publishing. Close stops it.
func (s *Sink) Start() error {
	nc, err := s.cfg.Conn.connect("cometstream "+s.cfg.ChainID, s.logger)
	if err != nil {
		return fmt.Errorf("jetstream sink: %w", err)
	}
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		nc.Close()
		return fmt.Errorf("jetstream sink: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.mu.Lock()
	s.nc, s.cancel, s.done = nc, cancel, make(chan struct{})
	s.mu.Unlock()
	go s.run(ctx, js)
	return nil
}

// Close stops publishing and closes the connection, waiting for the
// publisher until ctx ends. What was not published is published after
// the next Start, from the stream's last message.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	nc, cancel, done := s.nc, s.cancel, s.done
	s.nc = nil
	s.mu.Unlock()
	if nc == nil {
		return nil
	}
	cancel()
	select {
	case <-done:
	case <-ctx.Done():
		nc.Close()
		return fmt.Errorf("jetstream sink: close: %w", ctx.Err())
	}
	nc.Close()
	return nil
}

// Stats reports what the Sink has done.
func (s *Sink) Stats() Stats {
	h := s.height.Load()
	_, newest := s.cfg.Log.Bounds()
	return Stats{Published: s.published.Load(), Errors: s.errs.Load(), Height: h, Lag: max(0, newest-h)}
}

// position is the next message to publish: the seq-th of height's, and
// the id of the one before it ("" on an empty stream).
type position struct {
	height int64
	seq    int
	prev   string
	// empty: the stream holds nothing yet, so the first publish expects
	// sequence 0 (with prev "" and empty false, nothing is expected of it).
	empty bool
}

// run publishes until ctx ends, re-reading its position from the stream
// after any failure.
func (s *Sink) run(ctx context.Context, js jetstream.JetStream) {
	defer close(s.done)
	backoff := newBackoff()
	var stream jetstream.Stream
	var pos position
	var reader *events.Reader
	for ctx.Err() == nil {
		if stream == nil {
			var err error
			if stream, err = s.ensureStream(ctx, js); err != nil {
				s.fail(ctx, backoff, "creating or checking the stream", err)
				continue
			}
			if pos, err = s.position(ctx, stream); err != nil {
				stream = nil
				s.fail(ctx, backoff, "reading the stream's last message", err)
				continue
			}
			reader = s.cfg.Log.NewReader(pos.height)
			s.logger.Info("publishing the event log", "stream", s.cfg.Stream, "from_height", pos.height, "seq", pos.seq)
		}
		b, err := reader.Next(ctx)
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, events.ErrPruned):
			oldest, _ := s.cfg.Log.Bounds()
			s.logger.Error("the stream is behind the log's oldest block: heights skipped", "from", pos.height, "to", oldest-1)
			pos = position{height: oldest, prev: pos.prev}
			reader = s.cfg.Log.NewReader(oldest)
			continue
		case err != nil:
			s.fail(ctx, backoff, "reading the event log", err)
			continue
		}
		if pos.height == 0 { // an empty stream joins at the log's first block read
			pos.height = b.Height
		}
		if b.Height != pos.height {
			s.fail(ctx, backoff, "reading the event log", fmt.Errorf("read height %d, want %d", b.Height, pos.height))
			stream = nil
			continue
		}
		if err := s.publish(ctx, js, b, &pos); err != nil {
			// Where did it stop? The stream says: its last message.
			stream = nil
			s.fail(ctx, backoff, "publishing", err)
			continue
		}
		backoff.reset()
		s.height.Store(b.Height)
		pos = position{height: b.Height + 1, prev: pos.prev}
	}
}

func (s *Sink) fail(ctx context.Context, b *backoff, what string, err error) {
	s.errs.Add(1)
	d := b.next()
	s.logger.Warn("jetstream sink: "+what+" failed; retrying", "error", err, "in", d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// ensureStream creates the stream, or updates it to the configuration.
func (s *Sink) ensureStream(ctx context.Context, js jetstream.JetStream) (jetstream.Stream, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PublishTimeout)
	defer cancel()
	return js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:       s.cfg.Stream,
		Subjects:   []string{s.prefix + ">"},
		Retention:  jetstream.LimitsPolicy,
		Storage:    jetstream.FileStorage,
		Replicas:   s.cfg.Replicas,
		MaxAge:     s.cfg.MaxAge,
		MaxBytes:   s.cfg.MaxBytes,
		Duplicates: s.cfg.DuplicateWindow,
		Discard:    jetstream.DiscardOld,
	})
}

// position reads where the stream stands: after its last message.
func (s *Sink) position(ctx context.Context, stream jetstream.Stream) (position, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.PublishTimeout)
	defer cancel()
	info, err := stream.Info(ctx)
	if err != nil {
		return position{}, err
	}
	if info.State.LastSeq == 0 {
		oldest, _ := s.cfg.Log.Bounds()
		return position{height: oldest, empty: true}, nil // a new stream: all the log holds
	}
	msg, err := stream.GetMsg(ctx, info.State.LastSeq)
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		// Aged out (MaxAge) or purged: nothing says where it stood.
		_, newest := s.cfg.Log.Bounds()
		s.logger.Warn("the stream's last message is gone (aged out or purged): publishing from the log's newest block", "height", newest)
		return position{height: newest}, nil
	}
	if err != nil {
		return position{}, err
	}
	h, err := strconv.ParseInt(msg.Header.Get(HeaderHeight), 10, 64)
	if err != nil {
		return position{}, fmt.Errorf("the stream's last message (seq %d) has no %s header: is the stream another publisher's?", msg.Sequence, HeaderHeight)
	}
	seq, count, err := parseSeq(msg.Header.Get(HeaderSeq))
	if err != nil {
		return position{}, fmt.Errorf("the stream's last message (seq %d): %w", msg.Sequence, err)
	}
	prev := msg.Header.Get(jetstream.MsgIDHeader)
	if seq+1 == count { // the stream holds h whole
		s.height.Store(h)
		return position{height: h + 1, prev: prev}, nil
	}
	s.height.Store(h - 1)
	return position{height: h, seq: seq + 1, prev: prev}, nil
}

func parseSeq(v string) (seq, count int, err error) {
	a, b, ok := strings.Cut(v, "/")
	seq, err1 := strconv.Atoi(a)
	count, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || seq < 0 || seq >= count {
		return 0, 0, fmt.Errorf("%s %q: want <seq>/<count>", HeaderSeq, v)
	}
	return seq, count, nil
}

// publish sends b's messages from pos.seq on, each expecting the one
// before it as the stream's last, and waits for every acknowledgement.
func (s *Sink) publish(ctx context.Context, js jetstream.JetStream, b *events.Block, pos *position) error {
	type msg struct {
		stream string
		index  int
		data   []byte
	}
	var msgs []msg
	for _, path := range streams {
		bodies, err := streamsvc.Messages(path, b)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(path, wire.StreamPrefix)
		for i, body := range bodies {
			msgs = append(msgs, msg{name, i, body})
		}
	}
	height := strconv.FormatInt(b.Height, 10)
	count := strconv.Itoa(len(msgs))
	futures := make([]jetstream.PubAckFuture, 0, len(msgs)-pos.seq)
	prev := pos.prev
	half := len(msgs) / 2
	for seq := pos.seq; seq < len(msgs); seq++ {
		// The crash test's point: the first block from its height on
		// with messages to split.
		if plan, _ := fault.Armed(); seq == half && half > 0 && plan.Point == fault.MidJetStreamPublish && b.Height >= plan.Height {
			<-js.PublishAsyncComplete() // the first half stored, then the crash
			fault.Exit(fault.MidJetStreamPublish, b.Height)
		}
		m := msgs[seq]
		id := height + ":" + strconv.Itoa(seq)
		nm := &nats.Msg{Subject: s.prefix + m.stream, Data: m.data, Header: nats.Header{
			HeaderHeight: {height},
			HeaderStream: {m.stream},
			HeaderIndex:  {strconv.Itoa(m.index)},
			HeaderSeq:    {strconv.Itoa(seq) + "/" + count},
		}}
		opts := []jetstream.PublishOpt{jetstream.WithMsgID(id), jetstream.WithExpectStream(s.cfg.Stream)}
		switch {
		case prev != "":
			opts = append(opts, jetstream.WithExpectLastMsgID(prev))
		case pos.empty:
			opts = append(opts, jetstream.WithExpectLastSequence(0))
		}
		f, err := js.PublishMsgAsync(nm, opts...)
		if err != nil {
			return fmt.Errorf("height %d message %d: %w", b.Height, seq, err)
		}
		futures = append(futures, f)
		prev = id
	}
	timeout := time.NewTimer(s.cfg.PublishTimeout)
	defer timeout.Stop()
	for i, f := range futures {
		select {
		case <-f.Ok():
			s.published.Add(1)
		case err := <-f.Err():
			return fmt.Errorf("height %d message %d: %w", b.Height, pos.seq+i, err)
		case <-timeout.C:
			return fmt.Errorf("height %d: no acknowledgement within %v", b.Height, s.cfg.PublishTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	pos.prev = prev
	return nil
}

// backoff doubles from 100 ms to 5 s.
type backoff struct{ d time.Duration }

func newBackoff() *backoff { return &backoff{} }

func (b *backoff) next() time.Duration {
	if b.d == 0 {
		b.d = 100 * time.Millisecond
	} else if b.d *= 2; b.d > 5*time.Second {
		b.d = 5 * time.Second
	}
	return b.d
}

func (b *backoff) reset() { b.d = 0 }
