package signal

import (
	"encoding/json"
	"testing"
)

// FuzzDecodeFrame feeds the signalling decoder arbitrary frames: it must never panic,
// every refusal must carry a code and a message a client can show, and what it accepts
// must have the members its handler relies on.
func FuzzDecodeFrame(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"offer","sdp":"v=0","sources":{"0":"camera"}}`,
		`{"v":1,"type":"answer","sdp":"v=0"}`,
		`{"v":1,"type":"candidate","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 9 typ host","sdpMid":"0"}}`,
		`{"v":1,"type":"chat","text":"hi"}`,
		`{"v":1,"type":"mute","source":"microphone","muted":true}`,
		`{"v":1,"type":"unmute","source":"screen_audio"}`,
		`{"v":1,"type":"kick","ref":"1","identity":"anon-x"}`,
		`{"v":1,"type":"setRole","ref":"2","identity":"a","action":"upgrade"}`,
		`{"v":1,"type":"endMeeting","ref":"3"}`,
		`{"v":2,"type":"chat"}`, `{"v":1}`, `[]`, `null`, `{"v":1,"type":"mute","source":"camera"}`,
		`{"v":1,"type":"candidate","candidate":null}`, `{"v":"1"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fr, bad := decodeFrame(data)
		if bad != nil {
			if bad.Type != outError || bad.Code == "" || bad.Message == "" {
				t.Fatalf("refusal without code or message: %+v", bad)
			}
			if len(bad.Ref) > maxRefBytes {
				t.Fatalf("refusal echoes an oversized ref")
			}
			if _, err := json.Marshal(bad); err != nil {
				t.Fatalf("refusal cannot be sent: %v", err)
			}
			return
		}
		if fr.V != protocolVersion {
			t.Fatalf("accepted version %d", fr.V)
		}
		switch fr.Type {
		case inOffer, inAnswer:
			if fr.SDP == "" {
				t.Fatal("accepted a description without sdp")
			}
		case inCandidate:
			if fr.Candidate == nil {
				t.Fatal("accepted a candidate frame without candidate")
			}
		case inMute:
			if fr.Muted == nil || !validSource(fr.Source) {
				t.Fatal("accepted a mute frame without muted or source")
			}
		case inUnmute:
			if !validSource(fr.Source) {
				t.Fatal("accepted an unmute frame without source")
			}
		case inKick, inMuteParticipant, inSetRole:
			if fr.Ref == "" || fr.Identity == "" {
				t.Fatal("accepted a moderation frame without ref or identity")
			}
		case inEndMeeting:
			if fr.Ref == "" {
				t.Fatal("accepted endMeeting without ref")
			}
		case inChat, inLeave:
		default:
			t.Fatalf("accepted unknown type %q", fr.Type)
		}
	})
}
