package web

import (
	"net/http"
	"net/url"

	"conclave/core"
)

// Decoders exported to the fuzz tests of web_test.

// DecodeRoomOptions decodes a POST /rooms body.
func DecodeRoomOptions(body []byte) (core.RoomOptions, error) {
	o, err := parseObject(body)
	if err != nil {
		return core.RoomOptions{}, err
	}
	return decodeRoomOptions(o)
}

// DecodeRolesBody decodes a PUT /rooms/{roomId}/roles body.
func DecodeRolesBody(body []byte) (core.RolesPatch, error) {
	o, err := parseObject(body)
	if err != nil {
		return core.RolesPatch{}, err
	}
	return decodeRolesBody(o)
}

// DecodeNewMember decodes a POST /rooms/{roomId}/members body.
func DecodeNewMember(body []byte) (core.NewMember, error) {
	o, err := parseObject(body)
	if err != nil {
		return core.NewMember{}, err
	}
	return decodeNewMember(o)
}

// DecodeMemberPatch decodes a PUT /rooms/{roomId}/members/{memberId} body.
func DecodeMemberPatch(body []byte) (core.MemberPatch, error) {
	o, err := parseObject(body)
	if err != nil {
		return core.MemberPatch{}, err
	}
	return decodeMemberPatch(o)
}

// ParseRoomQuery reads the query string of GET /rooms.
func ParseRoomQuery(raw string) (core.RoomQuery, error) {
	return parseRoomQuery(&http.Request{URL: &url.URL{RawQuery: raw}, Header: http.Header{}})
}

// ValidPathID reports whether a path id is accepted.
func ValidPathID(id string) bool { return validPathID(id) }
