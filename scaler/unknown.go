package scaler

// UnknownError is a word that is none of the words its place takes: a
// dyno size, a keyword of a schedule's rule (a quantity that is not a
// number, once or restart; restart's rolling; a day, or WHEN's default or
// daily). It carries the word
// and the words the place takes, so that the caller can say which one was
// likely meant: the domain has no measure of typos. cmd/scaler has one, for
// its commands and flags too, so that every suggestion is made one way.
type UnknownError struct {
	Word  string   // as typed
	Known []string // the words its place takes, as they are written
	Msg   string   // what is wrong, for a person
}

// Error returns Msg.
func (e *UnknownError) Error() string { return e.Msg }

// Is makes an unknown word a [ErrInvalid]: nothing is sent for it.
func (e *UnknownError) Is(target error) bool { return target == ErrInvalid }
