package emulator

import (
	"encoding/json"
	"strings"
	"testing"
)

// Each size listed can be read by name in any case and by id, and an
// unknown one is a 404 in the platform's shape. (That scaler spells the
// sizes as the emulator does is platform's TestClientAndEmulatorAgree.)
func TestDynoSizes(t *testing.T) {
	_, url := start(t, Config{})
	status, body := do(t, url, "GET", "/dyno-sizes", "")
	var list []dynoSizeJSON
	if err := json.Unmarshal(body, &list); status != 200 || err != nil || len(list) != len(dynoSizes) {
		t.Fatalf("GET /dyno-sizes = %d %s (%v)", status, body, err)
	}
	for _, s := range list {
		for _, key := range []string{s.Name, strings.ToUpper(s.Name), strings.ToLower(s.Name), s.ID} {
			status, body := do(t, url, "GET", "/dyno-sizes/"+key, "")
			var one dynoSizeJSON
			if err := json.Unmarshal(body, &one); status != 200 || err != nil || one.Name != s.Name {
				t.Errorf("GET /dyno-sizes/%s = %d %s", key, status, body)
			}
		}
	}
	if status, body := do(t, url, "GET", "/dyno-sizes/standard-1x", ""); status != 200 || !json.Valid(body) {
		t.Errorf("GET /dyno-sizes/standard-1x = %d %s", status, body)
	}
	if status, body := do(t, url, "GET", "/dyno-sizes/hobby", ""); status != 404 || string(body) != `{"id":"not_found","message":"Couldn't find that dyno size."}`+"\n" {
		t.Errorf("GET /dyno-sizes/hobby = %d %s, want a 404 not_found", status, body)
	}
}
