package classify

import (
	"math"
	"strings"
)

// The rules below run after the model: sentiment from a word list,
// escalation cues, priority and the suggested reply. They read the words
// after slang normalisation and spelling correction.

// sentimentWords scores single words; negations flip the next two words.
var sentimentWords = func() map[string]float64 {
	m := map[string]float64{}
	add := func(v float64, words string) {
		for _, w := range strings.Fields(words) {
			m[w] = v
		}
	}
	add(-2, `fuck fucking fucked fuckin shit shitty bullshit crap crappy damn damned goddamn bloody
		wtf hell scam scammed scammers fraud garbage trash rubbish pathetic useless worst terrible awful
		horrible disgusting disgusted disgrace ridiculous unacceptable outrageous furious livid incompetent
		idiots idiot stupid joke sucks hate hated lied liars thieves stealing stole ripped ripoff`)
	add(-1, `angry annoyed annoying upset frustrated frustrating disappointed disappointing unhappy
		dissatisfied bad poor wrong broken problem problems issue issues error errors fail failed failing
		late delayed missing lost never still again nobody ignored rude slow worse complaint complain
		declined rejected charged twice unfortunately sadly fed stuck cannot impossible waiting`)
	add(1, `thanks thank thankyou appreciate appreciated good nice great glad happy pleased helpful kind`)
	add(2, `love loved excellent amazing awesome fantastic perfect wonderful brilliant superb best
		delighted impressed`)
	return m
}()

var negators = map[string]bool{"not": true, "no": true, "never": true, "without": true, "cannot": true}

// sentiment scores the words from -1 to 1.
func sentiment(words []string, text string) (Sentiment, float64) {
	var s float64
	flip := 0
	for _, w := range words {
		v := sentimentWords[w]
		if flip > 0 && v > 0 {
			v = -v
		}
		s += v
		flip--
		if negators[w] {
			flip = 2
		}
	}
	if n := strings.Count(text, "!"); n >= 2 && s < 0 {
		s -= 1
	}
	if shouting(text) {
		s -= 1
	}
	score := math.Tanh(s / 3)
	switch {
	case score <= -0.25:
		return SentimentNegative, score
	case score >= 0.25:
		return SentimentPositive, score
	}
	return SentimentNeutral, score
}

// shouting reports whether most letters of a longer text are capitals.
func shouting(text string) bool {
	up, low := 0, 0
	for _, r := range text {
		switch {
		case r >= 'A' && r <= 'Z':
			up++
		case r >= 'a' && r <= 'z':
			low++
		}
	}
	return up >= 12 && up > 3*low
}

// cue is a kind of rule cue; a text's cues are a bit set.
type cue uint16

// The kinds of cue.
const (
	cueAnger cue = 1 << iota
	cueLegal
	cueChurn
	cueSecurity
	cuePrivacy
	cueHuman
	cueRepeat
	cueComplaint
	cueComplaintAct
	cueUrgent
)

