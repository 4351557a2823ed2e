package web

import (
	"bytes"
	"html"
	"io/fs"
	"net/http"
	"strings"

	"conclave/assets"
)

// basePlaceholder marks where index.html needs the base path.
const basePlaceholder = "__CONCLAVE_BASE__"

// clientRoutes serves the browser client: the room page for every room url (access links
// point there) and the client's files under <base>/client/.
func (s *server) clientRoutes() {
	files, err := fs.Sub(assets.Client, "client")
	if err != nil {
		panic("assets: " + err.Error()) // the embedded tree is part of the binary
	}
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		panic("assets: " + err.Error())
	}
	prefix := strings.TrimSuffix(s.base, "/") // "" at the root
	page := bytes.ReplaceAll(index, []byte(basePlaceholder), []byte(html.EscapeString(prefix)))

	s.mux.HandleFunc("GET "+prefix+"/room/{roomId}", roomPage(page))
	s.homeRoutes(prefix, page)
	static := http.StripPrefix(prefix+"/client/", http.FileServerFS(files))
	s.mux.Handle("GET "+prefix+"/client/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") || strings.HasSuffix(r.URL.Path, "/index.html") {
			// No directory listings; the page itself is served with its base path filled in.
			writeErrorBody(w, http.StatusNotFound, "Not Found", "Resource not found", nil)
			return
		}
		setPageSecurity(w.Header(), r)
		static.ServeHTTP(w, r)
	}))
}

// roomPage serves the client's page for a url naming a room.
func roomPage(page []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := checkPathIDs(r); err != nil {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte("This is not the address of a room.\n"))
			return
		}
		writePage(w, r, page)
	}
}

// writePage answers with the client's page.
func writePage(w http.ResponseWriter, r *http.Request, page []byte) {
	h := w.Header()
	setPageSecurity(h, r)
	h.Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(page)
}

// setPageSecurity sets the headers of the client's files. The page url carries the access
// link's secret, so it must never leak through Referer; the page loads nothing from
// elsewhere and may not be framed.
func setPageSecurity(h http.Header, r *http.Request) {
	// 'self' covers the signalling WebSocket only in browsers that follow CSP 3; name it.
	connect := "'self'"
	if host := r.Host; host != "" && strings.Trim(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == "" {
		connect += " ws://" + host + " wss://" + host
	}
	h.Set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self'; "+
		"img-src 'self' data: blob:; media-src 'self' blob: mediastream:; connect-src "+connect+"; "+
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Permissions-Policy", "camera=(self), microphone=(self), display-capture=(self)")
}
