package media

import "testing"

func TestAnswersKeepTheDTLSRole(t *testing.T) {
	answer := "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:active\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=setup:active\r\na=mid:1\r\n"
	if got := setupOf(answer); got != "active" {
		t.Fatalf("setupOf = %q", got)
	}
	want := "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=setup:passive\r\na=mid:0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=setup:passive\r\na=mid:1\r\n"
	if got := withSetup(answer, "passive"); got != want {
		t.Fatalf("withSetup:\n%q\nwant\n%q", got, want)
	}
	if setupOf("v=0\r\n") != "" || withSetup("v=0\na=setup:actpass\n", "active") != "v=0\na=setup:active\n" {
		t.Fatal("edge cases")
	}
}
