package web

import (
	"net/http"

	"conclave/core"
)

// Conclave's extensions for the recordings' trash and storage (docs/recordings-trash.md).

// forceParam reads DELETE's ?force=true|false.
func forceParam(r *http.Request) (bool, error) {
	q := newQuery(r)
	force := q.boolean("force")
	if err := q.err(); err != nil {
		return false, err
	}
	return force != nil && *force, nil
}

// listTrash is GET /recordings/trash: the recordings in the trash the caller may restore,
// with GET /recordings' filters and paging.
func (s *server) listTrash(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	return s.writeRecordingList(w, r, p, s.svc.ListTrash)
}

// restoreRecording is POST /recordings/{recordingId}/restore: out of the trash.
func (s *server) restoreRecording(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	rec, err := s.svc.RestoreRecording(r.Context(), p, r.PathValue("recordingId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, recordingJSON(rec))
	return nil
}

// recordingStorage is GET /internal-api/v1/recordings/storage.
func (s *server) recordingStorage(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	st, err := s.svc.RecordingStorage(r.Context(), p)
	if err != nil {
		return err
	}
	rooms := make([]object, 0, len(st.Rooms))
	for _, rs := range st.Rooms {
		var name any = rs.RoomName
		if rs.RoomName == "" {
			name = nil
		}
		rooms = append(rooms, append(object{{"roomId", rs.RoomID}, {"roomName", name}}, storageJSON(rs.StorageFigures)...))
	}
	var free any
	if st.FreeKnown {
		free = st.FreeBytes
	}
	writeJSON(w, http.StatusOK, object{
		{"total", storageJSON(st.Total)},
		{"rooms", rooms},
		{"freeBytes", free},
		{"minFreeDisk", st.MinFreeDisk},
	})
	return nil
}

func storageJSON(f core.StorageFigures) object {
	byStatus := object{}
	for _, st := range core.RecordingStatuses {
		byStatus = append(byStatus, member{st, f.Recordings[st]})
	}
	return object{{"bytes", f.Bytes}, {"trashBytes", f.TrashBytes}, {"recordings", byStatus}, {"trash", f.Trash}}
}
