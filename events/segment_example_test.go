package events_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/cometstream/cometstream/events"
)

// A node keeps its event log in a SegmentStore under its home; after a
// restart a reader resumes from any retained height, from disk, and goes on
// with the blocks appended live.
func ExampleOpenSegmentStore() {
	home, err := os.MkdirTemp("", "cometstream")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(home)
	cfg := events.SegmentConfig{Dir: filepath.Join(home, "data", "eventlog")}

	store, err := events.OpenSegmentStore(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	log, _ := events.NewLog(store, nil)
	for h := int64(1); h <= 3; h++ {
		log.Append(&events.Block{Height: h})
	}
	log.Close()

	// The node restarts.
	store, err = events.OpenSegmentStore(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	log, _ = events.NewLog(store, nil)
	defer log.Close()
	oldest, newest := log.Bounds()
	fmt.Println("held:", oldest, "to", newest)

	r := log.NewReader(2)
	log.Append(&events.Block{Height: 4})
	for range 3 {
		b, err := r.Next(context.Background())
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println("block", b.Height)
	}
	// Output:
	// held: 1 to 3
	// block 2
	// block 3
	// block 4
}