// cueLists are the phrases of each kind of cue, matched as whole words or
// word sequences.
var cueLists = map[cue]string{
	cueAnger: `fuck, fucking, fucked, shit, shitty, bullshit, wtf, goddamn, scam, scammers,
		ripoff, rip off, ripped off, thieves, pathetic, useless, disgusting, disgrace, unacceptable,
		outrageous, ridiculous, furious, livid, incompetent, idiots, worst company, fed up, sick of,
		had enough, absolute joke, a joke, garbage service, piece of crap`,
	cueLegal: `lawyer, lawyers, attorney, solicitor, sue, suing, lawsuit, legal action,
		take legal, to court, in court, court case, court action, small claims, ombudsman, consumer protection, trading standards,
		report you to, better business bureau, bbb, regulator, class action`,
	cueChurn: `cancel my subscription, cancel my account, close my account, delete my account,
		switch to another provider, switching to, go to a competitor, going elsewhere,
		take my business elsewhere, never buy, never order, never shop, last time i, done with you,
		im done, i am done, leaving you, unsubscribe from everything, cancel everything, end my contract`,
	// Security cues are about a compromised account, card or data; see
	// also theftOfSecret.
	cueSecurity: `hacked, hacker, hackers, breach, data breach, unauthorized, unauthorised,
		someone else used, someone else logged, someone else has, someone else is using, not me,
		fraud, fraudulent, identity theft, phishing, compromised, suspicious, strange login,
		logged in from`,

	// Privacy cues are data-rights requests (erasure, access): reported as a
	// security or privacy reason, but routine enough not to escalate alone.
	cuePrivacy: `gdpr, my personal data, personal information, privacy, my data, data protection,
		right to be forgotten, subject access`,
	// A manager or a representative is asked for ("get me a manager",
	// "talk to representative"), not mentioned ("our office manager",
	// "your representative told me").
	cueHuman: `human, real person, live person, live agent, a representative, to representative,
		representative please, representative now, speak to someone, talk to someone, speak to a person,
		talk to a person, a manager, the manager, your manager, to manager, manager please, manager now, supervisor, not a bot,
		actual person, real human, operator, real people, a real one, instead of a bot`,
	cueRepeat: `again, already, still, third time, second time, fourth time, many times,
		several times, multiple times, how many times, keep asking, nobody answered, no one answered,
		no reply, no answer, no response, last week, days ago, weeks ago, still waiting`,
	// Complaint cues are strong signs that a request is a complaint about
	// the company, its staff or its service even when it never says
	// "complaint": rudeness, repeated failure, a legal threat, or abuse
	// aimed at the company.
	cueComplaint: `rude, rudely, disrespectful, aggressive, shouted at, yelled at, hung up on,
		laughed at, treated badly, treated like, been lied to, lied to me, beyond a joke, this is a joke,
		absolute joke, what a joke, third time, fourth time, fifth time, disgrace, disgraceful, appalling,
		worst experience, worst service, worst company, sick of, sick and tired, fed up, lawyer, lawyers,
		solicitor, attorney, sue, suing, legal action, ombudsman, trading standards, small claims,
		fuck this company, fuck you, fuck your, fuck this, screw you, you people, shame on you,
		never been so badly, avoid you, tell everyone, nobody gives a damn, no one gives a damn,
		total shambles, a shambles, treated like dirt`,
	// Complaint acts state that the customer is complaining; they make the
	// answer a complaint whatever category the model chose.
	cueComplaintAct: `formal complaint, formal objection, my grievance, a grievance, lodge a complaint,
		file a complaint, make a complaint, raise a complaint, want to complain, wish to complain,
		would like to complain, escalate this, escalate my complaint, reporting this, on record`,
	cueUrgent: `urgent, urgently, asap, immediately, right now, emergency, right away,
		today, critical, now`,
}

// A theft or a leak of goods ("my parcel was stolen", "the bottle leaked")
// is a delivery matter; it is a security matter when what was taken is
// secret ("my card details were stolen", "you leaked my password").
var (
	theftWords  = wordSet(`stolen stole steal stealing theft leak leaked leaking exposed`)
	secretWords = wordSet(`card cards password passwords pin details identity account login
		credentials data email`)
)

// theftWindow is how many words apart a theft word and a secret may be.
const theftWindow = 4

// theftOfSecret reports whether words have a theft word within theftWindow
// words of a secret.
func theftOfSecret(words []string) bool {
	for i, w := range words {
		if !theftWords[w] {
			continue
		}
		for j := max(0, i-theftWindow); j < min(len(words), i+theftWindow+1); j++ {
			if secretWords[words[j]] {
				return true
			}
		}
	}
	return false
}

// cueTable maps the hash of every cue phrase to the kinds of cue it is,
// so that one pass over a text finds all its cues.
type cueTable struct {
	set map[uint64]cueEntry // by phraseHash of a cue phrase or of its first words
}

// cueEntry is what a run of words is in the cue table: the kinds of cue
// it is a whole phrase of, and whether it begins a longer phrase.
type cueEntry struct {
	kinds  cue
	prefix bool
}

// cues is the table of cueLists, built once.
var cues = func() cueTable {
	t := cueTable{set: map[uint64]cueEntry{}}
	for kind, list := range cueLists {
		for _, ph := range strings.Split(list, ",") {
			toks := loadLexicon().normalize(tokenize(ph, nil), nil)
			if len(toks) == 0 {
				continue
			}
			for n := 1; n < len(toks); n++ {
				e := t.set[phraseHash(toks[:n])]
				e.prefix = true
				t.set[phraseHash(toks[:n])] = e
			}
			e := t.set[phraseHash(toks)]
			e.kinds |= kind
			t.set[phraseHash(toks)] = e
		}
	}
	return t
}()

