package web

import (
	"fmt"
	"net/http"

	"conclave/core"
)

// endMeeting is DELETE /meetings/{roomId}: idempotent, as in OpenVidu Meet.
func (s *server) endMeeting(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	roomID := r.PathValue("roomId")
	if err := s.svc.EndMeeting(r.Context(), p, roomID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("Meeting in room '%s' ended successfully", roomID)})
	return nil
}

// kickParticipant is DELETE /meetings/{roomId}/participants/{participantIdentity}.
func (s *server) kickParticipant(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	roomID, identity := r.PathValue("roomId"), r.PathValue("participantIdentity")
	if err := s.svc.KickParticipant(r.Context(), p, roomID, identity); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("Participant '%s' kicked successfully from meeting in room '%s'", identity, roomID)})
	return nil
}

// updateParticipantRole is PUT /meetings/{roomId}/participants/{participantIdentity}/role
// with body {action: upgrade|downgrade}.
func (s *server) updateParticipantRole(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	action := o.str("action", true)
	if err := o.p.err(); err != nil {
		return err
	}
	roomID, identity := r.PathValue("roomId"), r.PathValue("participantIdentity")
	if _, err := s.svc.ChangeParticipantRole(r.Context(), p, roomID, identity, *action); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("Moderation action %q applied to participant %q in room %q", *action, identity, roomID)})
	return nil
}

// muteParticipant is POST /meetings/{roomId}/participants/{participantIdentity}/mute with
// body {kind: audio|video|screen}, a Conclave extension.
func (s *server) muteParticipant(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	kind := o.str("kind", true)
	if err := o.p.err(); err != nil {
		return err
	}
	roomID, identity := r.PathValue("roomId"), r.PathValue("participantIdentity")
	if err := s.svc.MuteParticipant(r.Context(), p, roomID, identity, *kind); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("Participant '%s' muted (%s) in room '%s'", identity, *kind, roomID)})
	return nil
}
