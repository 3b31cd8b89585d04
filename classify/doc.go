// Package classify labels customer requests: category, priority, sentiment,
// escalation and intent, with a confidence and a suggested reply.
//
// A Classifier is anything with Classify(ctx, Request) (Result, error).
// The package provides an offline classifier that needs no network, a
// Gemini classifier, a Chain that falls back from one to the next, and a
// Cache. It imports nothing else from this module.
//
// # The offline classifier
//
// NewOffline returns the default model, embedded in the package and decoded
// once; Train builds a model from a company's own labelled requests, from
// nothing or on top of another model (TrainConfig.Base: the base's
// knowledge is kept, rehearsing the examples it stores, and the new
// requests are learned, so a deployment gets better on its own traffic);
// Learn folds in one correction at a time (safe while other goroutines
// classify); Save writes a model in a versioned binary format that
// NewOffline reads back, with the version 1 files of earlier releases
// (which do not read version 2), rejecting a foreign, corrupt or
// unknown-version file with ErrBadModel. A saved model holds up to 40 of
// its training texts per label (TrainConfig.KeepExample).
//
// How much a deployment's own requests are worth, measured on the blind
// files below: on top of a model trained on the dev set, 500 labelled
// requests by other writers raise intent accuracy over the four files from
// 0.875 to 0.917 and 2,000 to 0.958 (README.md, Round 5).
// A classification takes 10-25 µs on one core, depending on the host, and
// is deterministic.
//
// Measured on requests by writers who never saw the lexicon or the code,
// in files never used for tuning (a plain file, two hard ones and an inbox
// mix): the default model reaches 0.986, 0.986, 0.981 and 0.991 category
// accuracy, 0.986, 0.981, 0.935 and 0.986 intent accuracy and 0.970, 0.938,
// 0.941 and 1.000 escalation F1; a model trained on the dev set alone
// 0.981, 0.949, 0.940 and 0.972 category, 0.958, 0.870, 0.778 and 0.847
// intent, 0.970, 0.875, 0.889 and 0.970 escalation F1. Two files written
// later by new writers (an inbox mix and hard voices) agree: the default
// model 1.000 and 0.986 category, 0.981 and 0.954 intent; the dev-set model
// 0.958 and 0.972 category, 0.870 and 0.875 intent. README.md has the
// figures on the other files and how each was used.
//
// How hard those files are, measured with the two plain reference models
// the issue gives for scale (naive Bayes over words and word pairs, about
// 0.74 category and 0.60 intent on its held-out requests; a linear SVM
// over word and character n-grams, about 0.85 and 0.72): the plain file
// and two more plain files by new writers (w1, w2) are as hard as the
// issue's requests or harder (reference intent 0.56-0.62), and on all
// three the dev-set model meets every target (category 0.981-0.986,
// intent 0.958, 0.939 and 0.912, escalation F1 0.968-0.970, ECE at most
// 0.031); the hard and inbox-mix files are much harder (reference intent
// 0.34-0.55), and there the dev-set model's intent accuracy is 0.78-0.88
// (README.md, Round 7).
//
// The method was chosen by measurement (see README.md for every figure and
// the commands that reproduce them). The dev set has about 700 distinct
// words, so a model that fits it learns its templates, and the hard part is
// wording it never saw. The pieces, in order of effect on a held-out file of
// 300 requests written for this project in other words:
//
//   - A multinomial logistic regression over the intents (category and
//     escalation follow from the intent), trained with AdaGrad, over hashed
//     features. Words and word pairs alone reach 0.80 category and 0.43
//     intent accuracy on the held-out file.
//   - A domain lexicon, written for this project, maps synonyms, slang and
//     spelling variants onto shared concepts ("reimbursement", "money back"
//     and "pay me back" all become #refund); concepts and pairs of content
//     concepts are features. This is the largest single gain (about +9
//     points category, +27 intent).
//   - Lexicon concepts only help a model trained on the dev set when the
//     dev set uses some of their phrases, so the lexicon folds rare ideas
//     into concepts the dev set has ("paypal" reads as #payment, "parcel
//     locker" as delivery #options); a phrase may stand for two concepts
//     ("charged twice" is #payment and #problem), plurals match, and the
//     first concept after a negation ("I don't want to cancel, ...") is
//     dropped.
//   - Training-data augmentation: each example is copied three times with
//     lexicon phrases swapped for random synonyms, typos, dropped words and
//     inserted everyday words,
//     so that the model puts weight on concepts and character n-grams rather
//     than on the dev set's exact words (+4 category, +7 intent).
//   - Character 3-5-grams of the words as typed, for typos and inflections,
//     at half weight; dropping raw word unigrams once concepts, concept pairs
//     and character n-grams are there helps a little.
//   - A letter's salutation ("Dear Customer Services,") and sign-off with
//     its signature ("Kind regards, Office Manager") are removed first:
//     they name departments and titles without asking for anything.
//   - Spelling correction of unknown words of five letters or more to a
//     known word one edit away that keeps the first letter; everyday English
//     words and their inflections are never corrected (correcting "full" to
//     "pull" cost more than the typos it fixed).
//   - An average of three models trained with different seeds: the same
//     accuracy as one, with less variance and lower calibration error.
//   - Confidence is P(category), the sum of the intent probabilities. It is
//     honest without further calibration: expected calibration error 0.02
//     and 0.04 on the two held-out files (a fitted softmax temperature and
//     a discount for unknown words made it worse and were dropped).
//
// Rules, not the model, decide sentiment (a word list with negation),
// escalation reasons (anger, legal threat, churn risk, security or privacy,
// asking for a human, and repeated contact from Request.History), priority
// and the suggested reply, which is a template per intent and is never set
// for sensitive requests. A strong complaint cue (rudeness, repeated
// failure such as "third time", a legal threat, abuse aimed at the company)
// turns a general answer into a complaint, and an answer whose text names
// what sets a close neighbouring intent apart moves to it (an order answer
// that names a fee or a refund, a refund answer that names the rules, an
// account-creation answer that names a problem; the dev set tells these
// apart only by template words). An intent escalates when its training examples
// mostly did (complaint and contact_human_agent in the default model); a
// legal threat, a security cue, asking for a human, repeated contact, or
// anger together with a churn cue in the words escalate any request; a
// statement of complaining ("formal complaint") makes any answer a
// complaint.
//
// The default model ("offline/v1") learned from the dev set and from
// examples, wording files and a lexicon written for this project, including a project
// intent technical_issue (category technical) for API, app and integration
// errors, which the dev set does not have; regenerate it with go generate.
package classify

//go:generate go run ./internal/cmd/trainmodel
