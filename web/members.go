package web

import (
	"fmt"
	"net/http"

	"conclave/core"
)

// decodeNewMember reads the body of POST /rooms/{roomId}/members.
func decodeNewMember(o *obj) (core.NewMember, error) {
	var in core.NewMember
	if v := o.str("userId", false); v != nil {
		in.UserID = *v
	}
	if v := o.str("name", false); v != nil {
		in.Name = *v
	}
	if v := o.str("baseRole", true); v != nil {
		in.BaseRole = *v
	}
	in.Custom = o.permissions("customPermissions")
	return in, o.p.err()
}

// decodeMemberPatch reads the body of PUT /rooms/{roomId}/members/{memberId}; it must
// change something, since every update revokes the member's tokens.
func decodeMemberPatch(o *obj) (core.MemberPatch, error) {
	var in core.MemberPatch
	in.BaseRole = o.str("baseRole", false)
	if o.has("customPermissions") {
		if set := o.permissions("customPermissions"); set != nil {
			in.Custom = &set
		}
	}
	if !o.has("baseRole") && !o.has("customPermissions") {
		o.p.add("body", "Expected baseRole or customPermissions")
	}
	return in, o.p.err()
}

// addMember is POST /rooms/{roomId}/members.
func (s *server) addMember(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	in, err := decodeNewMember(o)
	if err != nil {
		return err
	}
	m, room, err := s.svc.AddMember(r.Context(), p, r.PathValue("roomId"), in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", s.svc.BaseURL()+"/api/v1/rooms/"+m.RoomID+"/members/"+m.MemberID)
	writeJSON(w, http.StatusCreated, s.memberView(m, room, selectionOf(r)))
	return nil
}

// listMembers is GET /rooms/{roomId}/members.
func (s *server) listMembers(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	q := newQuery(r)
	mq := core.MemberQuery{
		ListOptions: q.listOptions("membershipDate"),
		RoomID:      r.PathValue("roomId"),
		Name:        q.text("name"),
		Type:        q.oneOf("type", core.MemberTypeUser, core.MemberTypeGuest),
		BaseRole:    q.oneOf("baseRole", core.BaseRoleModerator, core.BaseRoleSpeaker),
	}
	if err := q.err(); err != nil {
		return err
	}
	page, room, err := s.svc.ListMembers(r.Context(), p, mq)
	if err != nil {
		return err
	}
	sel := selectionOf(r)
	members := make([]object, 0, len(page.Items))
	for i := range page.Items {
		m := &page.Items[i]
		members = append(members, sel.project(s.memberJSON(m, room), memberExtraFields))
	}
	writeJSON(w, http.StatusOK, object{
		{"members", members},
		{"_extraFields", memberExtraFields},
		{"pagination", pageInfo(page.Next, mq.MaxItems)},
	})
	return nil
}

// getMember is GET /rooms/{roomId}/members/{memberId}; a member may read itself with its
// room-member token.
func (s *server) getMember(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	m, room, err := s.svc.GetMember(r.Context(), p, r.PathValue("roomId"), r.PathValue("memberId"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.memberView(m, room, selectionOf(r)))
	return nil
}

// updateMember is PUT /rooms/{roomId}/members/{memberId}.
func (s *server) updateMember(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	o, err := readObject(w, r)
	if err != nil {
		return err
	}
	in, err := decodeMemberPatch(o)
	if err != nil {
		return err
	}
	m, room, err := s.svc.UpdateMember(r.Context(), p, r.PathValue("roomId"), r.PathValue("memberId"), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.memberView(m, room, selectionOf(r)))
	return nil
}

// deleteMember is DELETE /rooms/{roomId}/members/{memberId}.
func (s *server) deleteMember(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	roomID, memberID := r.PathValue("roomId"), r.PathValue("memberId")
	if err := s.svc.DeleteMember(r.Context(), p, roomID, memberID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, message{fmt.Sprintf("Member '%s' deleted successfully from room '%s'", memberID, roomID)})
	return nil
}

// bulkDeleteMembers is DELETE /rooms/{roomId}/members?memberIds=a,b.
func (s *server) bulkDeleteMembers(w http.ResponseWriter, r *http.Request, p *core.Principal) error {
	res, err := s.svc.BulkDeleteMembers(r.Context(), p, r.PathValue("roomId"), newQuery(r).ids("memberIds"))
	if err != nil {
		return err
	}
	writeBulk(w, "memberId", res, "All room members deleted successfully", "%d room member(s) could not be deleted")
	return nil
}
