package store

import (
	"encoding/json"
	"fmt"

	"github.com/homesoc/homesoc/internal/identity"
)

// AlertIdentityComment is the comment of the alerts' identity column, on
// both engines.
const AlertIdentityComment = "who and which device stood behind the alert's subject address over its evidence, " +
	"as a JSON identity answer (status, candidates with user, device, host name, owner, interval and evidence); " +
	"empty when the alert was not attributed"

// IdentityJSON is an alert's identity as the alerts table holds it: JSON
// text, "" for none.
func IdentityJSON(a *identity.Answer) string {
	if a == nil {
		return ""
	}
	b, _ := json.Marshal(a) // strings, times and addresses always marshal
	return string(b)
}

// ParseIdentity reads the identity column back: nil for "".
func ParseIdentity(s string) (*identity.Answer, error) {
	if s == "" {
		return nil, nil
	}
	var a identity.Answer
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		return nil, fmt.Errorf("identity: %w", err)
	}
	if a.Candidates == nil {
		a.Candidates = []identity.Candidate{}
	}
	return &a, nil
}
