package node

import "time"

// SetClock replaces the clock of n's health check; call it before Start.
func SetClock(n *Node, now func() time.Time) { n.watch.now = now }
