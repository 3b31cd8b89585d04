package classify

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStripLetter(t *testing.T) {
	cases := []struct{ in, want string }{
		{"Dear Customer Services, I have a new phone number. With thanks, Mr Frank Heywood",
			" I have a new phone number. "},
		{"Please note a wrong debit on our account. Regards, Office Manager, Lyons Pharmacy",
			"Please note a wrong debit on our account. "},
		{"Dear Sirs,\nI placed order 40871 on the 6th.\nYours faithfully,\nMrs J. Haddon",
			"\nI placed order 40871 on the 6th.\n"},
		{"Good morning, could you raise an order? Kind regards, L. Baxter, Office Manager",
			" could you raise an order? "},
		{"where is my refund? thanks", "where is my refund? "},
		// not a salutation: too many words before the comma
		{"hi can you please cancel my order, thanks", "hi can you please cancel my order, "},
		// thanks for something is no sign-off
		{"I got my order. Thanks for the great service!", "I got my order. Thanks for the great service!"},
		// a text that is only a greeting or a sign-off is kept
		{"Thanks, Bob", "Thanks, Bob"},
		{"Dear team,", "Dear team,"},
		// a question after the sign-off word is part of the request
		{"I paid. Thanks, but where is my parcel?", "I paid. Thanks, but where is my parcel?"},
		// words that ask for something are no salutation and no signature
		{"Dear sir please refund me, order 55 arrived broken", "Dear sir please refund me, order 55 arrived broken"},
		{"hi refund pls, order 123 never came", "hi refund pls, order 123 never came"},
		{"Order 123 arrived broken. Thanks, I'll be contacting my lawyer.", "Order 123 arrived broken. Thanks, I'll be contacting my lawyer."},
		{"Charged twice. Thanks, but I want to speak to a manager now.", "Charged twice. Thanks, but I want to speak to a manager now."},
		{"dear customer services, where is my order", " where is my order"},
		// letters whose lower case has another length in bytes
		{"DEAR İSTANBUL TEAM, my refund? REGARDS, ẞTRASSE", " my refund? "},
		{"Dear ẞẞẞ, where is it? Thanks, İİİ", " where is it? "},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, stripLetter(c.in), c.in)
	}
}

func TestSignatureTitleDoesNotEscalate(t *testing.T) {
	c, err := NewOffline(OfflineConfig{})
	require.NoError(t, err)
	ctx := context.Background()
	// "Office Manager" in the signature is no request for a manager.
	r, err := c.Classify(ctx, Request{Body: "Please send us a copy of invoice 7719 for our records.\n\nKind regards,\nJane Hill\nOffice Manager"})
	require.NoError(t, err)
	assert.False(t, r.Escalate, "%+v", r)
	assert.Equal(t, "get_invoice", r.Intent)
	// With a subject before it, the salutation is still recognised.
	r, err = c.Classify(ctx, Request{Subject: "Invoice 7719", Body: "Dear Manager,\nplease send us a copy of invoice 7719.\nThanks"})
	require.NoError(t, err)
	assert.NotContains(t, r.Reasons, ReasonAsksForHuman, "%+v", r)
	// A sign-off followed by a request is no signature.
	r, err = c.Classify(ctx, Request{Body: "Order 123 arrived broken. Thanks, I'll be contacting my lawyer."})
	require.NoError(t, err)
	assert.True(t, r.Escalate)
	assert.Contains(t, r.Reasons, ReasonLegalThreat)
	// Asking for the manager in the body still does.
	r, err = c.Classify(ctx, Request{Body: "I want to speak to your manager about invoice 7719.\n\nRegards, Jane Hill"})
	require.NoError(t, err)
	assert.True(t, r.Escalate, "%+v", r)
	assert.Contains(t, r.Reasons, ReasonAsksForHuman)
	// A signature that is a name is no cue, even when the name is a word
	// that would be one ("Sue").
	r, err = c.Classify(ctx, Request{Body: "Hi,\n\nWhat payment options are there? Thanks.\n\nSue"})
	require.NoError(t, err)
	assert.False(t, r.Escalate, "%+v", r)
	assert.NotContains(t, r.Reasons, ReasonLegalThreat)
	r, err = c.Classify(ctx, Request{Body: "My parcel never came and nobody answers. Thanks, sue is what I will do next"})
	require.NoError(t, err)
	assert.Contains(t, r.Reasons, ReasonLegalThreat, "%+v", r)
	// Capitals are shouting, not a name.
	for _, body := range []string{"I WANT MY MONEY BACK. REGARDS, LAWSUIT PENDING", "WHERE IS MY REFUND. THANKS, LAWYER"} {
		r, err = c.Classify(ctx, Request{Body: body})
		require.NoError(t, err)
		assert.True(t, r.Escalate, "%s: %+v", body, r)
		assert.Contains(t, r.Reasons, ReasonLegalThreat, body)
	}
}

// Cue words that also name ordinary things are cues only where they ask or
// threaten: a street called Court, an office manager, a representative who
// said something.
func TestCuesInContext(t *testing.T) {
	c, err := NewOffline(OfflineConfig{})
	require.NoError(t, err)
	ctx := context.Background()
	for _, body := range []string{
		"change delivery address pls - order 88102 - new one is 5 Elm Court, Bath BA2 3QS",
		"Our office manager needs the invoice for order 5521, could you send it?",
		"I was told by your representative that the refund was approved, when will it arrive?",
		"My password manager lost everything and now I cannot log in, how do I reset my password?",
	} {
		r, err := c.Classify(ctx, Request{Body: body})
		require.NoError(t, err)
		assert.NotContains(t, r.Reasons, ReasonLegalThreat, body)
		assert.NotContains(t, r.Reasons, ReasonAsksForHuman, body)
		assert.False(t, r.Escalate, "%s: %+v", body, r)
	}
	for body, reason := range map[string]Reason{
		"This is the third broken blender, I will take you to court.": ReasonLegalThreat,
		"see you in court":                                  ReasonLegalThreat,
		"get me a manager now":                              ReasonAsksForHuman,
		"I want to talk to your manager about order 4410":   ReasonAsksForHuman,
		"representative please":                             ReasonAsksForHuman,
		"let me speak to a representative about my invoice": ReasonAsksForHuman,
	} {
		r, err := c.Classify(ctx, Request{Body: body})
		require.NoError(t, err)
		assert.Contains(t, r.Reasons, reason, body)
		assert.True(t, r.Escalate, "%s: %+v", body, r)
	}
}

// FuzzClassifyText: no text makes the offline classifier panic, and an
// answer is always a valid one.
func FuzzClassifyText(f *testing.F) {
	for _, s := range []string{"Dear", "hi,", "thanks", "DeAr \x80!", "DEAR İİİ, refund? REGARDS, ẞ",
		"Dear Sirs,\nI placed order 40871.\nYours faithfully,\nMrs J. Haddon", "where is my refund? thanks"} {
		f.Add(s)
	}
	c, err := NewOffline(OfflineConfig{})
	require.NoError(f, err)
	f.Fuzz(func(t *testing.T, s string) {
		_ = stripLetter(s)
		r, err := c.Classify(context.Background(), Request{Body: s})
		if err != nil {
			require.ErrorIs(t, err, ErrInvalidInput)
			return
		}
		assert.True(t, r.Category.Valid(), "%+v", r)
		assert.True(t, r.Confidence >= 0 && r.Confidence <= 1, "%+v", r)
	})
}
