package approval

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Policy is what the production gate demands of an approval.
type Policy struct {
	// TargetImageID is the image about to be deployed ("sha256:...").
	TargetImageID string
	// BackupSHA256, when set, demands a rehearsal on that very backup.
	BackupSHA256 string
	// MaxAge bounds how old the approval may be (0: no bound).
	MaxAge time.Duration
	// Now is the verifier's clock.
	Now time.Time
}

// clockSkew tolerates a verifier whose clock is a little behind the
// signer's; beyond it an approval "from the future" is refused.
const clockSkew = 5 * time.Minute

// Decision is the outcome of a verification.
type Decision struct {
	Approved bool
	// Match is the approval that satisfied the policy (the newest one).
	Match  *Payload
	Source string
	// Refusals say, for each approval that concerned this image or could
	// not be read, why it did not count.
	Refusals []Refusal
	// Others counts approvals that claim other images (not reasons, but a
	// hint that the image ID is not the one that was rehearsed). They are
	// not verified: the count is a hint, never evidence.
	Others int
}

// Refusal is one approval that did not satisfy the policy, and why.
type Refusal struct {
	Source string
	Reason string
}

// Verify looks through every approval in the store for one that is signed
// by a trusted key, unaltered, for the target image (and backup), and
// fresh. It returns an error only when the store cannot be read.
func Verify(ctx context.Context, store Store, trusted []ed25519.PublicKey, pol Policy) (Decision, error) {
	var all []Stored
	var err error
	if idx, ok := store.(imageIndex); ok {
		all, err = idx.ForImage(ctx, pol.TargetImageID)
	} else {
		all, err = store.All(ctx)
	}
	if err != nil {
		return Decision{}, err
	}
	var d Decision
	var newest time.Time
	for _, st := range all {
		if st.Err != nil {
			d.Refusals = append(d.Refusals, Refusal{st.Source, st.Err.Error()})
			continue
		}
		// Read what it claims first: only approvals claiming this image are
		// worth a signature check (and worth mentioning when they fail); a
		// store shared by many services is not the business of this gate.
		claimed, err := claimedImage(st.Approval)
		if err != nil {
			d.Refusals = append(d.Refusals, Refusal{st.Source, err.Error()})
			continue
		}
		if claimed != pol.TargetImageID {
			d.Others++
			continue
		}
		p, err := st.Approval.Open(trusted)
		if err != nil {
			d.Refusals = append(d.Refusals, Refusal{st.Source, err.Error()})
			continue
		}
		issued, reason := judge(p, pol)
		if reason != "" {
			d.Refusals = append(d.Refusals, Refusal{st.Source, reason})
			continue
		}
		if !d.Approved || issued.After(newest) {
			d.Approved, d.Match, d.Source, newest = true, p, st.Source, issued
		}
	}
	return d, nil
}

// claimedImage reads, without trusting it, which image an approval says it
// is for. Leniently: an approval altered in any other way must still reach
// the signature check, whose refusal says what happened.
func claimedImage(a *Approval) (string, error) {
	var claim struct {
		TargetImage struct {
			ID string `json:"id"`
		} `json:"target_image"`
	}
	if err := json.Unmarshal(a.Payload, &claim); err != nil {
		return "", fmt.Errorf("approval payload is not JSON: %v", err)
	}
	return claim.TargetImage.ID, nil
}

// imageIndex is a store that can look approvals up by target image.
type imageIndex interface {
	ForImage(ctx context.Context, imageID string) ([]Stored, error)
}

// judge applies the policy to a verified payload of the target image.
func judge(p *Payload, pol Policy) (time.Time, string) {
	// The claim that selected this approval was read before the signature
	// was checked; only the signed payload counts.
	if p.TargetImage.ID != pol.TargetImageID {
		return time.Time{}, fmt.Sprintf("signed for image %s, not %s", p.TargetImage.ID, pol.TargetImageID)
	}
	if p.Verdict != "approved" {
		return time.Time{}, fmt.Sprintf("verdict is %q, not approved", p.Verdict)
	}
	if pol.BackupSHA256 != "" && !strings.EqualFold(p.Backup.SHA256, pol.BackupSHA256) {
		return time.Time{}, fmt.Sprintf("rehearsed on backup sha256 %s, not %s", p.Backup.SHA256, pol.BackupSHA256)
	}
	issued, err := p.Issued()
	if err != nil {
		return time.Time{}, err.Error()
	}
	age := pol.Now.Sub(issued)
	if age < -clockSkew {
		return time.Time{}, fmt.Sprintf("issued %s, in the future (check the clocks)", p.IssuedAt)
	}
	if pol.MaxAge > 0 && age > pol.MaxAge {
		return time.Time{}, fmt.Sprintf("expired: issued %s, %s ago, older than --max-age %s", p.IssuedAt, FormatAge(age), FormatAge(pol.MaxAge))
	}
	return issued, ""
}

// Explain renders the decision's refusals for a person, one per line.
func (d Decision) Explain(pol Policy) string {
	var b strings.Builder
	if len(d.Refusals) == 0 {
		fmt.Fprintf(&b, "no approval for target image %s", pol.TargetImageID)
		if d.Others > 0 {
			fmt.Fprintf(&b, " (%d approvals in the store are for other images: was this image rebuilt since it was rehearsed?)", d.Others)
		}
		return b.String()
	}
	fmt.Fprintf(&b, "no valid approval for target image %s:", pol.TargetImageID)
	for _, r := range d.Refusals {
		fmt.Fprintf(&b, "\n  %s: %s", r.Source, r.Reason)
	}
	return b.String()
}

var ageRE = regexp.MustCompile(`^(\d+)(w|d)$`)

// ParseAge reads --max-age: Go durations ("36h", "90m") plus days and
// weeks ("7d", "2w"), which is how people state freshness.
func ParseAge(s string) (time.Duration, error) {
	if m := ageRE.FindStringSubmatch(s); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil || n > 10000 {
			return 0, fmt.Errorf("%q is too long an age", s)
		}
		if n == 0 {
			// A zero age would mean "no approval is fresh"; refuse rather
			// than guess whether "no limit" was meant.
			return 0, fmt.Errorf("%q: an age must be positive", s)
		}
		unit := 24 * time.Hour
		if m[2] == "w" {
			unit *= 7
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%q is not an age (use e.g. 7d, 2w, 36h)", s)
	}
	return d, nil
}

// FormatAge prints an age the way ParseAge reads it.
func FormatAge(d time.Duration) string {
	switch {
	case d >= 24*time.Hour && d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d >= 24*time.Hour:
		days := d / (24 * time.Hour)
		return strconv.FormatInt(int64(days), 10) + "d" + (d - days*24*time.Hour).Round(time.Minute).String()
	}
	return d.Round(time.Second).String()
}
