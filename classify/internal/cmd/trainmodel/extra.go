package main

import (
	"strings"

	"github.com/icclabs/commandcenter/classify"
)

// extraText holds requests written for this project (not taken from the
// dev set, the paraphrase test file or anywhere else) that widen the
// default model's wording: "intent|category|escalate" headers, then one
// request per line.
const extraText = `
## cancel_order|general|false
please cancel the thing i ordered on tuesday
I no longer need the order, can you stop it before dispatch
cancel order 7781 asap
ordered the wrong model, want to cancel it
is there a way to call off my purchase
## change_order
can I add a charger to the order I placed
I picked the wrong size, can you change it in my order
remove the second item from my order please
update the quantity on my order to four
swap the black one for the white one in my order
## change_shipping_address
I gave you the wrong street, change the delivery address
my parcel should go to my parents house instead
need to fix the postcode on my order
can you send my order to my work address instead of home
I moved, please update where my order ships
## check_cancellation_fee|billing|false
is it free to cancel my plan or is there a fee
how much will I pay if I cancel before the contract ends
do I owe anything for stopping my subscription early
what is the charge for leaving my contract
any penalty for ending the plan this month
## check_invoice|billing|false
where can I view my previous invoices
I want to look at my billing history
how do I see the bill for my last purchase
can I browse my old receipts online
show me the invoices on my account
## check_payment_methods|billing|false
can I pay with my visa card
do you accept paypal or only cards
which payment options do you take
is apple pay supported at checkout
can I split the payment into installments
## check_refund_policy|billing|false
what is your returns policy
how many days do I have to ask for my money back
can I get a refund on a used item
do refunds go back to the original card
is there a refund if I change my mind
## complaint|sensitive|true
I am furious with the service I got and want to complain
this is unacceptable, I want to make a formal complaint
your courier was rude and I want to report it
I have been treated badly and want to complain to a manager
worst service ever, where do I send my complaint
## contact_customer_service|general|false
what number do I call for support
what are your support opening hours
how do I email customer service
is there a live chat with support
how can I contact your team
## contact_human_agent|general|true
I want a human, not a chatbot
please put me through to a real agent
can I talk to somebody who works there
I need to speak to a person right now
transfer me to a representative
## create_account|general|false
how do I sign up for an account
I would like to register a new account
can I make an account with my email
where do I create a profile
I want to open an account for my shop
## delete_account|general|false
close my account permanently
how do I remove my profile and data
I want to delete my user account
please deactivate my account
erase everything you have about me and close the account
## delivery_options|general|false
do you have express shipping
can I choose next day delivery
is pickup from a store possible
which couriers do you ship with
what delivery methods can I pick
## delivery_period|general|false
how long will delivery take
when should my order arrive if I buy today
how many days is standard shipping
what is the delivery time to my country
how soon do you ship after I order
## edit_account|general|false
how do I change my email address on my account
I need to update my phone number
can I edit my name on my profile
where do I change my account details
update my personal information please
## get_invoice|billing|false
please email me the invoice for my order
I need an invoice for my company
can I download a receipt for my purchase
send me the bill for last month
I need a copy of my invoice for taxes
## get_refund|billing|false
I want a refund for my broken item
please give me my money back
refund me for the order that never arrived
how do I request a refund
I returned it, now refund me
## newsletter_subscription|general|false
sign me up for your newsletter
unsubscribe me from all marketing emails
I keep getting your promo emails, stop them
how do I join your mailing list
I want to stop the weekly newsletter
## payment_issue|billing|false
my payment keeps failing
I was charged twice for one order
my card was declined but I have money
the checkout gives an error when I pay
money left my account but the order says unpaid
## place_order|general|false
I want to buy this jacket
how do I order online
can I order by phone
help me purchase a gift
I would like to order three of these
## recover_password|technical|false
I forgot my password
reset my password please
I am locked out of my account
the password reset link does not arrive
cannot remember my login password
## registration_problems|technical|false
I get an error when I try to sign up
the registration form does not work
I never got the confirmation email after registering
sign up keeps failing on your site
cannot complete my registration
## review|general|false
where can I leave a review
I want to give feedback on my order
how do I rate the product
I would like to write a review of your service
can I leave a comment about the delivery
## set_up_shipping_address|general|false
how do I add a shipping address to my account
I want to save a new delivery address
can I add my office as a second address
set up a delivery address for me
add a new address for my orders
## switch_account|general|false
how do I switch to my other account
I want to log in with a different account
change to my business account
how do I move between my accounts
sign me into my second account
## track_order|general|false
where is my order
track my package please
has my parcel been shipped
what is the status of my delivery
I need the tracking link for my order
## track_refund|billing|false
where is my refund
has my refund been sent
I am still waiting for my refund
when will my refund arrive
check the status of my refund
## technical_issue|technical|false
the api returns a 502 bad gateway on every request
our integration stopped syncing products last night
the mobile app closes by itself as soon as I open the orders tab
your website is down, nothing loads
I get a timeout error when the dashboard opens
the webhook never fires when an order changes status
the export to csv produces an empty file
every call to the orders endpoint fails with 500 internal server error
the app is stuck on the loading spinner
since the last update the connector to our erp throws an exception
the page goes blank after I click save
the sync with our accounting system duplicates every record
our token was rejected with 401 even though nothing changed
the import job has been hanging for hours
there is a bug in the report, totals do not add up
the screen freezes when I scroll the product list
the plugin for our shop shows an error message and disables itself
the system is really slow today, pages take a minute to open
the integration with the warehouse keeps disconnecting
nothing happens when I press the button in the app
we are seeing rate limit errors from your api at low volume
the app crashed and lost the draft I was writing
stock levels are not updating from our system any more
the data in the dashboard is out of date by two days
error code 503 service unavailable since this morning
the notifications in the app stopped working
after the upgrade the app will not start on my phone
the feed to our marketplace is failing with a parsing error
there is an outage, none of our orders are coming through the integration
the website shows a weird error when I open the orders page
## complaint|sensitive|true
the man at the counter was rude and laughed at me
your delivery driver shouted at me on my doorstep
this is the third time you got my order wrong, I am sick of it
beyond a joke, nobody ever calls back as promised
I will be taking this to my solicitor
your service is a disgrace and I want someone to answer for it
honestly the worst experience I have had with any shop
your staff were disrespectful and I want that on record
I was hung up on twice by your call centre
you people are useless, nothing ever works as promised
I am sick and tired of being ignored by this company
fuck your company and your awful service
I have been lied to by your agents more than once
I am reporting this to the ombudsman
your courier damaged my door and then denied it
## review|general|false
thank you so much, the support was great
love the new dashboard, nice work
just wanted to say thanks for the fast help
great job on the update, everything is smoother
really pleased with the service, keep it up
cheers for sorting that out so quickly
the product is excellent, five stars from me
kudos to the team for the quick fix
## check_cancellation_fee|billing|false
is there a fee if I cancel now
would cancelling cost me anything
what do I pay for ending the plan before the year is up
will I be charged for cancelling the contract
## track_refund|billing|false
any update on my refund
you approved my refund but the money is not in my bank yet
it has been two weeks and no money back
is my refund on the way
## get_refund|billing|false
I want the money for this back
please pay me back for the damaged parcel
can I have a refund for the order that came late
## check_refund_policy|billing|false
what are the rules for getting a refund
can I return something I already opened
how long do I have to return an item
## switch_account|general|false
I am logged in as my wife, how do I use my own account
how do I go from my work account to my personal one
let me change which account I am using
## edit_account|general|false
change the email on my profile
my surname changed, please update my details
## set_up_shipping_address|general|false
I have no address saved yet, how do I add one
can I store my parents address for future orders
## change_shipping_address|general|false
the address on my open order is wrong, please correct it
deliver my current order to a different address
## change_order|general|false
I want to add one more item to my existing order
change the colour in the order I already placed
## contact_human_agent|general|true
let me speak to an actual agent
I would rather talk to someone on the phone, please call me
`

// extraExamples parses extraText.
func extraExamples() []classify.Example {
	var exs []classify.Example
	var cur classify.Example
	for _, line := range strings.Split(extraText, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
		case strings.HasPrefix(line, "## "):
			parts := strings.Split(strings.TrimPrefix(line, "## "), "|")
			cur = classify.Example{Intent: parts[0], Category: classify.CategoryGeneral}
			if len(parts) == 3 {
				cur.Category = classify.Category(parts[1])
				cur.Escalate = parts[2] == "true"
			}
		default:
			e := cur
			e.Text = line
			exs = append(exs, e)
		}
	}
	return exs
}
