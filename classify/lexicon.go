package classify

import (
	"strings"
	"sync"
)

// lexiconText is the domain lexicon, written for this project from how
// customers talk about shops and subscriptions. Each line is
// "concept: phrase, phrase, ...". A phrase of one or more words (after
// normalisation) becomes the concept token, so that "reimbursement",
// "money back" and "pay me back" share features with "refund" even when
// only one of them occurs in the training data.
const lexiconText = `
#cancel: cancel, cancels, cancelled, canceled, cancelling, canceling, cancellation, cancellations, cancelation, cancelations, cancle, cancell, call off, void, abort, revoke, back out, scrap, undo, withdraw, withdrawal, terminate, termination, terminating, quit, quitting, end, ending, exit, get out of, break, breaking, pull out of, stop, do not want, no longer want, no longer need, changed my mind, do not need, nevermind, never mind, drop, kill, halt, nix, ditch
#order: order, orders, ordered, purchase, purchases, purchased, basket, cart, checkout, check out
#buy: buy, buying, bought, acquire, shop, shopping, get one, put in an order, place an order, make a purchase, new order, add to cart, preorder, pre order, reserve
#item: item, items, product, products, thing, things, stuff, article, articles, goods, merchandise
#refund: refund, refunds, refunded, refunding, refundable, reimburse, reimbursed, reimbursement, reimbursements, money back, my money, the money, compensation, compensations, compensate, rebate, repay, repayment, pay me back, paid back, chargeback, store credit, credit back, owe me, return my money, refund me, credited, credit, give back, send back my money, money returned
#invoice: invoice, invoices, invoicing, bill, bills, billing statement, statement, statements, receipt, receipts, vat invoice, tax invoice, billing document, proof of purchase, tax receipt, proof of payment, billing history, vat, pdf invoice
#payment: payment, payments, pay, paying, paid, transaction, transactions, charged, debited, checkout payment
#paymethod: card, cards, credit card, debit card, paypal, visa, mastercard, amex, american express, apple pay, google pay, bank transfer, wire transfer, klarna, bitcoin, crypto, cash, cash on delivery, gift card, installments, instalments, sepa, direct debit, ideal, venmo, zelle, cheque, prepaid, voucher, amazon pay, samsung pay, afterpay, affirm, financing, pay later, cod, payment plan
#fee: fee, fees, penalty, penalties, charge, charges, fine, fines, cost, costs, surcharge, price, how much, pay to cancel, cancellation cost, exit fee, early termination fee, termination fee, break fee, buyout
#early: early, prematurely, before the end, mid term, mid contract, before it ends
#contract: contract, contracts, plan, plans, membership, agreement, term, commitment, tariff
#subscription: subscription, subscriptions, subscribed, subscribe, subscribing, sign me up, opt in, opt me in, join the list
#unsubscribe: unsubscribe, unsubscribing, opt out, opt me out, stop getting, stop receiving, stop sending, take me off, remove me from, turn off, stop spamming, no more emails
#newsletter: newsletter, newsletters, mailing list, email list, marketing emails, promotional emails, promo emails, promos, promotions, weekly emails, news emails, deals by email, updates by email, emails, email updates, mailing, spam, marketing, promotional, news letter, bulletin, digest
#problem: problem, problems, issue, issues, error, errors, trouble, troubles, bug, bugs, glitch, broken, fail, fails, failed, failing, failure, declined, rejected, bouncing, bounced, not working, doesnt work, wont work, does not work, keeps failing, crash, crashes, stuck, spins, will not go through, did not go through, not go through, not accepted, refused, denied, unable, unsuccessful, wont go through, double charged, overcharged, charged twice, duplicate charge, extra charge, unpaid, already in use, already exists, already registered, already taken
#password: password, passwords, pasword, passwd, pw, pwd, passcode, pass code, pin, pin code, credentials, login details, passphrase, key, keys
#recover: recover, recovering, recovery, reset, resetting, retrieve, retrieving, retrieval, restore, restoring, forgot, forgotten, forget, lost, remember, locked out, cant log in, cannot log in, cant sign in, cannot sign in, get back into, regain, cannot remember, locked, reset link, lockout, password reset
#account: account, accounts, acct, acount, profile, profiles, user, users, user account, login, log in, membership account, username, sign in, signin, log on, logon
#create: create, creating, creation, open, opening, make, set up an account, new account, start, become a member, join, new customer, get started, onboard, become a customer
#signup: sign up, signup, signing up, sign-up, register, registering, registration, registrations, enroll, enrol, enrollment, verification email, verify, activation, confirmation email, activation link, verification code, confirm my email
#delete: delete, deleting, deletion, remove, removing, removal, erase, close, closing, deactivate, deactivation, wipe, get rid of, nuke, gone, for good, permanently, unregister, delete me, forget me, right to be forgotten, terminate my account, shut down
#edit: edit, editing, change, changing, changed, update, updating, modify, modifying, modification, alter, correct, correcting, fix, amend, adjust, tweak, replace, replacing, rename, exchange, upgrade, downgrade, redirect, reroute, moved, relocated, moving
#switch: switch, switching, swap, swapping, toggle, flip, move over, log into, log in to, sign out, log out, other account, another account, different account, second account, two accounts, 2 accounts, multiple accounts, both accounts, switch user
#another: another, different, other, second, extra, additional, new, separate, alternative
#address: address, addresses, adress, addres, addy, location, destination, street, zip, zip code, postcode, postal code, flat, house, apartment, ship-to, where to send, address book
#ship: shipping, ship, shipped, ships, shipment, shipments, delivery, deliveries, deliver, delivered, delivering, courier, couriers, dispatch, dispatched, post, postage, transit, sent
#parcel: parcel, parcels, package, packages, my stuff, my things
#options: option, options, method, methods, ways, way, choices, choice, types, kinds, alternatives, available, accepted, accept, take, offer, choose, select
#speed: express, next day, overnight, same day, standard, economy, pickup, pick up, in store, collect, collection, locker, parcel locker, ups, dhl, fedex, usps, weekends, international, abroad, overseas, free shipping, tracked, signed for
#duration: how long, period, periods, time, timeframe, time frame, days, weeks, how soon, how quick, how fast, eta, estimated, arrive, arrival, arrives, expect, show up, get here, takes, when will, how many days, business days, working days, delivery time, lead time, turnaround, how quickly, how long until, by when, delivery date, dispatch time
#track: track, tracking, trace, follow, status, where is, whereabouts, progress, how far along, on its way, been processed, went through, yet, still waiting, any update, any news, anything new, not arrived, has not arrived, never arrived, late, delayed, missing, tracking number, not received, did not receive, still not here, waiting for, waiting on, pending, processed, approved, issued, hit my account, in my account, have not received, have not got, has not come, when will i get, when do i get, when will i receive, when will i see
#complaint: complaint, complaints, complain, complaining, grievance, grievances, claim, reclamation, dissatisfied, dissatisfaction, unhappy, disappointed, unsatisfied, objection, protest, formal complaint, report bad service, terrible service, bad service, poor service, escalate, appalled, outraged, lodge, raise a complaint
#human: human, humans, person, people, agent, agents, representative, rep, operator, someone, somebody, anybody, anyone, staff, staff member, employee, real person, live agent, live person, manager, supervisor, assistant, not a bot, actual person, real human, real agent, live support, customer rep, someone real, actual human, living person, real people
#talk: talk, talking, speak, speaking, chat, chatting, connect, transfer, put me through, hand me over, on the line, get me
#support: customer service, customer support, support, help desk, helpdesk, customer care, service department, hotline, support team, customer assistance, service team, call center, call centre, customer services, client service, helpline, support line, care team, service desk
#contact: contact, contacting, reach, reaching, get in touch, call, calling, phone, phone number, number, email address, hours, opening hours, 24/7, open 24/7, reach out, telephone, opening times, business hours, what time, email you, write to you, contact info, contact details, contact information
#review: review, reviews, feedback, rate, rating, ratings, opinion, testimonial, survey, stars, comment, comments, suggestion, suggestions, share my experience, what i think, compliment, compliments, evaluate, score, praise, thumbs up
#view: check, checking, checked, find, finding, look, looking, look at, look up, see, seeing, view, viewing, locate, browse, show, showing, access, consult, go through, pull up
#get: get, getting, send, sending, receive, receiving, download, downloading, obtain, email me, a copy, copy of, request, issue me, generate, give, give me
#add: add, adding, added, save, saving, store, include, insert, enter, set up, setup, set, setting up, put in another
#variant: size, sizes, colour, color, colours, colors, quantity, qty, model, version
#details: name, surname, last name, first name, date of birth, birthday, avatar, photo, picture, pic, bio, settings, preferences, nickname, display name
#quality: terrible, awful, horrible, worst, unacceptable, disgusting, rude, appalling, pathetic, useless, shameful, disgrace, incompetent, unprofessional, nightmare, horrendous, lousy
#policy: policy, policies, rules, conditions, terms, guarantee, eligible, entitled, cases, circumstances, allowed, return policy, money back guarantee, returns, return window, warranty, exchange policy, non refundable, nonrefundable
#software: api, apis, app, apps, application, website, web site, site, dashboard, integration, integrations, sync, syncing, synced, synchronisation, synchronization, webhook, webhooks, connector, server, servers, endpoint, endpoints, plugin, extension, portal, platform, software, erp, crm, export, import, feed, report, reports, page, pages, screen, button, mobile app, browser
#outage: crashed, crashing, freeze, freezes, freezing, frozen, hangs, hanging, down, outage, timeout, timeouts, timed out, 500, 502, 503, 404, 401, blank page, not loading, wont load, will not load, does not load, slow, unavailable, exception, disconnects, disconnecting, stopped working, stopped syncing, not updating, out of date
#help: help, assist, assistance, support me, help me, need help, how do i, how can i, how to, where can i, where do i, is it possible, can you, could you
`

