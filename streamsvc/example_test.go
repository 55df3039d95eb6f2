package streamsvc_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/gorilla/websocket"

	"github.com/cometstream/cometstream/events"
	"github.com/cometstream/cometstream/streamsvc"
)

// A node runs the stream on its own port and appends each committed block
// to the log; a client that has completed its handshake receives every
// block committed afterwards.
func ExampleServer() {
	store, _ := events.NewMemStore(1024)
	log, _ := events.NewLog(store, nil)
	srv, err := streamsvc.New(streamsvc.Config{Log: log, Addr: "127.0.0.1:0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := srv.Start(); err != nil {
		fmt.Println(err)
		return
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
	}()

	conn, _, err := websocket.DefaultDialer.Dial("ws://"+srv.Addr().String()+streamsvc.PathBlocks, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer conn.Close()

	_, _ = log.Append(&events.Block{Height: 1, Hash: []byte{0xab, 0xcd}})
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, msg, err := conn.ReadMessage()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(msg))
	// Output: {"height":1,"hash":"ABCD","transaction_ids":[]}
}

// The Web API serves the root documents that tell Planetmint clients where
// the streams are.
func ExampleNewRootHandler() {
	h, err := streamsvc.NewRootHandler(streamsvc.RootConfig{AdvertisedURL: "wss://stream.example.com"})
	if err != nil {
		fmt.Println(err)
		return
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/api/v1/", nil))
	var doc map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc["streams"])
	fmt.Println(doc["streamedblocks"])
	// Output:
	// wss://stream.example.com/api/v1/streams/valid_transactions
	// wss://stream.example.com/api/v1/streams/valid_blocks
}

func ExampleValidateAdvertisedURL() {
	for _, u := range []string{"ws://node1.example.com:9985", "ws://0.0.0.0:9985", "ws://node1.example.com:9985/streams"} {
		fmt.Printf("%-38s accepted: %v\n", u, streamsvc.ValidateAdvertisedURL(u) == nil)
	}
	// Output:
	// ws://node1.example.com:9985            accepted: true
	// ws://0.0.0.0:9985                      accepted: false
	// ws://node1.example.com:9985/streams    accepted: false
}
