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
#cancel: cancel, cancels, cancelled, canceled, cancelling, canceling, cancellation, cancellations, cancelation, cancelations, cancle, cancell, call off, abort, revoke, back out, undo, withdraw, withdrawal, terminate, termination, terminating, quit, quitting, end, ending, exit, get out of, break, breaking, pull out of, stop, do not want, no longer want, no longer need, changed my mind, do not need, nevermind, never mind, drop, kill, halt, nix, ditch, annul, annulled, rescind, call it off, call the whole thing off, call the whole order off, pull the plug, scrapped, scrapping, back out of, bail, bailing, bail on, bailed, bin, binned, void, voided, scrap, not needing, needing anymore, not happen, no more need
#order: order, orders, ordered, purchase, purchases, purchased, basket, cart, checkout, check out, parcel, parcels, package, packages, my stuff, my things, shipment, shipments, consignment, what i ordered, already placed, existing order, pending order, pending purchase, po, purchase order
#buy: buy, buying, bought, acquire, shop, shopping, put in an order, place an order, make a purchase, new order, add to cart, preorder, pre order, reserve, to order, to purchase, i order, we order, order some, order a, order an, order one, order something, purchase a, purchase an, purchase some, purchase something, put the order through, put an order through, place the order, take my money, snag, pick up one, order online, want to order, would like to order, snap up, bulk order, put in a bulk order, ill take it, add to basket, add this to my basket, add to my basket, get me two, get me one, get me a couple, bulk request, sell me, can you sell me, complete the purchase, complete my purchase, complete the order, finish my purchase, finish the checkout, finish paying, finish paying for it, ready to check out, check out with
#item: item, items, product, products, thing, things, stuff, article, articles, goods, merchandise, size, sizes, colour, color, colours, colors, quantity, qty, model, version, 4 person, 2 person, 6 person, four person, person tent
#refund: refund, refunds, refunded, refunding, reimburse, reimbursed, reimbursement, reimbursements, money back, my money, the money, compensation, compensations, compensate, rebate, repay, repayment, paid back, chargeback, store credit, owe me, credited, credit, give back, send back my money, refund request
#invoice: invoice, invoices, invoicing, bill, bills, billing statement, statement, statements, receipt, receipts, vat invoice, tax invoice, billing document, proof of purchase, tax receipt, proof of payment, vat, pdf invoice, billing, facture, factura, fattura, rechnung, for reimbursement, for reimbursement purposes, for my expenses, for expenses, expense claim
#payment: payment, payments, pay, paying, paid, transaction, transactions, charged, debited, checkout payment, card, cards, credit card, debit card, paypal, visa, mastercard, amex, american express, apple pay, google pay, bank transfer, wire transfer, bitcoin, crypto, cash, cash on delivery, gift card, installments, instalments, sepa, direct debit, ideal, venmo, zelle, cheque, prepaid, voucher, amazon pay, samsung pay, affirm, financing, pay later, cod, payment plan, billed, charge me, charged me, took my money, pending charge, maestro, afterpay, klarna
#fee: fee, fees, penalty, penalties, charge, charges, fine, fines, cost, costs, surcharge, price, how much, pay to cancel, cancellation cost, exit fee, early termination fee, termination fee, break fee, buyout, contract, contracts, agreement, commitment, tariff, extra charges, owe you, how expensive, what would i owe, do i owe, do you charge, charge me for, charge for, charge you, the damage, whats the damage, what is the damage, pay anything, have to pay, do i have to pay, cost me, cost anything, will it cost, how much will it cost
#early: early, prematurely, before the end, mid contract, before it ends, mid term, four months in, before the term ends, before my contract ends, still in contract
#subscription: subscription, subscriptions, subscribed, subscribe, subscribing, sign me up, opt in, opt me in, join the list
#unsubscribe: unsubscribe, unsubscribing, opt out, opt me out, stop getting, stop receiving, stop sending, take me off, remove me from, turn off, stop spamming, no more emails
#newsletter: newsletter, newsletters, mailing list, email list, marketing emails, promotional emails, promo emails, promos, promotions, weekly emails, news emails, deals by email, updates by email, emails, email updates, mailing, spam, marketing, promotional, news letter, bulletin, digest, new arrivals, product launches, launches, discount codes, offers by email, spammed, getting spammed, email bulletin, offers, special offers, deals, promo codes, hear about new, hear about offers, hear about deals, hear about sales
#problem: problem, problems, issue, issues, error, errors, trouble, troubles, bug, bugs, glitch, broken, fail, fails, failed, failing, failure, declined, rejected, bouncing, bounced, not working, doesnt work, wont work, does not work, keeps failing, crash, crashes, stuck, spins, not accepted, refused, denied, unable, unsuccessful, duplicate charge, already in use, already exists, already registered, already taken, crashed, crashing, freeze, freezes, freezing, frozen, hangs, hanging, down, outage, timeout, timeouts, timed out, 500, 502, 503, 404, 401, blank page, not loading, wont load, will not load, does not load, slow, unavailable, exception, disconnects, disconnecting, stopped working, stopped syncing, not updating, out of date, twice, wrong charge, something went wrong, error message, nothing happens, does nothing, keeps refreshing, refreshes, will not let me, wont let me, not let me, invalid, out of pocket, never showed up, never came, never comes, never arrives, cannot finish, cannot complete, unable to finish, will not let me sign up, every time, each time, keeps, keep getting, tried to, three times, 3 times, several times, multiple times, again and again, never got, will not accept, wont accept, does not accept, not accepting, error 500, 500 error, stuck on, always error, always errors, never created, was never created, keeps saying, went wrong, expired, errors out, rejects, form rejects, always wrong, is always wrong
#password: password, passwords, pasword, passwd, pw, pwd, passcode, pass code, pin, pin code, credentials, login details, passphrase, key, keys
#recover: recover, recovering, recovery, reset, resetting, retrieve, retrieving, retrieval, restore, restoring, forgot, forgotten, forget, lost, remember, locked out, cant log in, cannot log in, cant sign in, cannot sign in, get back into, regain, cannot remember, locked, reset link, lockout, password reset
#account: account, accounts, acct, acount, profile, profiles, user, users, user account, login, log in, membership account, username, sign in, signin, log on, logon, name, surname, last name, first name, date of birth, birthday, avatar, photo, picture, pic, bio, settings, preferences, nickname, display name, membership, profile pic, profile picture, login email, personal details, my details, signed up with, registered with, on my account, on my profile, my email address, my email, my phone number, my number, my mobile number, my mobile, new number, new email, new mobile number, new phone number, my name, my surname, company name, maiden name, new name, new company name, new surname, new last name
#create: create, creating, creation, open, make, start, become a member, join, new customer, get started, onboard, become a customer, establish, new here, establishing, establish one
#signup: sign up, signup, signing up, sign-up, register, registering, registration, registrations, enroll, enrol, enrollment, verification email, verify, activation, confirmation email, activation link, verification code, confirm my email, account creation
#delete: delete, deleting, deletion, remove, removing, removal, erase, close, closing, deactivate, deactivation, wipe, get rid of, nuke, for good, permanently, unregister, delete me, forget me, right to be forgotten, terminate my account, shut down
#edit: edit, editing, change, changing, changed, update, updating, modify, modifying, modification, alter, correct, correcting, fix, amend, adjust, tweak, replace, replacing, rename, exchange, moved, moving, swap it, swap the, swap for, swap them, meant, bump, increase, decrease, reduce, substitute, swap out
#switch: switch, switching, toggle, flip, move over, log into, log in to, sign out, log out, other account, another account, different account, second account, two accounts, 2 accounts, multiple accounts, both accounts, switch user, upgrade, upgrading, downgrade, downgrading, swap accounts, swap account, swap between, swap users, swap profiles, hop over, jump between, flip between, move from, move to, transfer to, transfer from, change between, switch over, log in as, go back to my, change accounts, changing accounts, change users, change profiles, change to my, change over to, move over to, switch to, swap, swapping, change from, changing from, go from, convert, converting, transition, hop to, get back onto, back to mine, to mine, onto mine, wrong account, logged into the wrong, logged in as, the right account, the right one, account type, into a business account, to a business account, to a pro account, to a premium account, to a basic account, to a standard account, to a student account
#another: another, different, other, second, extra, additional, new, separate, alternative, spare, backup, more than one, more then one, multiple, several
#address: address, addresses, adress, addres, addy, location, destination, street, zip, zip code, postcode, postal code, flat, house, apartment, ship-to, where to send, address book
#ship: shipping, ship, shipped, ships, delivery, deliveries, deliver, delivered, delivering, dispatch, dispatched, postage, transit, postal, standard shipping, standard delivery, express shipping, express delivery, standard post, a parcel, a package, a delivery, orders arrive, parcels arrive, get it to me, to me in
#options: option, options, method, methods, ways, way, choices, choice, types, kinds, alternatives, available, accepted, accept, offer, choose, select, standard, economy, collect, collection, weekends, international, abroad, overseas, tracked, signed for, do you take, you take, will you take, can i pay with, by post, premium, you support, store support, shop support, site support, supported, do you support, do you do, or only, is that ok, would i still be able to, can i use, only have, without a card, without a credit card, no credit card, what else could i pay, what else can i pay, other ways
#duration: how long, period, periods, timeframe, time frame, days, weeks, how soon, how quick, how fast, eta, estimated, arrive, arrival, arrives, expect, show up, get here, takes, when will, how many days, business days, working days, delivery time, lead time, turnaround, how long until, by when, delivery date, dispatch time, in time, on time, make it in time, take a week, take long, does it take, it take, till it gets here, gets here, lands, land on my doorstep, roughly how long, a week or less, days till, turn up, turns up, take to, takes to, to reach you, reach me, transit time, expected transit, how long do, how long does, how long will, shipping time, shipping times, delivery times, will it arrive, arrive before, arrive by, to reach, within 48 hours, 24 hours, 48 hours, 72 hours, hours or, one week or more, or is it longer, longer, come in time, would it come, deliver time, the usual wait, usual wait, wait for a parcel, how soon can you, how quickly, working days for, typical wait, the wait, wait for delivery, when would it get here, would it get here, when would it, will it come, come before, here before, before friday, before monday, before christmas, by friday, by monday, by christmas, by the weekend, if i order today, if i order now, if i buy now, if i buy today
#track: track, tracking, trace, follow, status, where is, whereabouts, progress, how far along, on its way, been processed, went through, yet, still waiting, any update, any news, anything new, not arrived, has not arrived, never arrived, late, delayed, missing, tracking number, not received, did not receive, still not here, waiting for, waiting on, pending, processed, approved, issued, hit my account, in my account, have not received, have not got, has not come, when will i get, when do i get, when will i receive, when will i see, out for delivery, far along, arrived yet, here yet, where my order is, still no, still nothing, nothing yet, shipped yet, dispatched yet, update on my, ago, you promised, was promised, was told, promised, where my, where our, still have not, still hasnt, follow up, following up, chase, chasing, what stage, which stage, stage, initiated, comes through, come through, been ages, still not come, still not, was received, when do i see, see the cash, see the money, see my money, until it lands, its been, it has been, i asked for, asked for a refund, what is happening, happening with, where it presently is, presently, been dispatched, has been dispatched, been shipped, has been shipped, where it is
#complaint: complaint, complaints, complain, complaining, grievance, grievances, claim, reclamation, dissatisfied, dissatisfaction, unhappy, disappointed, unsatisfied, objection, protest, formal complaint, report bad service, terrible service, bad service, poor service, escalate, appalled, outraged, raise a complaint, terrible, awful, horrible, worst, unacceptable, disgusting, appalling, pathetic, useless, shameful, disgrace, incompetent, unprofessional, nightmare, horrendous, lousy, on record, formally, joke, a joke, fed up, sick of, had enough, sick and tired, escalated, unacceptable service, shocking, disgraceful, scandalous, ashamed, smashed, lodged, pile of shit, piece of shit, is shit, is crap, is garbage, is rubbish, laughed at me, reported, report this, nobody cares, no one cares, treated, disrespectful, rude, express my, to express, register my dissatisfaction, livid, fuming, furious, racist, racism, discriminated, answer for this, needs to answer, report a, report your, to report, lodge, up top, hear about it, someone up top
#human: human, humans, person, people, agent, agents, representative, rep, operator, someone, somebody, anybody, anyone, staff, staff member, employee, real person, live agent, live person, manager, supervisor, assistant, not a bot, actual person, real human, real agent, live support, customer rep, someone real, actual human, living person, real people, flesh and blood, human being, actual human being, bot, robot, chatbot, automated, real one, not a machine, living breathing, one of your team, someone from your team, a member of your team, team member
#talk: talk, talking, speak, speaking, chat, chatting, connect, transfer, put me through, hand me over, on the line, get me
#support: customer service, customer support, support, help desk, helpdesk, customer care, service department, hotline, support team, customer assistance, service team, call center, call centre, customer services, client service, helpline, support line, care team, service desk, help team, support staff, customer care team, service people
#contact: contact, contacting, reach, reaching, get in touch, call, calling, phone, phone number, hours, opening hours, 24/7, open 24/7, reach out, telephone, opening times, business hours, what time, contact info, contact details, contact information, contact number, telephone number, e mail, e mail address, email address, get hold of, ring
#review: review, reviews, feedback, rate, rating, ratings, opinion, testimonial, survey, stars, comment, comments, suggestion, suggestions, share my experience, what i think, compliment, compliments, evaluate, score, praise, brilliant, excellent, loved, love it, thoughts, share some thoughts, my experience, experience, five stars, 5 stars, pass on my thanks, kudos, shout out, well done, great job, star rating, rave, recommend, thanks for the, thank you for the, happy with, pleased with, impressed, love the, loved the, is great, was great, are the best, you guys are the best, all working now, sorted my, saves us, so helpful, very helpful, super helpful, helpful, staff were amazing, who do i tell, rate the product, rate us, rate the, rate your, thumbs up, give my opinion, give feedback, give a review, give my feedback, give you feedback, lovely, rocks, shoutout, 10 10, would shop again, would recommend, commend, commend your
#view: check, checking, checked, find, finding, look, looking, look at, look up, see, seeing, view, viewing, locate, browse, show, showing, access, consult, go through, examine, double check, go over, inspect, look over, review it, where are my, where can i find, where do i find, find my, listed, listing, list my, pull it up, pull up, explain, explained, explaining, understand, make sense of, no idea what, what is this, what is that, what are these, what does it mean, what does this mean, baffling, confusing, confused by, breakdown, itemised, itemized
#get: get, getting, send, sending, receive, receiving, download, downloading, obtain, email me, a copy, copy of, request, issue me, generate, give, give me, put back, gimme, hand over, grab
#add: add, adding, added, save, saving, include, insert, enter, set up, setup, set, setting up, put in another, saved, keep on file, on file, register a new address, register an additional, store my, store an, store a
#policy: policy, policies, rules, terms, guarantee, eligible, entitled, cases, circumstances, allowed, return policy, money back guarantee, returns, return window, warranty, exchange policy, nonrefundable, if i return, if i just, if it turns out, if i change my mind, if i do not like, how many days do i have, how long do i have, time limit, cut off, cutoff, am i still covered, covered, whats the deal, what is the deal, the deal with, sale items, final sale, clearance, conditions, what are the conditions, what are the rules, excluded, is that excluded, exclusions, fine print, small print, right of withdrawal, too late to return, restocking fee, can i return, can i still send back, can be returned, be returned, returnable, been opened, cover, covers, in that case, in which case, in what case, days to return, return stuff, return something, is that too late, or is that too late, rule, what if, can i still, would i get, would i be able to, am i able to, do i get, what happens if, in case, if it does not fit, if they do not fit, if i wore, if i open, if i used, after opening, once opened, or is it store credit
#software: api, apis, app, apps, application, website, web site, site, dashboard, integration, integrations, sync, syncing, synced, synchronisation, synchronization, webhook, webhooks, connector, server, servers, endpoint, endpoints, plugin, extension, portal, platform, software, erp, crm, export, import, feed, page, pages, screen, button, mobile app, browser, your shop, your store, the store, the shop, your website, ur shop
#help: help, assist, assistance, support me, help me, need help, how do i, how can i, how to, where can i, where do i, is it possible, can you, could you
#payment+#problem: charged twice, charged me twice, double charged, double charged me, billed twice, billed me twice, double billed, paid twice, charged two times, took the money twice, wrong amount, incorrect amount, overcharged, over charged, charged too much, card declined, card was declined, card got rejected, card rejected, payment declined, payment failed, payment did not go through, transaction failed, did not go through, will not go through, wont go through, not go through, debited but, taken money, taken my money, money left my bank, left my bank, never authorised, never authorized, not authorised, charge on my statement, do not recognise, do not recognize, unrecognised charge, unknown charge, billed more than, ate my money, still says unpaid, shows unpaid, unpaid, still shows unpaid, more than the, checkout total, no order was created, no order confirmation, order was not created, never got an order confirmation, no confirmation, charged even, got charged, higher than, higher than the total, more than the total, amount taken, taken from my account
#payment+#options: pay by, pay with, pay using, pay via, can i pay, ways to pay, forms of payment, payment forms, payment types, only credit, yall take, do you guys take, do you guys do, do u guys do, will that work, does that work, is that accepted, buy now pay later, bnpl, pay in, pay in instalments, pay in installments, use my gift card, use a voucher, use a coupon, use a gift card, can i use my card, as payment, pay using a, settle, settle my, means of payment, other means, some other means, pay by cheque, by cheque
#policy+#refund: do you refund, do you do refunds, do you give refunds, do you offer refunds, refundable, non refundable, eligible for a refund, entitled to a refund, covered for a refund, refund rules, refund conditions, only store credit, store credit only, or store credit, full amount back, or just store credit, just store credit, full refunds or, postage back, shipping back, shipping costs back, return shipping, return postage, who pays for return, who pays for returns
#get+#refund: reimburse me, pay me back, refund me, give me my money back, want my money back, claim a refund, claim my money, want a refund, rather have my money, money returned, put back on my card, back on my card, get my money back, send my money back, return my money, give me back, want that back, want it back, return the money, get the money back, give me my cash back, cash back, my cash, want the money returned, money returned to my card, claim back, requesting a full refund, want refund, i want refund, credit my account back, credit me back, credit back, want a full refund, returned to my card, refunded to my card, what i paid, come back to me, back to me
#edit+#address: i moved, moved house, have moved, we moved, relocated, new flat, new place, new house, moving house, redirect, reroute, send it to my, ship it to my, deliver it to my, where its going, where it is going, go there instead, rather than home, instead of home, to my office instead, overwrite, out of date address, wrong street, wrong address, wrong house number, wrong postcode, wrong zip, wrong zip code, wrong post code, live now, i live now, now live, new city, another city, moved to, where you send, place where you send
#edit+#order: take out, take off, throw in, one more, keep the rest, wrong size, wrong colour, wrong color, meant the, instead of the, out of my order, out of my purchase, from my order, from my purchase, off my order, off my purchase
#create+#account: set up a profile, set up an account, get an account, get myself an account, own account, make an account, make a new account, new account, open an account, create an account, create a profile, register an account, sign up for an account, set up a login, make a login, get a login, create a login, never shopped here before, shopped here before, proper account, a real account, full account, how do i sign up, how to sign up, how can i sign up, where do i sign up, register button, sign up button, make a profile
#ship+#options: next day, same day, express, overnight, pickup, pick up, in store, click and collect, collect in store, locker, parcel locker, courier, couriers, ups, dhl, fedex, usps, royal mail, free shipping, home delivery, collection point, pick it up, pay extra, faster delivery, quicker delivery, speed up, get it tomorrow, by tomorrow, two person delivery, room of choice, white glove, internationally, ship internationally, ship abroad, deliver abroad, fast delivery, normal delivery, kind of sending, collect from, collect from a store, collect in person, posted, post it, send it by post, kinds of sending, ways of sending, sending options, fast one or cheap one, cheap one, fast one
#help+#buy: how can i order, how do i order, how to order, how do i checkout, how can i checkout, how do i place an order, how to place an order, how do i purchase, how can i purchase, how to purchase, how do i buy, how can i buy, how to buy, where do i buy, where can i buy, how do i check out, how to check out, how can i check out
#contact+#support: reach you, reach you guys, get in touch with you, in touch with you, your phone number, your number, your email, your email address, call you, email you, contact you, are you open, open on, open at, open today, open tomorrow, open sundays, open on sundays, open weekends, open on weekends, opening, get hold of you, hold of you, ring you, call you guys, freephone, free phone, helpline number, international number, what number, which number, number do i call, number to call, outside of this chat, correspondence, write to you, send letters, your address, your postal address, your office address, head office, helpline open, lines open, line open, you open, office open, store open, when are you open, customer relations, address for your, office hours, write to, email address i can write to
#signup+#problem: verification email never arrived, verification email never came, confirmation email never arrived, never got the verification, never got the confirmation, captcha, says my email is invalid, email invalid, says invalid, when i try to create, when trying to create, when creating, tried to create, tried to make an account, tried to join, tried to register, tried to sign up, while signing up, during sign up, when signing up, when registering, cannot create, cannot create an account, cannot make an account, cannot sign up, cannot register, unable to create, unable to register, unable to sign up, will not let me register, will not let me create, reloads, just reloads, page reloads, is invalid, is taken, username is taken, email is taken, username taken, cannot join, will not let me join, stuck halfway, halfway through, never got the code, code never arrived, code never came, did not get the code, never got the email, email never came
#track+#order: when is my order, when is my parcel, when is my package, when will my order, when will my parcel, when will my package, my order turning up, has my order, has the courier, where the van, picked up my, at the depot, depot, sat at, stuck at, it says dispatched, says dispatched, says shipped, it says shipped, is my order, is order
#gift: birthday present, birthday gift, for a birthday, christmas present, present, gift, gifts
#view+#invoice: review my invoice, review my invoices, review our invoices, review the invoice, review the bill, review our billing, review my bill, review my billing, review our billing statements, review the itemised bill, invoice history, billing history, invoices listed
#cancel+#order: order by mistake, ordered by mistake, purchase by mistake, bought by mistake, accidentally ordered, accidentally bought, ordered by accident, did not mean to order, did not mean to place, did not mean to buy, make order by mistake, made an order by mistake
#add+#address: add a po box, po box, in my address book, to my address book, enter an address, put in where, where stuff should be sent, another place for delivery, new delivery address, extra address, second address, add an address, add a new address, save an address, save my address, set up a default, default address, default shipping address, default delivery address, wrong default, second place to ship, place to ship, place to send, one more address, another address, more address, one more adress
#add+#another: register another, register a second, register an extra
#recover+#account: cannot get into, cant get into, get into my account, cannot access my account, cannot login, cannot log into, can not log in
#recover+#password: reset link expired, link expired, new passcode, new password, a new password, a new passcode
#delete+#account: be forgotten, to be forgotten, gdpr, remove everything you hold, erase my data, delete my data, delete all my data, my data
#edit+#account: spelt wrong, spelled wrong, misspelt, misspelled, typo in my name, needs revising, needs updating, rebranded, name is wrong, is spelt wrong, is spelled wrong
#track+#refund: till my refund, until my refund
#not: do not want to, not asking for, i am not asking, not asking, not complaining, i am not, is not enough, not trying to, i do not need to, no need to
#notyet: not shipped yet, has not shipped, has not shipped yet, before it ships, before it is shipped, before it goes out, before dispatch, before it leaves, if it is not too late, not too late, still time, is there still time, before it ships out
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
is not: isnt, isn't, aint, ain't
was not: wasnt, wasn't
were not: werent, weren't
are not: arent, aren't
would not: wouldnt, wouldn't
should not: shouldnt, shouldn't
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
just: jsut, juts
people: ppl
and: adn
billing: biling, billng
add: ad
their: thier
because: becuase, becasue
which: wich
`

// lexicon is the parsed form of lexiconText and normalText.
type lexicon struct {
	norm    map[string][]string // one token -> replacement tokens
	phrases map[uint64]string   // phraseHash of a phrase -> concept
	// prefixes holds the phraseHash of every run of words a longer phrase
	// begins with, so that matching stops at the first word no phrase
	// continues with.
	prefixes map[uint64]bool
	list     map[string][]string // concept -> its phrases, space-joined
	maxLen   int                 // longest phrase, in tokens
	words    []string            // every word the lexicon knows
	common   map[string]bool     // everyday English words (commonText)
	// commonDels indexes the everyday words by their one-letter
	// deletions for the speller; built once, shared by every model.
	commonDels map[string][]string
}

var loadLexicon = sync.OnceValue(func() *lexicon {
	lx := &lexicon{norm: map[string][]string{}, phrases: map[uint64]string{}, list: map[string][]string{}, common: map[string]bool{}}
	lx.commonDels = map[string][]string{}
	for _, w := range strings.Fields(commonText) {
		lx.common[w] = true
		indexDeletions(lx.commonDels, w)
	}
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
	// Plurals: "credit cards" means what "credit card" means. Added after
	// the written phrases, so a phrase written in the list keeps its own
	// concept.
	for concept, list := range lx.list {
		for _, p := range list {
			toks := strings.Fields(p)
			last := toks[len(toks)-1]
			if strings.HasSuffix(last, "s") || len(last) < 3 {
				continue
			}
			toks[len(toks)-1] = last + "s"
			if key := phraseHash(toks); lx.phrases[key] == "" {
				lx.phrases[key] = concept
			}
		}
	}
	// A plural has the prefixes of its singular.
	lx.prefixes = map[uint64]bool{}
	for _, list := range lx.list {
		for _, p := range list {
			toks := strings.Fields(p)
			for n := 1; n < len(toks); n++ {
				lx.prefixes[phraseHash(toks[:n])] = true
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
