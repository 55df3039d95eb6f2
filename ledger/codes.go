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
	// CodeBadSchema: a required field is missing, a field is not allowed,
	// or a value has the wrong type or format.
	CodeBadSchema uint32 = 2
	// CodeBadID: the id is missing, not 64 lower-case hex digits, or not
	// the hash of the transaction.
	CodeBadID uint32 = 3
	// CodeDuplicate: a transaction with this id is already committed, or
	// came earlier in the same block. Planetmint words a TRANSFER's as a
	// DoubleSpend (it spends what it spent), and so does the message.
	CodeDuplicate uint32 = 4
	// CodeBadVersion: version is missing or is neither "2.0" nor "3.0".
	CodeBadVersion uint32 = 5
	// CodeNotFound: a query asked for something the ledger does not hold.
	CodeNotFound uint32 = 6
	// CodeBadQuery: a query path or argument the ledger does not know.
	CodeBadQuery uint32 = 7
	// CodeUnsupportedOperation: a valid Planetmint operation or feature
	// this ledger does not implement (elections, VOTE, COMPOSE,
	// DECOMPOSE, Zenroom scripts).
	CodeUnsupportedOperation uint32 = 8
	// CodeBadAmount: an output amount is not a decimal string of an
	// integer in 1..9e18.
	CodeBadAmount uint32 = 9
	// CodeBadCondition: an output's condition cannot be computed from its
	// details, its uri is not that condition's, or its public_keys are
	// not the condition's keys.
	CodeBadCondition uint32 = 10
	// CodeBadFulfillment: an input's fulfillment is missing or is not a
	// well-formed ed25519-sha-256 or threshold-sha-256 fulfillment.
	CodeBadFulfillment uint32 = 11
	// CodeBadSignature: a signature in a fulfillment does not verify
	// against the input's signed message.
	CodeBadSignature uint32 = 12
	// CodeConditionMismatch: a TRANSFER's fulfillment is valid but meets
	// another condition than the spent output's. (A CREATE's may meet
	// any, as in Planetmint.)
	CodeConditionMismatch uint32 = 13
	// CodeInputNotFound: an input spends an output of a transaction the
	// ledger does not hold, or an index that transaction does not have.
	CodeInputNotFound uint32 = 14
	// CodeDoubleSpend: an input spends an output that is already spent
	// (committed, earlier in the block, or by another input of the same
	// transaction).
	CodeDoubleSpend uint32 = 15
	// CodeAssetMismatch: a TRANSFER spends outputs of another asset than
	// the one it names.
	CodeAssetMismatch uint32 = 16
	// CodeAmountMismatch: a TRANSFER's outputs do not add up to its
	// inputs.
	CodeAmountMismatch uint32 = 17
	// CodeDuplicateKey: an object in the transaction, at any depth, names
	// the same key twice (compared after unescaping). Decoders keep one of
	// the two silently, so the second could carry content nobody signed.
	CodeDuplicateKey uint32 = 18
	// CodeBadKeyName: a version 2.0 transaction's asset.data or metadata
	// holds, at any depth, a key that starts with "$" or contains "." or
	// NUL, which BigchainDB 2.0 refuses (MongoDB cannot store such keys).
	// Version 3.0 has no such rule, as in Planetmint.
	CodeBadKeyName uint32 = 19
)

// codeNames are the Planetmint exception names each code is raised as
// where no refusal site says otherwise (RejectError.Name), so that Web API
// messages read like Planetmint's ("Invalid transaction (DoubleSpend):
// ..."). Names Planetmint does not have (InvalidJSON, DuplicateKey,
// OperationNotSupported, InvalidCondition) are this ledger's, for rules
// Planetmint has no exception of its own for.
var codeNames = map[uint32]string{
	CodeBadJSON:              "InvalidJSON",
	CodeBadSchema:            "SchemaValidationError",
	CodeBadID:                "InvalidHash",
	CodeDuplicate:            "DuplicateTransaction",
	CodeBadVersion:           "SchemaValidationError",
	CodeUnsupportedOperation: "OperationNotSupported",
	CodeBadAmount:            "AmountError",
	CodeBadCondition:         "InvalidCondition",
	CodeBadFulfillment:       "InvalidSignature",
	CodeBadSignature:         "InvalidSignature",
	CodeConditionMismatch:    "InvalidSignature",
	CodeInputNotFound:        "InputDoesNotExist",
	CodeDoubleSpend:          "DoubleSpend",
	CodeAssetMismatch:        "AssetIdMismatch",
	CodeAmountMismatch:       "AmountError",
	CodeDuplicateKey:         "DuplicateKey",
	CodeBadKeyName:           "ValidationError",
}

// CodeName names a refusal code for messages; unknown codes get
// "ValidationError".
func CodeName(code uint32) string {
	if n, ok := codeNames[code]; ok {
		return n
	}
	return "ValidationError"
}

// RejectError says why a transaction was refused. Code is one of the Code
// constants, stable for clients to match on; Msg ends up in the ABCI
// response's Log and Detail in its Info. Where Planetmint or BigchainDB refuses the same
// transaction with a message of its own, Msg is that message word for
// word (clients and their acceptance tests compare it) and Detail is this
// ledger's more exact account of what is wrong.
type RejectError struct {
	Code uint32
	Msg  string
	// Name is the exception Planetmint raises; empty means CodeName(Code).
	Name string
	// Detail is empty where Msg is this ledger's own wording.
	Detail string
}

func (e *RejectError) Error() string { return e.Msg }

// Exception returns the name of the Planetmint exception for e.
func (e *RejectError) Exception() string {
	if e.Name != "" {
		return e.Name
	}
	return CodeName(e.Code)
}

func reject(code uint32, msg string) *RejectError {
	return &RejectError{Code: code, Msg: msg}
}

// rejectAs is a refusal that Planetmint words as name: msg; detail is
// this ledger's account of it.
func rejectAs(code uint32, name, msg, detail string) *RejectError {
	return &RejectError{Code: code, Name: name, Msg: msg, Detail: detail}
}
