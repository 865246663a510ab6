// Package schedules is the schedule language of `scaler apply` and
// `scaler plan`: rules that say, by time of day, weekday and date, what an
// app's formation should be, and the pure function that gives the desired
// formation at an instant the caller passes in.
//
// Like the scaler domain, it is pure Go on the standard library: it must not
// import heroku-go, urfave/cli or any adapter, and it never reads the clock.
package schedules
