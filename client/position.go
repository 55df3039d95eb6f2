package client

import (
	"fmt"
)

// position is how far delivery has gone. It outlives connections: each new
// connection resumes from it, whichever URL it goes to.
//
// valid_blocks: height is the next height to deliver.
//
// valid_transactions and tx_results: height is the height of the last
// delivered message and ids the keys (Event.key: transaction ids, result
// indexes) of that height's messages delivered so far, in order. A new connection asks for from_height=height and drops the first
// len(ids) messages, which the server sends again in the same order
// (transactions of a block go out in index order, filtered or not).
//
// Before anything was delivered, height is where delivery starts (the
// configured FromHeight, the first connection's Cometstream-Next-Height,
// or a close reason's hint) and ids is empty; 0 means not known yet, so the
// client joins at the live edge.
type position struct {
	blocks bool
	height int64
	ids    []string
}

// resume is the from_height of the next connection (0: live edge) and how
// many messages of that height it will skip.
func (p *position) resume() (from int64, skip int) {
	return p.height, len(p.ids)
}

// learn adopts a starting height from the server (header or close hint)
// while the client's own position is still unknown. It reports whether it
// was adopted; the client's own position, once known, always wins.
func (p *position) learn(h int64) bool {
	if p.height != 0 || h <= 0 {
		return false
	}
	p.height = h
	return true
}

// delivered records e, which the caller's handler has accepted.
func (p *position) delivered(e Event) {
	if p.blocks {
		p.height = e.Block.Height + 1
		return
	}
	if h := e.Height(); h != p.height {
		p.height = h
		p.ids = p.ids[:0]
	}
	p.ids = append(p.ids, e.key())
}

// cursor checks the messages of one connection against the position and
// sorts out the resume duplicates.
type cursor struct {
	pos   *position
	from  int64 // from_height requested, 0 for the live edge
	floor int64 // lowest height the connection may send
	skip  int   // messages of height from already delivered
	dups  int   // of those, how many this connection has sent again
	last  int64 // height of the previous message on this connection
}

func newCursor(p *position) *cursor {
	from, skip := p.resume()
	return &cursor{pos: p, from: from, floor: from, skip: skip}
}

// starts records the server's word on the connection's first height, for
// a connection to the live edge.
func (c *cursor) starts(h int64) {
	if c.floor == 0 {
		c.floor = h
	}
}

// check returns whether e is new (deliver it) or a resume duplicate (drop
// it), or an error wrapping errProtocol when the server broke the contract.
func (c *cursor) check(e Event) (bool, error) {
	h := e.Height()
	if h < c.last {
		return false, fmt.Errorf("%w: height went back from %d to %d", errProtocol, c.last, h)
	}
	if h < c.floor {
		return false, fmt.Errorf("%w: height %d below the first height %d of this connection", errProtocol, h, c.floor)
	}
	if c.pos.blocks {
		return true, c.checkBlock(h)
	}
	return c.checkItem(h, e.key())
}

func (c *cursor) checkBlock(h int64) error {
	if want := c.pos.height; want > 0 && h != want {
		return fmt.Errorf("%w: block %d where %d was due", errProtocol, h, want)
	}
	c.last = h
	return nil
}

// checkItem checks a transaction or result message (height h, key) of a
// connection that may first replay what was already delivered.
func (c *cursor) checkItem(h int64, key string) (bool, error) {
	if c.dups < c.skip {
		if h != c.from {
			return false, fmt.Errorf("%w: replay of height %d sent %d of the %d messages already delivered, then height %d",
				errProtocol, c.from, c.dups, c.skip, h)
		}
		if want := c.pos.ids[c.dups]; key != want {
			return false, fmt.Errorf("%w: replay of height %d sent %s at position %d where %s was delivered",
				errProtocol, c.from, key, c.dups, want)
		}
		c.dups++
		c.last = h
		return false, nil
	}
	c.last = h
	return true, nil
}
