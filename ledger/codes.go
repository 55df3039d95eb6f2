package ledger

// Result codes returned in CheckTx, FinalizeBlock (ExecTxResult) and Query
// responses. Clients and the stream match on them, so a code keeps its
// number forever; new rules get new codes.
const (
	// CodeOK marks an accepted transaction or a successful query.
	CodeOK uint32 = 0
	// CodeBadJSON: the bytes are not one JSON object in UTF-8 that the
	// reference servers could hash (see canonical.Unmarshal).
	CodeBadJSON uint32 = 1
	// CodeBadSchema: a required field is missing or has the wrong type.
	CodeBadSchema uint32 = 2
	// CodeBadID: the id is missing, not 64 lower-case hex digits, or not
	// the hash of the transaction.
	CodeBadID uint32 = 3
	// CodeDuplicate: a transaction with this id is already committed, or
	// came earlier in the same block.
	CodeDuplicate uint32 = 4
	// CodeBadVersion: version is missing or is neither "2.0" nor "3.0".
	CodeBadVersion uint32 = 5
	// CodeNotFound: a query asked for something the ledger does not hold.
	CodeNotFound uint32 = 6
	// CodeBadQuery: a query path or argument the ledger does not know.
	CodeBadQuery uint32 = 7
)

// RejectError says why a transaction was refused. Code is one of the Code
// constants; the message ends up in the ABCI response's Log.
type RejectError struct {
	Code uint32
	Msg  string
}

func (e *RejectError) Error() string { return e.Msg }

func reject(code uint32, msg string) *RejectError {
	return &RejectError{Code: code, Msg: msg}
}
