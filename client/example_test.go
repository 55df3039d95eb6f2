package client_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os/signal"
	"syscall"

	"github.com/cometstream/cometstream/client"
)

// Follow a node's CREATE transactions of two assets from height 1, failing
// over to a second node, until interrupted.
func ExampleClient_Run() {
	c, err := client.New(client.Config{
		URLs:       []string{"ws://127.0.0.1:9985", "ws://10.0.0.2:9985"},
		FromHeight: 1,
		AssetIDs:   []string{"4f0c...", "9a7e..."},
		Operations: []string{"CREATE"},
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	err = c.Run(ctx, func(e client.Event) error {
		fmt.Println(e.Tx.Height, e.Tx.TransactionID)
		return nil // an error here stops Run and is returned
	})
	var pruned *client.PrunedError
	switch {
	case errors.Is(err, context.Canceled):
		// interrupted: a normal end
	case errors.As(err, &pruned):
		log.Fatalf("the node starts at height %d now: %v", pruned.Oldest, err)
	default:
		log.Fatal(err)
	}
}

// Follow every committed block from the live edge.
func ExampleConfig_blocks() {
	c, err := client.New(client.Config{URLs: []string{"ws://127.0.0.1:9985"}, Blocks: true})
	if err != nil {
		log.Fatal(err)
	}
	err = c.Run(context.Background(), func(e client.Event) error {
		fmt.Println(e.Block.Height, e.Block.Hash, len(e.Block.TransactionIDs))
		return nil
	})
	log.Fatal(err)
}
