package jetstream_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/cometstream/cometstream/client"
	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/natstest"
	cometjs "github.com/cometstream/cometstream/jetstream"
	"github.com/cometstream/cometstream/streamsvc"
)

const txsPerBlock = 4

func newLog(t *testing.T) *events.Log {
	t.Helper()
	store, err := events.NewMemStore(10000)
	if err != nil {
		t.Fatal(err)
	}
	log, err := events.NewLog(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = log.Close() })
	return log
}

// appendBlocks appends heights from..to, each with txsPerBlock valid
// transactions and their results.
func appendBlocks(t *testing.T, log *events.Log, from, to int64) {
	t.Helper()
	for h := from; h <= to; h++ {
		sum := sha256.Sum256([]byte(strconv.FormatInt(h, 10)))
		b := &events.Block{Height: h, Hash: sum[:], Time: time.Unix(1700000000+h, 0).UTC(), HasResults: true}
		for i := range txsPerBlock {
			id := fmt.Sprintf("%032x%032x", h, i)
			txh := sha256.Sum256([]byte(id))
			b.Txs = append(b.Txs, events.Tx{Index: uint32(i), ID: id, AssetIDs: []string{id}, Operation: "CREATE"})
			b.Results = append(b.Results, events.TxResult{Index: uint32(i), Hash: txh[:]})
		}
		if _, err := log.Append(b); err != nil {
			t.Fatal(err)
		}
	}
}

// storedMsg is one message as the JetStream stream holds it.
type storedMsg struct {
	id, subject string
	data        string
}

// stored reads the stream's messages in order.
func stored(t *testing.T, c *natstest.Cluster, name string) []storedMsg {
	t.Helper()
	info, msgs := c.Messages(name)
	if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
		t.Fatalf("stream replicas %d, cluster %+v: want 3 (a leader and 2 replicas)", info.Config.Replicas, info.Cluster)
	}
	var out []storedMsg
	for _, m := range msgs {
		out = append(out, storedMsg{m.Header.Get(jetstream.MsgIDHeader), m.Subject, string(m.Data)})
	}
	return out
}

// want is what the stream must hold for heights from..to: each block's
// valid_blocks, valid_transactions and tx_results messages, in that
// order, as a WebSocket subscriber gets them.
func want(t *testing.T, log *events.Log, prefix string, from, to int64) []storedMsg {
	t.Helper()
	var out []storedMsg
	for h := from; h <= to; h++ {
		b, err := log.Get(h)
		if err != nil {
			t.Fatal(err)
		}
		seq := 0
		for _, s := range []string{"valid_blocks", "valid_transactions", "tx_results"} {
			msgs, err := streamsvc.Messages("/api/v1/streams/"+s, b)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range msgs {
				out = append(out, storedMsg{fmt.Sprintf("%d:%d", h, seq), prefix + s, string(m)})
				seq++
			}
		}
	}
	return out
}

