package web

import "net/http"

// homeRoutes serves the pages of the browser client besides the meeting's: the home page
// at <base>/ (and a redirect there from / and <base>), and the page of a room's recording
// link, <base>/room/{roomId}/recordings. The client's script tells them apart by path.
func (s *server) homeRoutes(prefix string, page []byte) {
	s.mux.HandleFunc("GET "+prefix+"/{$}", func(w http.ResponseWriter, r *http.Request) {
		writePage(w, r, page)
	})
	if prefix != "" {
		home := func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, prefix+"/", http.StatusFound)
		}
		s.mux.HandleFunc("GET /{$}", home)
		s.mux.HandleFunc("GET "+prefix, home)
	}
	s.mux.HandleFunc("GET "+prefix+"/room/{roomId}/recordings", roomPage(page))
}