// normalText maps slang, abbreviations and common misspellings onto one
// spelling before the lexicon runs. Each line is "target: variant, ...".
const normalText = `
you: u, ya, yu
your: ur, yr, youre
please: pls, plz, plse, pleas
thanks: thx, thanx, ty
want: wanna, wana, wnt
going to: gonna
give me: gimme
cannot: cant, can't, cannt, cannot, couldnt, couldn't
do not: dont, don't, dnt
does not: doesnt, doesn't
did not: didnt, didn't
will not: wont, won't
have not: havent, haven't
has not: hasnt, hasn't
is not: isnt, isn't
i am: im, i'm
information: info
message: msg
account: acc, accnt, accout, acount, acct, accoount
password: passwrd, passowrd, pasword, passw
address: adress, addres, adres
receive: recieve, recive
invoice: invoce, invioce, invoise
refund: refnd, refound, reimbursment
order: oder, ordr, odrer
delivery: delivary, dilivery, delievery
cancel: cancle, cancell, cansel
subscription: subsciption, subscripton
newsletter: newsleter, newseltter
payment: paymnt, payemnt
shipping: shiping
what: wat, wht
where is: wheres, where's
what is: whats, what's
have to: gotta, hafta
because: cuz, coz, bc
right now: rn
before: b4
through: thru
address: addr
package: pkg
password: pswd, pword, passwd
the: teh, hte
`

