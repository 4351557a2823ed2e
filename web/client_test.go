package web_test

import (
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"testing"

	"conclave/assets"
	"conclave/conclavetest"
)

func TestRoomPageServesTheClient(t *testing.T) {
	s := newStack(t)
	room := s.room(bearer(s.admin()), map[string]any{"roomName": "Page"})
	link := str(t, sub(t, room, "access", "anonymous", "speaker"), "url")
	// The access link handed out leads to the page.
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(s.srv.URL + u.RequestURI())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	page := string(body)
	if strings.Contains(page, "__CONCLAVE_BASE__") || !strings.Contains(page, `src="/meet/client/app.js"`) {
		t.Fatalf("base path not filled in:\n%s", page)
	}
	if res.Header.Get("Referrer-Policy") != "no-referrer" || !strings.Contains(res.Header.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Fatalf("page headers %v", res.Header)
	}

	for _, c := range []struct {
		path, ctype string
		status      int
	}{
		{"/meet/client/app.js", "text/javascript", 200},
		{"/meet/client/style.css", "text/css", 200},
		{"/meet/client/", "", 404},
		{"/meet/client/index.html", "", 404},
		{"/meet/client/nope.js", "", 404},
		{"/meet/client/../go.mod", "", 404},
		{"/meet/client/%2e%2e/assets.go", "", 404},
		{"/meet/room/a%2Fb", "", 404},
	} {
		res, err := http.Get(s.srv.URL + c.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != c.status || c.ctype != "" && !strings.HasPrefix(res.Header.Get("Content-Type"), c.ctype) {
			t.Errorf("%s: %d %s", c.path, res.StatusCode, res.Header.Get("Content-Type"))
		}
	}
}

func TestRoomPageAtTheRoot(t *testing.T) {
	s := openStack(t, t.TempDir()+"/c.db", func(c *conclavetest.HTTPConfig) { c.BasePath = "/" })
	res, err := http.Get(s.srv.URL + "/room/abc")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `src="/client/app.js"`) || !strings.Contains(string(body), `content=""`) {
		t.Fatalf("%d\n%s", res.StatusCode, body)
	}
}

// TestClientModulesResolve checks that every relative import of the client's modules
// names a file that is embedded, so no module fails to load in the browser.
func TestClientModulesResolve(t *testing.T) {
	imp := regexp.MustCompile(`(?m)(?:^|\s)(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)`)
	n := 0
	err := fs.WalkDir(assets.Client, "client", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".js") {
			return err
		}
		src, err := fs.ReadFile(assets.Client, p)
		if err != nil {
			return err
		}
		for _, m := range imp.FindAllStringSubmatch(string(src), -1) {
			target := m[1] + m[2]
			if _, err := fs.Stat(assets.Client, path.Join(path.Dir(p), target)); err != nil {
				t.Errorf("%s imports %s, which is not embedded", p, target)
			}
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		t.Fatal("found no imports: the pattern is wrong")
	}
}
