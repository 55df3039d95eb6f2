package streamsvc_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// TestSlowReaderCatchesUpFromDisk follows a durable log whose memory cache
// holds 4 blocks: a stalled client falls far behind it while a fast client
// gets every block as it comes; released, the slow one catches up from the
// segment files, every block once and in order.
func TestSlowReaderCatchesUpFromDisk(t *testing.T) {
	store, err := events.OpenSegmentStore(events.SegmentConfig{Dir: t.TempDir(), CacheBlocks: 4, SegmentBytes: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	log, err := events.NewLog(store, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	srv, err := streamsvc.New(stallConfig(streamsvc.Config{Log: log, WriteTimeout: 5 * time.Minute, MaxLagHeights: 1 << 20}))
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(srv)
	hs.Listener = &sendBufferListener{Listener: hs.Listener, size: socketBuffer}
	hs.Start()
	defer hs.Close()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		if err := srv.Close(ctx); err != nil {
			t.Error(err)
		}
	}()
	url := "ws" + strings.TrimPrefix(hs.URL, "http") + streamsvc.PathBlocks

	release := make(chan struct{})
	slow := dial(t, url, dialOptions{recvBuffer: socketBuffer, holdAfter: 1, release: release})
	slow.sync(t)
	fast := dial(t, url, dialOptions{})
	fast.sync(t)
	blocks := makeBlocks(1, 200, func(int64) int { return 40 })
	for _, b := range blocks {
		if _, err := log.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if diff := diffMsgs(wantBlockMsgs(blocks...), decodeAll[blockMsg](t, fast.collect(t, len(blocks)))); diff != "" {
		t.Fatalf("fast client (-want +got):\n%s", diff)
	}
	close(release)
	if diff := diffMsgs(wantBlockMsgs(blocks...), decodeAll[blockMsg](t, slow.collect(t, len(blocks)))); diff != "" {
		t.Errorf("slow client (-want +got):\n%s", diff)
	}
}
