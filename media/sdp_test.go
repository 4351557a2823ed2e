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

func TestPublishedCountsSendingLines(t *testing.T) {
	offer := "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendrecv\r\n" +
		"m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:s1\r\na=recvonly\r\n" +
		"m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:2\r\na=sendonly\r\n"
	if n := publishedIn(offer); n != 2 {
		t.Fatalf("publishedIn = %d, want 2 (recvonly and rejected lines do not count)", n)
	}
	if publishedIn("garbage") != 0 {
		t.Fatal("garbage counted")
	}
}
