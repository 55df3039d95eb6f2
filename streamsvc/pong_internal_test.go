package streamsvc

import "testing"

// A ping that arrives while an older one waits for the writer replaces
// it: the pong sent is the latest ping's (RFC 6455 5.5.3). Keeping the
// older one instead left a client waiting for its pong on a busy server.
func TestOfferLatestPing(t *testing.T) {
	ch := make(chan string, 1)
	offerLatest(ch, "older")
	offerLatest(ch, "latest")
	if got := <-ch; got != "latest" {
		t.Errorf("pong owed for %q, want the latest ping's", got)
	}
	offerLatest(ch, "again")
	if got := <-ch; got != "again" {
		t.Errorf("pong owed for %q after the writer took one, want %q", got, "again")
	}
}
