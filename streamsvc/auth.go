package streamsvc

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/cometstream/cometstream/wire"
)

// Tokens is a set of bearer tokens read from a file (one per line; blank
// lines and lines starting with # are ignored). Reload re-reads it, so
// tokens can be rotated without a restart. Tokens are never logged.
type Tokens struct {
	path string
	mu   sync.RWMutex
	set  map[[32]byte]struct{} // SHA-256 of each token: compared in constant time
}

// LoadTokens reads the token file at path.
func LoadTokens(path string) (*Tokens, error) {
	t := &Tokens{path: path}
	if err := t.Reload(); err != nil {
		return nil, err
	}
	return t, nil
}

// Reload re-reads the file; on error the previous tokens stay in force.
func (t *Tokens) Reload() error {
	data, err := os.ReadFile(t.path)
	if err != nil {
		return fmt.Errorf("read token file: %w", err)
	}
	set := make(map[[32]byte]struct{})
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if len(line) < 16 {
			return fmt.Errorf("token file %s: a token is shorter than 16 characters", t.path)
		}
		set[sha256.Sum256([]byte(line))] = struct{}{}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("token file %s: %w", t.path, err)
	}
	if len(set) == 0 {
		return fmt.Errorf("token file %s holds no token", t.path)
	}
	t.mu.Lock()
	t.set = set
	t.mu.Unlock()
	return nil
}

var errNoToken = errors.New("missing bearer token: send Authorization: Bearer <token>, or access_token=<token> in the query where a browser cannot send headers")
var errBadToken = errors.New("invalid bearer token")
var errTwoTokens = errors.New("the bearer token is given twice: send Authorization or access_token, not both (RFC 6750 2)")

// check validates the request's bearer token: the Authorization header,
// or the access_token query parameter for browsers, whose WebSocket and
// EventSource cannot send headers. A token in the URL is in every access
// log on its way (proxies, load balancers): docs/stream-api.md says so.
func (t *Tokens) check(r *http.Request) error {
	h := r.Header.Get("Authorization")
	q, inQuery := queryToken(r.URL.RawQuery)
	var token string
	switch {
	case h != "" && inQuery:
		return errTwoTokens
	case inQuery:
		token = q
	default:
		scheme, tok, ok := strings.Cut(h, " ")
		if h == "" || !ok || !strings.EqualFold(scheme, "Bearer") {
			return errNoToken
		}
		token = strings.TrimSpace(tok)
	}
	if token == "" {
		return errNoToken
	}
	sum := sha256.Sum256([]byte(token))
	t.mu.RLock()
	defer t.mu.RUnlock()
	found := 0
	for k := range t.set {
		found |= subtle.ConstantTimeCompare(k[:], sum[:])
	}
	if found == 0 {
		return errBadToken
	}
	return nil
}

// queryToken finds access_token in a raw query without parsing the rest,
// which ParseQuery does (and refuses a repeated parameter) once the token
// has passed. A value that does not unescape is no token.
func queryToken(raw string) (string, bool) {
	for raw != "" {
		var part string
		part, raw, _ = strings.Cut(raw, "&")
		name, value, _ := strings.Cut(part, "=")
		if name != wire.ParamAccessToken {
			continue
		}
		v, err := url.QueryUnescape(value)
		if err != nil {
			return "", true
		}
		return v, true
	}
	return "", false
}
