package streamsvc

import "time"

// bucket is a token bucket that paces how fast a subscriber's messages are
// read and discarded. A client that floods the server is not closed: its
// reads are delayed, so TCP flow control pushes back on it and it costs the
// server a sleeping goroutine instead of CPU. Used by one goroutine.
type bucket struct {
	rate   float64 // tokens per second
	burst  float64
	tokens float64
	last   time.Time
}

func newBucket(rate float64, burst int) *bucket {
	return &bucket{rate: rate, burst: float64(burst), tokens: float64(burst), last: time.Now()}
}

// wait takes one token, returning how long the caller must pause first.
func (b *bucket) wait() time.Duration {
	now := time.Now()
	b.tokens += now.Sub(b.last).Seconds() * b.rate
	b.last = now
	if b.tokens > b.burst {
		b.tokens = b.burst
	}
	b.tokens--
	if b.tokens >= 0 {
		return 0
	}
	return time.Duration(-b.tokens / b.rate * float64(time.Second))
}