// lexicon is the parsed form of lexiconText and normalText.
type lexicon struct {
	norm    map[string][]string // one token -> replacement tokens
	phrases map[uint64]string   // phraseHash of a phrase -> concept
	list    map[string][]string // concept -> its phrases, space-joined
	maxLen  int                 // longest phrase, in tokens
	words   []string            // every word the lexicon knows
}

var loadLexicon = sync.OnceValue(func() *lexicon {
	lx := &lexicon{norm: map[string][]string{}, phrases: map[uint64]string{}, list: map[string][]string{}}
	seen := map[string]bool{}
	addWord := func(w string) {
		if !seen[w] {
			seen[w] = true
			lx.words = append(lx.words, w)
		}
	}
	for _, line := range strings.Split(normalText, "\n") {
		target, variants, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		to := strings.Fields(target)
		for _, v := range strings.Split(variants, ",") {
			if v = strings.TrimSpace(v); v != "" {
				lx.norm[strings.ReplaceAll(v, "'", "")] = to
			}
		}
		for _, w := range to {
			addWord(w)
		}
	}
	for _, line := range strings.Split(lexiconText, "\n") {
		concept, list, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		concept = strings.TrimSpace(concept)
		for _, p := range strings.Split(list, ",") {
			toks := lx.normalize(tokenize(p, nil), nil)
			if len(toks) == 0 {
				continue
			}
			key := phraseHash(toks)
			if _, dup := lx.phrases[key]; !dup {
				lx.phrases[key] = concept
				lx.list[concept] = append(lx.list[concept], strings.Join(toks, " "))
			}
			lx.maxLen = max(lx.maxLen, len(toks))
			for _, w := range toks {
				addWord(w)
			}
		}
	}
	return lx
})

// stopwords carry no topic; they are left out of content bigrams.
var stopwords = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(`a an the i me my we our you your it its this that these those to of
		for in on at by with from and or but so is are was were be been am do does did have has had
		can could would should will shall may might must please hi hello hey there here some any
		just also very really about what which who whom how where when why if then than too
		get got need want like know tell show let us him her his she he they them their`) {
		m[w] = true
	}
	return m
}()
