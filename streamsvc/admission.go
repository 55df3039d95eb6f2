package streamsvc

import (
	"net"
	"net/http"
	"sync"
)

// admission caps how many subscribers the server holds, in all and per
// client IP, so that one host cannot take every slot. Counted from the
// moment a request is admitted to the upgrade until its subscriber ends.
type admission struct {
	max, perIP int

	mu    sync.Mutex
	total int
	byIP  map[string]int
}

func newAdmission(max, perIP int) *admission {
	return &admission{max: max, perIP: perIP, byIP: make(map[string]int)}
}

// refusal says why a request was not admitted: an HTTP status, a message
// and the reason label counted in metrics.
type refusal struct {
	status  int
	message string
	reason  string
}

// admit takes a slot for ip, or says why not. A successful admit must be
// paired with release(ip).
func (a *admission) admit(ip string) *refusal {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.total >= a.max {
		return &refusal{http.StatusServiceUnavailable, "the server is at its connection limit; retry later", "global_cap"}
	}
	if a.byIP[ip] >= a.perIP {
		return &refusal{http.StatusTooManyRequests, "too many connections from your address", "per_ip_cap"}
	}
	a.total++
	a.byIP[ip]++
	return nil
}

func (a *admission) release(ip string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.total--
	if a.byIP[ip]--; a.byIP[ip] <= 0 {
		delete(a.byIP, ip)
	}
}

// clientIP is the request's peer address. Forwarding headers are not
// trusted: behind a proxy, caps apply to the proxy's address unless the
// proxy enforces its own.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