// scan returns the kinds of cue whose phrases occur in words. From each
// word it extends the run only while the run begins some cue phrase, so
// most words cost one lookup.
func (t cueTable) scan(words []string) cue {
	var found cue
	for i := range words {
		h := uint64(fnvOffset)
		for n := 0; i+n < len(words); n++ {
			if n > 0 {
				h = (h ^ ' ') * fnvPrime
			}
			h = hashStr(h, words[i+n])
			e, ok := t.set[h]
			if !ok {
				break
			}
			found |= e.kinds
			if !e.prefix {
				break
			}
		}
	}
	return found
}

// inText returns the kinds of cue in the words of a, either as typed or
// after spelling correction (which can turn a cue word the model never
// saw, such as "solicitor", into a different known word).
func (t cueTable) inText(a *analysis) cue {
	found := t.scan(a.words)
	if len(a.typed) > 0 && &a.typed[0] != &a.words[0] {
		found |= t.scan(a.typed)
	}
	return found
}

// applyRules fills sentiment, escalation, priority and reply into r, whose
// category and intent the model has set. found are the text's cues and
// intentEscalates is the label's learned escalation.
func applyRules(r *Result, req Request, a *analysis, found cue, intentEscalates bool) {
	text := req.Text()
	r.Sentiment, r.SentimentScore = sentiment(a.words, text)
	var reasons []Reason
	anger := found&cueAnger != 0 || r.SentimentScore <= -0.8 || shouting(text)
	if anger {
		reasons = append(reasons, ReasonAnger)
	}
	legal := found&cueLegal != 0
	if legal {
		reasons = append(reasons, ReasonLegalThreat)
	}
	churnCue := found&cueChurn != 0
	churn := churnCue || r.Intent == "delete_account"
	if churn {
		reasons = append(reasons, ReasonChurnRisk)
	}
	security := found&cueSecurity != 0 || theftOfSecret(a.words) || theftOfSecret(a.typed)
	if security || found&cuePrivacy != 0 {
		reasons = append(reasons, ReasonSecurity)
	}
	human := r.Intent == "contact_human_agent" || found&cueHuman != 0
	if human {
		reasons = append(reasons, ReasonAsksForHuman)
	}
	earlier := 0
	for _, t := range req.History {
		if t.Role == "" || t.Role == "customer" {
			earlier++
		}
	}
	repeat := earlier >= 2 || (earlier >= 1 && found&cueRepeat != 0)
	if repeat {
		reasons = append(reasons, ReasonRepeatContact)
	}
	// Anger or churn alone is common in routine requests; they escalate
	// together, or with a hard cue. An angry account deletion ("delete
	// this damn account") is routine too: only a churn cue in the words
	// (going to a competitor, never buying again) counts with anger.
	r.Escalate = intentEscalates || legal || security || human || repeat || (anger && churnCue) ||
		r.Category == CategorySensitive
	if r.Escalate && len(reasons) == 0 && r.Category == CategorySensitive {
		reasons = append(reasons, ReasonAnger)
	}
	r.Reasons = reasons

	urgent := found&cueUrgent != 0
	switch {
	case legal || security || (r.Escalate && (anger || urgent)):
		r.Priority = PriorityUrgent
	case r.Escalate || (urgent && r.Sentiment == SentimentNegative):
		r.Priority = PriorityHigh
	case r.Category != CategoryGeneral || r.Sentiment == SentimentNegative || urgent || churn:
		r.Priority = PriorityMedium
	default:
		r.Priority = PriorityLow
	}
	if req.CustomerTier == "enterprise" && r.Priority == PriorityLow {
		r.Priority = PriorityMedium
	} else if req.CustomerTier == "enterprise" && r.Priority == PriorityMedium {
		r.Priority = PriorityHigh
	}

	if r.Category != CategorySensitive {
		r.SuggestedReply = replies[r.Intent]
		if r.SuggestedReply == "" {
			r.SuggestedReply = replies["_"+string(r.Category)]
		}
		if r.Escalate && !human {
			r.SuggestedReply = replies["_escalated"]
		}
	}
}

// defaultIntents maps the default model's intents to categories.
var defaultIntents = map[string]Category{
	"check_cancellation_fee": CategoryBilling, "check_invoice": CategoryBilling,
	"get_invoice": CategoryBilling, "payment_issue": CategoryBilling, "track_refund": CategoryBilling,
	"check_refund_policy": CategoryBilling, "get_refund": CategoryBilling,
	"check_payment_methods": CategoryBilling,
	"recover_password":      CategoryTechnical, "registration_problems": CategoryTechnical,
	"technical_issue": CategoryTechnical,
	"complaint":       CategorySensitive,
}

