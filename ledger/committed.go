package ledger

// Committed returns the height of the last Commit (0 before the first)
// and a channel closed by the next one. It takes no lock that Commit
// holds, so a reader never waits for a block's synced write; the Web
// API's commit waiter follows it when the node runs without the stream's
// event log.
func (a *App) Committed() (height int64, next <-chan struct{}) {
	// The channel first: Commit stores the height before it swaps the
	// channel, so a height read after it is at least the one it announces.
	next = *a.wake.Load()
	return a.height.Load(), next
}

// announce publishes height h as committed. Called by Commit with mu held;
// the channel has few readers (the commit waiter's one goroutine), so
// closing it is O(1) for consensus.
func (a *App) announce(h int64) {
	a.height.Store(h)
	wake := make(chan struct{})
	close(*a.wake.Swap(&wake))
}
