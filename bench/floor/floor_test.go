package floor_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/cometstream/cometstream/bench"
	"github.com/cometstream/cometstream/bench/floor"
	"github.com/cometstream/cometstream/bench/loadclients"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestFloorWithLoadClients runs a client process's code in this process
// against the floor: every connection gets every published frame, and the
// report says so height by height.
func TestFloorWithLoadClients(t *testing.T) {
	srv, err := floor.Start("127.0.0.1:0", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	}()

	const conns = 5
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := loadclients.Run(context.Background(), loadclients.Config{
			URL: "ws://" + srv.Addr() + "/", Conns: conns, Source: "127.0.0.1",
		}, inR, outW)
		_ = outW.CloseWithError(err)
		done <- err
	}()
	dec := json.NewDecoder(bufio.NewReader(outR))
	var ready bench.Ready
	if err := dec.Decode(&ready); err != nil {
		t.Fatal(err)
	}
	if ready.Connected != conns {
		t.Fatalf("ready: %+v", ready)
	}
	// The upgrade answers before the writer is registered.
	eventually(t, func() bool { return srv.Subscribers() == conns })
	txs := map[int64]int{1: 1, 2: 50, 3: 7}
	for h := int64(1); h <= 3; h++ {
		srv.Publish(bench.TxFrames(bench.SyntheticBlock("t", h, txs[h])))
	}
	want := int64(conns * (1 + 50 + 7))
	eventually(t, func() bool {
		fmt.Fprintln(inW, bench.CmdStatus)
		var st bench.Status
		if err := dec.Decode(&st); err != nil {
			t.Fatal(err)
		}
		return st.Msgs == want
	})
	fmt.Fprintln(inW, bench.CmdReport)
	var rep bench.Report
	if err := dec.Decode(&rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Heights) != 3 || rep.Open != conns {
		t.Fatalf("report: %+v", rep)
	}
	for _, hr := range rep.Heights {
		for i := range conns {
			if int(hr.Counts[i]) != txs[hr.Height] || hr.Last[i] == 0 {
				t.Errorf("height %d conn %d: %d messages at %d, want %d", hr.Height, i, hr.Counts[i], hr.Last[i], txs[hr.Height])
			}
		}
	}
	fmt.Fprintln(inW, bench.CmdQuit)
	var last bench.Status
	if err := dec.Decode(&last); err != nil {
		t.Fatal(err)
	}
	_ = inW.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	srv.Drop()
	if n := srv.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers after Drop", n)
	}
}

// eventually polls cond until it holds, failing the test after 20s.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 20s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
