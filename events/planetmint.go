package events

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Planetmint decodes Planetmint (version "3.0", an "assets" list) and
// BigchainDB (version "2.0", one "asset" object) JSON transactions. It reads
// only what the stream needs and does not validate: the application has
// already decided that the transaction is valid.
type Planetmint struct{}

var _ Decoder = Planetmint{}

type pmTx struct {
	ID        string          `json:"id"`
	Operation string          `json:"operation"`
	Asset     json.RawMessage `json:"asset"`
	Assets    json.RawMessage `json:"assets"`
	Inputs    []struct {
		OwnersBefore []string `json:"owners_before"`
	} `json:"inputs"`
	Outputs []struct {
		PublicKeys []string `json:"public_keys"`
	} `json:"outputs"`
}

type pmAsset struct {
	ID *string `json:"id"`
}

// Decode implements Decoder.
func (Planetmint) Decode(tx []byte) (Decoded, error) {
	var t pmTx
	if err := json.Unmarshal(tx, &t); err != nil {
		return Decoded{}, fmt.Errorf("%w: %v", ErrUndecodable, err)
	}
	if !isTxID(t.ID) {
		return Decoded{}, fmt.Errorf("%w: id %q is not 64 lower-case hex digits", ErrUndecodable, t.ID)
	}
	assets, err := assetIDs(t)
	if err != nil {
		return Decoded{}, err
	}
	d := Decoded{ID: t.ID, AssetIDs: assets, Operation: t.Operation}
	for _, in := range t.Inputs {
		d.OwnersBefore = append(d.OwnersBefore, in.OwnersBefore...)
	}
	for _, out := range t.Outputs {
		d.PublicKeys = append(d.PublicKeys, out.PublicKeys...)
	}
	return d, nil
}

// assetIDs applies the asset id rule: an asset that names an id refers to
// that asset (TRANSFER, VOTE, the consumed assets of COMPOSE/DECOMPOSE); any
// other asset is created by this transaction and so takes its own id (CREATE,
// elections, the new asset of COMPOSE/DECOMPOSE). Order is kept and repeats
// are dropped, so the first entry is the spec's asset_id.
func assetIDs(t pmTx) ([]string, error) {
	var list []pmAsset
	switch {
	case !isNull(t.Assets):
		if err := json.Unmarshal(t.Assets, &list); err != nil {
			return nil, fmt.Errorf("%w: assets: %v", ErrUndecodable, err)
		}
	case !isNull(t.Asset):
		var one pmAsset
		if err := json.Unmarshal(t.Asset, &one); err != nil {
			return nil, fmt.Errorf("%w: asset: %v", ErrUndecodable, err)
		}
		list = []pmAsset{one}
	}
	ids := make([]string, 0, len(list)+1)
	seen := make(map[string]bool, len(list)+1)
	for _, a := range list {
		id := t.ID
		if a.ID != nil && *a.ID != "" {
			id = *a.ID
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		ids = append(ids, t.ID)
	}
	return ids, nil
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || bytes.Equal(raw, []byte("null"))
}

func isTxID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
