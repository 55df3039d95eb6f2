package ledger

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Planetmint's and BigchainDB's own messages (transactions.common and
// planetmint.application.validator; bigchaindb.models and
// bigchaindb.common.utils), which their clients and acceptance suites
// compare word for word. Each refusal that has one carries it as Msg.
const (
	msgSignatureInvalid   = "Transaction signature is invalid."
	msgFulfillmentURI     = "Fulfillment URI couldn't been parsed"
	msgAssetIDMismatch    = "The asset id of the input does not match the asset id of the transaction"
	msgInputsOfTwoAssets  = "All inputs of all transactions passed need to have the same asset id"
	msgAmountNotPositive  = "`amount` must be greater than 0"
	msgAmountOverMaximum  = "`amount` must be <= 9000000000000000000"
	exceptionSchema       = "SchemaValidationError"
	exceptionValidation   = "ValidationError"
	exceptionInvalidHash  = "InvalidHash"
	exceptionInvalidSig   = "InvalidSignature"
	exceptionAmount       = "AmountError"
	exceptionAssetID      = "AssetIdMismatch"
	exceptionDoubleSpend  = "DoubleSpend"
	exceptionInputMissing = "InputDoesNotExist"
	exceptionDuplicateTx  = "DuplicateTransaction"
)

// PlanetmintMessage is the Web API's message for a refused transaction,
// formatted as Planetmint's transactions view formats it: schema errors
// as "Invalid transaction schema: <msg>", every other refusal as
// "Invalid transaction (<exception>): <msg>". name is the exception
// (RejectError.Exception, or CodeName of an ABCI code).
func PlanetmintMessage(name, msg string) string {
	if name == exceptionSchema {
		return "Invalid transaction schema: " + msg
	}
	return fmt.Sprintf("Invalid transaction (%s): %s", name, msg)
}

// Exception names the Planetmint exception of a refusal known only by its
// ABCI code and Log, as CometBFT's answers carry it: CodeName(code), but
// for the codes whose refusals Planetmint words under two names, told
// apart by the message (the refusal's Name would be the same).
func Exception(code uint32, log string) string {
	switch code {
	case CodeDuplicate:
		if strings.HasPrefix(log, "input `") {
			return exceptionDoubleSpend
		}
	case CodeBadAmount:
		if !strings.HasPrefix(log, "`amount`") {
			return exceptionSchema
		}
	case CodeBadFulfillment:
		if log != msgFulfillmentURI && log != msgSignatureInvalid {
			return exceptionSchema
		}
	}
	return CodeName(code)
}

func msgDuplicate(id string) string    { return fmt.Sprintf("transaction `%s` already exists", id) }
func msgInputMissing(id string) string { return fmt.Sprintf("input `%s` doesn't exist", id) }
func msgInputSpent(id string) string   { return fmt.Sprintf("input `%s` was already spent", id) }
func msgSpendsTwice(id string) string  { return fmt.Sprintf("tx \"%s\" spends inputs twice", id) }

func msgAmounts(in, out sum128) string {
	return fmt.Sprintf("The amount used in the inputs `%s` needs to be same as the amount used in the outputs `%s`", in, out)
}

// msgInvalidHash renders the id the way Python's str.format renders the
// value the transaction carries: a missing or null id is None.
func msgInvalidHash(v any) string {
	var s string
	switch v := v.(type) {
	case nil:
		s = "None"
	case string:
		s = v
	case json.Number:
		s = string(v)
	case bool:
		s = "False"
		if v {
			s = "True"
		}
	default:
		b, _ := json.Marshal(v)
		s = string(b)
	}
	return fmt.Sprintf("The transaction's id '%s' isn't equal to the hash of its body, i.e. it's not valid.", s)
}

func msgKeyName(key, object string) string {
	return fmt.Sprintf("Invalid key name \"%s\" in %s object. The key name cannot contain characters \".\", \"$\" or null characters", key, object)
}
