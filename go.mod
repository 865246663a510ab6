// +heroku goVersion go1.26
// +heroku install ./cmd/scaler

module github.com/scalerdev/scaler

go 1.26.0

require (
	github.com/dlclark/regexp2 v1.12.0
	github.com/heroku/heroku-go/v5 v5.5.0
	github.com/heroku/heroku-go/v6 v6.1.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	github.com/urfave/cli/v2 v2.27.7
	github.com/xrash/smetrics v0.0.0-20240521201337-686a1a2994c1
	golang.org/x/sys v0.50.0
)

require (
	github.com/cenkalti/backoff v2.1.1+incompatible // indirect
	github.com/cpuguy83/go-md2man/v2 v2.0.7 // indirect
	github.com/google/go-querystring v1.0.0 // indirect
	github.com/google/uuid v1.0.0 // indirect
	github.com/pborman/uuid v1.2.0 // indirect
	github.com/russross/blackfriday/v2 v2.1.0 // indirect
	golang.org/x/text v0.14.0 // indirect
)
