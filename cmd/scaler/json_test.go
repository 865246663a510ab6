package main

import "time"

// The documents that commands print with --json, as a program that reads
// them sees them: by the names the docs give their fields. Tests decode
// into these types of their own, never into the types that print the
// documents, so that a change to an output fails a test instead of
// changing the test's oracle with it. Each holds the fields tests read.

// applyDoc is what apply --json prints.
type applyDoc struct {
	At     time.Time `json:"at"`
	DryRun bool      `json:"dry_run"`
	Apps   []struct {
		App   string `json:"app"`
		Error string `json:"error"`
		// Edges are the rules in force, per type.
		Edges []struct {
			Type   string    `json:"type"`
			Target string    `json:"target"`
			Since  time.Time `json:"since"`
			Until  time.Time `json:"until"`
			Kept   bool      `json:"kept"`
		} `json:"edges"`
		Jobs []jobDoc `json:"jobs"`
		// Restarts are where the restart windows stand.
		Restarts []struct {
			Type  string    `json:"type"`
			State string    `json:"state"`
			Open  time.Time `json:"open"`
			Close time.Time `json:"close"`
			Line  int       `json:"line"`
			Since time.Time `json:"since"`
		} `json:"restarts"`
	} `json:"apps"`
	Missed []struct {
		App   string    `json:"app"`
		Type  string    `json:"type"`
		Open  time.Time `json:"open"`
		Close time.Time `json:"close"`
	} `json:"missed"`
	Changed int `json:"changed"`
	Failed  int `json:"failed"`
}

// jobDoc is where a job's window stands, in apply's and status's JSON.
type jobDoc struct {
	Type  string    `json:"type"`
	State string    `json:"state"`
	Open  time.Time `json:"open"`
	Close time.Time `json:"close"`
}

// planDoc is what up, scale and down print with --json.
type planDoc struct {
	App     string `json:"app"`
	Changes []struct {
		Type   string `json:"type"`
		From   int    `json:"from"`
		To     int    `json:"to"`
		ToSize string `json:"to_size"`
		Sent   string `json:"sent"`
	} `json:"changes"`
}

// statusDoc is what status --json prints.
type statusDoc struct {
	At        time.Time `json:"at"`
	Formation []struct {
		Type     string `json:"type"`
		Quantity int    `json:"quantity"`
		Size     string `json:"size"`
	} `json:"formation"`
	Dynos []struct {
		Name       string    `json:"name"`
		Type       string    `json:"type"`
		State      string    `json:"state"`
		AgeSeconds int64     `json:"age_seconds"`
		CycleFrom  time.Time `json:"cycle_from"`
	} `json:"dynos"`
	Jobs []jobDoc `json:"jobs"`
}

// checkDoc is what check --json prints.
type checkDoc struct {
	OK bool `json:"ok"`
	// API is the API checked, and where its URL came from.
	API *struct {
		URL  string `json:"url"`
		From string `json:"from"`
	} `json:"api"`
	Checks []checkRow `json:"checks"`
}

// checkRow is one of check's checks.
type checkRow struct {
	Check  string `json:"check"`
	Status string `json:"status"` // ok, warn, fail or skip
	Detail string `json:"detail"`
	Hint   string `json:"hint"`
}
