// Package scaler is the domain of the scaler tool: formation specs and their
// parser, the plan from the current formation to the desired one, the service
// that applies a plan through a [Platform], what `scaler apply` decides from
// a [Schedule] (its specs, and the [Review] of what it did), by the
// platform's clock ([Clock]), and the job runner behind `scaler run`.
//
// It is pure Go on the standard library. It defines the small [Platform]
// interface it needs and must not import heroku-go, urfave/cli or any other
// adapter: those live in platform/ and cmd/.
package scaler