func startSink(t *testing.T, c *natstest.Cluster, log *events.Log) *cometjs.Sink {
	t.Helper()
	s, err := cometjs.New(cometjs.Config{Log: log, ChainID: "test-chain", Conn: cometjs.Conn{Servers: c.URLs()}, Replicas: 3, PublishTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// waitHeight waits until the sink has published height h whole.
func waitHeight(t *testing.T, s *cometjs.Sink, h int64) {
	t.Helper()
	deadline := time.Now().Add(120 * time.Second)
	for s.Stats().Height < h {
		if time.Now().After(deadline) {
			t.Fatalf("sink at height %d after 2 minutes, want %d (%+v)", s.Stats().Height, h, s.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func checkStored(t *testing.T, c *natstest.Cluster, log *events.Log, s *cometjs.Sink, upTo int64) {
	t.Helper()
	got := stored(t, c, "COMETSTREAM_TEST-CHAIN")
	exp := want(t, log, s.Subject(""), 1, upTo)
	if !slices.Equal(got, exp) {
		n := min(len(got), len(exp))
		for i := range n {
			if got[i] != exp[i] {
				t.Fatalf("stream holds %d messages, want %d; first difference at %d: got %+v, want %+v", len(got), len(exp), i, got[i], exp[i])
			}
		}
		t.Fatalf("stream holds %d messages, want %d (the first %d agree)", len(got), len(exp), n)
	}
}

// TestSinkExactlyOnceThroughOutages publishes a log to a 3-server cluster
// (stream replicas 3) while blocks keep coming: every message of every
// height arrives once, in order, through the loss of one server and a
// stop of the whole cluster (the sink backfills what was committed
// meanwhile), and after the sink itself restarts.
func TestSinkExactlyOnceThroughOutages(t *testing.T) {
	c := natstest.Start(t, 3)
	log := newLog(t)
	appendBlocks(t, log, 1, 5) // history before the sink starts
	s := startSink(t, c, log)
	waitHeight(t, s, 5)
	appendBlocks(t, log, 6, 20)
	waitHeight(t, s, 20)
	checkStored(t, c, log, s, 20)

	// One server down mid-stream: the other two keep the quorum.
	for h := int64(21); h <= 40; h++ {
		if h == 25 {
			c.StopServer(1)
		}
		appendBlocks(t, log, h, h)
	}
	waitHeight(t, s, 40)
	c.StartServer(1)

	// The whole cluster down while the chain goes on.
	c.StopServer(0)
	c.StopServer(1)
	c.StopServer(2)
	appendBlocks(t, log, 41, 50)
	errs := s.Stats().Errors
	deadline := time.Now().Add(60 * time.Second)
	for s.Stats().Errors == errs { // it tried, and failed
		if time.Now().After(deadline) {
			t.Fatal("the sink reported no failure with the cluster down")
		}
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 3 {
		c.StartServer(i)
	}
	c.WaitReady()
	waitHeight(t, s, 50)
	checkStored(t, c, log, s, 50)

	// The sink restarts: its position is the stream's last message.
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	appendBlocks(t, log, 51, 60)
	s2 := startSink(t, c, log)
	waitHeight(t, s2, 60)
	checkStored(t, c, log, s2, 60)
}

// TestReadFromJetStream reads what a Sink published as the Go client's
// events: from a height, skipping the events of that height already had,
// each once and in order, then the live ones as they are published.
func TestReadFromJetStream(t *testing.T) {
	c := natstest.Start(t, 1)
	log := newLog(t)
	appendBlocks(t, log, 1, 10)
	s, err := cometjs.New(cometjs.Config{Log: log, ChainID: "test-chain", Conn: cometjs.Conn{Servers: c.URLs()}, Stream: "EVENTS"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	waitHeight(t, s, 10)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var got []string
	done := make(chan error, 1)
	go func() {
		done <- cometjs.Read(ctx, cometjs.ReaderConfig{Conn: cometjs.Conn{Servers: c.URLs()}, Stream: "EVENTS", FromHeight: 4, SkipFirst: 2},
			func(e client.Event) error {
				got = append(got, e.Tx.TransactionID)
				if e.Tx.Height == 14 && e.Tx.TransactionID == fmt.Sprintf("%032x%032x", 14, txsPerBlock-1) {
					cancel() // the last one
				}
				return nil
			})
	}()
	appendBlocks(t, log, 11, 14) // live while the reader reads
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Read: %v (%d events)", err, len(got))
	}
	var want []string
	for h := int64(4); h <= 14; h++ {
		for i := range txsPerBlock {
			if h == 4 && i < 2 {
				continue
			}
			want = append(want, fmt.Sprintf("%032x%032x", h, i))
		}
	}
	if !slices.Equal(got, want) {
		t.Fatalf("read %d events\n%v\nwant %d\n%v", len(got), got, len(want), want)
	}
}
