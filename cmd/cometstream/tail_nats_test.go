package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/internal/natstest"
	"github.com/cometstream/cometstream/jetstream"
)

// TestTailNATS prints, from a JetStream stream a Sink publishes, the
// blocks from a height on, as tail prints them from a node.
func TestTailNATS(t *testing.T) {
	c := natstest.Start(t, 1)
	store, err := events.NewMemStore(16)
	if err != nil {
		t.Fatal(err)
	}
	log, err := events.NewLog(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	for h := int64(1); h <= 3; h++ {
		sum := sha256.Sum256([]byte{byte(h)})
		b := &events.Block{Height: h, Hash: sum[:], HasResults: true}
		if h == 3 {
			b.Txs = []events.Tx{{ID: "tx-3", AssetIDs: []string{"tx-3"}}}
			b.Results = []events.TxResult{{Hash: sum[:]}}
		}
		if _, err := log.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	sink, err := jetstream.New(jetstream.Config{Log: log, ChainID: "tail", Conn: jetstream.Conn{Servers: c.URLs()}, Stream: "TAIL"})
	if err != nil {
		t.Fatal(err)
	}
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	defer sink.Close(context.Background())
	for deadline := time.Now().Add(30 * time.Second); sink.Stats().Height < 3; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the sink did not publish: %+v", sink.Stats())
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stdout := &lineWriter{n: 2, cancel: cancel}
	var stderr bytes.Buffer
	args := []string{"tail", "--nats", c.URLs()[0], "--nats-stream", "TAIL", "--blocks", "--from-height", "2"}
	if err := run(ctx, args, stdout, &stderr); err != nil {
		t.Fatalf("run: %v\nstderr:\n%s", err, stderr.String())
	}
	if ctx.Err() == context.DeadlineExceeded {
		t.Fatalf("timed out; stdout:\n%s\nstderr:\n%s", stdout.buf.String(), stderr.String())
	}
	got := strings.Split(strings.TrimSuffix(stdout.buf.String(), "\n"), "\n")
	hash := func(h byte) string { s := sha256.Sum256([]byte{h}); return strings.ToUpper(fmt.Sprintf("%x", s)) }
	want := []string{
		`{"height":2,"hash":"` + hash(2) + `","transaction_ids":[]}`,
		`{"height":3,"hash":"` + hash(3) + `","transaction_ids":["tx-3"]}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("stdout\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	for _, tt := range []struct{ args, want string }{
		{"--nats nats://127.0.0.1:1", "--nats needs --nats-stream"},
		{"--nats nats://127.0.0.1:1 --nats-stream S --operation CREATE", "not with --nats"},
	} {
		err := run(context.Background(), append([]string{"tail"}, strings.Fields(tt.args)...), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("tail %s: %v, want %q", tt.args, err, tt.want)
		}
	}
}
