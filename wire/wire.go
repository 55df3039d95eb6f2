package wire

// TxMessage is a valid_transactions message: one per valid transaction.
// AssetID is the spec's field (the first asset); AssetIDs lists them all.
type TxMessage struct {
	TransactionID string   `json:"transaction_id"`
	AssetID       string   `json:"asset_id"`
	AssetIDs      []string `json:"asset_ids"`
	Height        int64    `json:"height"`
}

// BlockMessage is a valid_blocks message: one per committed block. Hash is
// upper-case hex, as CometBFT shows it; TransactionIDs is [] when empty.
type BlockMessage struct {
	Height         int64    `json:"height"`
	Hash           string   `json:"hash"`
	TransactionIDs []string `json:"transaction_ids"`
}
