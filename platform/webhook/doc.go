// Package webhook posts what needs a person to a webhook
// (SCALER_NOTIFY_URL): the domain's scaler.Event, such as a scale-down after
// a job failed, a job that hit its --timeout, a missed window, a failed
// apply. The body works as a Slack incoming webhook as it is, and carries
// the structured fields for any other receiver. The events and their
// wording are the domain's (scaler/event.go); this package is the adapter
// that sends them, beside the Platform API's client.
//
// A notification never changes what scaler does: each one is bounded in
// time, retried once, and a failure is logged, not fatal. It never carries
// the token: every string passes the caller's redactor.
//
// The package uses the standard library and the domain only: it must not
// import the Platform API's client (and through it heroku-go) or urfave/cli.
package webhook
