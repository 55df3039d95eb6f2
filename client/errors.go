package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/cometstream/cometstream/wire"
)

// ErrPruned matches (errors.Is) the *PrunedError Run returns when the node
// no longer keeps the height the client must resume from. Retrying cannot
// help: the events in between are gone from that node.
var ErrPruned = errors.New("client: height no longer kept by the node")

// ErrRejected matches (errors.Is) the *StatusError Run returns when a node
// refuses the subscription request itself (400 malformed parameters, 401,
// 403, 404, 405, or a 410 without the oldest height): the same request would
// be refused again, so it is not retried.
var ErrRejected = errors.New("client: subscription request rejected")

// PrunedError reports a 410 answer: Requested is below Oldest, the oldest
// height the node still keeps.
type PrunedError struct {
	URL       string
	Requested int64
	Oldest    int64
}

func (e *PrunedError) Error() string {
	return fmt.Sprintf("height %d is no longer kept by the node (oldest is %d)", e.Requested, e.Oldest)
}

// Is makes errors.Is(err, ErrPruned) true.
func (e *PrunedError) Is(target error) bool { return target == ErrPruned }

// StatusError is an HTTP refusal before the WebSocket upgrade, with the
// message from the server's JSON body when it sent one.
type StatusError struct {
	URL     string
	Status  int
	Message string
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.URL, e.Status, msg)
}

// Is makes errors.Is(err, ErrRejected) true for refusals that do not go
// away by retrying.
func (e *StatusError) Is(target error) bool { return target == ErrRejected && e.permanent() }

func (e *StatusError) permanent() bool {
	switch e.Status {
	case http.StatusBadRequest, http.StatusUnauthorized, http.StatusForbidden,
		http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusGone:
		return true
	}
	return false
}

// refusalError turns a failed handshake's response into the error it
// stands for: *PrunedError, or *StatusError (permanent or retried).
func refusalError(rawURL string, from int64, resp *http.Response, body []byte) error {
	var r wire.Error
	_ = json.Unmarshal(body, &r) // a proxy's HTML page is still a status
	if resp.StatusCode == http.StatusGone && r.OldestHeight > 0 {
		return &PrunedError{URL: rawURL, Requested: from, Oldest: r.OldestHeight}
	}
	return &StatusError{URL: rawURL, Status: resp.StatusCode, Message: r.Message}
}