// defaultIntentCategory is the category of one of the default intents;
// general for any other.
func defaultIntentCategory(intent string) Category {
	if c, ok := defaultIntents[intent]; ok {
		return c
	}
	return CategoryGeneral
}

// replies are short drafts per intent, written for this project. Keys
// starting with "_" are fallbacks. They speak for the team ("we"), never
// for the bot ("I will check"): the same text is an agent's draft and, in
// a chat with no agent online, the assistant's answer, which can do
// nothing but pass the conversation on.
var replies = map[string]string{
	"cancel_order":             "We can help you cancel that order. Please send the order number; if it has not shipped yet it can be cancelled straight away.",
	"change_order":             "Happy to help change your order. Tell us the order number and what you would like to add, remove or swap, and we will check whether it can still be changed.",
	"change_shipping_address":  "We can update the delivery address. Please share the order number and the full new address; changes are possible until the parcel ships.",
	"check_cancellation_fee":   "Any fee for ending your plan early is listed under Account > Plan > Cancellation terms. Tell us your plan and we will confirm the exact amount.",
	"check_invoice":            "You can see all your invoices under Account > Billing > Invoices. Let us know which period you need if you cannot find it.",
	"check_payment_methods":    "We accept major credit and debit cards and PayPal; the full list for your country is shown at checkout. Which method would you like to use?",
	"check_refund_policy":      "Our refund policy is on the Returns & Refunds page: most items can be returned within 30 days, and refunds reach your account a few days after we receive the item.",
	"contact_customer_service": "You can reach our support team by chat or email at any time; phone lines are open on working days. How can we help?",
	"contact_human_agent":      "We are passing you to one of our team; an agent will take over as soon as one is available.",
	"create_account":           "You can create an account with the Sign up button at the top of the page; it only takes your email address and a password.",
	"delete_account":           "We are sorry to see you go. You can close your account under Account > Privacy > Delete account, or tell us and we will start it for you once you confirm.",
	"delivery_options":         "We offer standard and express delivery, and pickup points in some areas; the options for your address appear at checkout.",
	"delivery_period":          "Standard delivery usually takes 3-5 working days and express 1-2; the exact estimate for your address is shown at checkout.",
	"edit_account":             "You can change your details under Account > Profile. If a field cannot be edited there, tell us what should change and we will update it.",
	"get_invoice":              "We can send you that invoice. Please tell us the order number or the month, and the email address it should go to.",
	"get_refund":               "We are sorry about this. Please send the order number and the reason for the refund and we will start it for you.",
	"newsletter_subscription":  "You can subscribe or unsubscribe under Account > Notifications, or with the link at the bottom of any of our emails.",
	"payment_issue":            "Sorry your payment is giving trouble. Please tell us the order number and any error message; if you were charged twice, the duplicate is refunded automatically.",
	"place_order":              "You can order by adding items to your basket and going to checkout. Tell us what you are looking for and we will help you find it.",
	"recover_password":         "Use the Forgot password link on the sign-in page and we will email you a reset link. If it does not arrive, check your spam folder or tell us and we will help.",
	"registration_problems":    "Sorry you are having trouble signing up. Please tell us the error message you see and the email address you used, and we will look into it.",
	"review":                   "Thank you for wanting to share your feedback! You can leave a review on the product page or reply to the survey email we send after delivery.",
	"set_up_shipping_address":  "You can add a new delivery address under Account > Addresses, or enter it at checkout and save it for next time.",
	"switch_account":           "To use another account, sign out from the menu and sign in with the other account's email address.",
	"technical_issue":          "Sorry about the trouble. Please send the exact error message, when it started and, for an integration, the request or job that failed; we will investigate.",
	"track_order":              "You can follow your order under Account > Orders, where you will find the tracking link. Send us the order number and we will check its status.",
	"track_refund":             "Refunds usually reach your account 5-10 working days after approval. Send us the order number and we will check where yours is.",
	"_billing":                 "Thanks for getting in touch about billing. Please send your order or invoice number and we will look into it.",
	"_technical":               "Thanks for reporting this. Please tell us what you tried and any error message, and we will help you fix it.",
	"_general":                 "Thanks for getting in touch. Could you tell us a little more so we can help?",
	"_escalated":               "We are sorry about this. We are passing your message to a member of our team, who will get back to you as soon as possible.",
	"_unclear":                 "Hello! What can we help you with today? Tell us a little about your question or your order.",
}
