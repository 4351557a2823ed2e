package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"conclave/conclavetest"
	"conclave/media/mediatest"
)

// conclaveProcess runs the built binary as a server of its own, so that the test can kill
// it as a crash would.
type conclaveProcess struct {
	cmd  *exec.Cmd
	base string
	out  *bytes.Buffer
}

func startProcess(t *testing.T, bin, dir, httpAddr string) *conclaveProcess {
	t.Helper()
	out := &bytes.Buffer{}
	cmd := exec.Command(bin, "serve", "--http", httpAddr, "--ssh", "off", "--rtc-port", "0",
		"--rtc-ips", "127.0.0.1", "--data", dir, "--min-free-disk", "1MiB")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &conclaveProcess{cmd: cmd, base: "http://" + httpAddr + "/meet", out: out}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		if resp, err := http.Get(p.base + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up:\n%s", out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRecordingSurvivesSIGKILL kills the server with SIGKILL while it records a
// participant publishing real media, starts it again on the same data directory, and finds
// the recording repaired: complete, decoding without errors, as long as what was recorded
// up to the kill less at most a second (files reach the disk every second).
func TestRecordingSurvivesSIGKILL(t *testing.T) {
	mediatest.NeedNetns(t)
	conclavetest.NeedFFmpeg(t)
	bin := filepath.Join(t.TempDir(), "conclave")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	srv := startProcess(t, bin, dir, addr)

	login := call(t, "POST", srv.base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)
	adm, _ := login["accessToken"].(string)
	room := call(t, "POST", srv.base+"/api/v1/rooms", adm, map[string]any{"roomName": "Crash"}, 201)
	roomID, _ := room["roomId"].(string)
	link, _ := room["access"].(map[string]any)["anonymous"].(map[string]any)["speaker"].(map[string]any)["url"].(string)
	secret := link[strings.Index(link, "secret=")+len("secret="):]
	tok := call(t, "POST", srv.base+"/internal-api/v1/rooms/"+roomID+"/members/token", "",
		map[string]any{"secret": secret, "joinMeeting": true, "participantName": "Kim"}, 200)["token"].(string)
	c, _ := conclavetest.JoinOverWS(t, "ws"+strings.TrimPrefix(srv.base, "http")+"/ws?token="+tok, "Kim", nil)
	ivf, ogg := conclavetest.Sources(t, 10)
	stop := make(chan struct{})
	defer close(stop)
	conclavetest.PublishFiles(t, c, ivf, ogg, stop)
	time.Sleep(time.Second)
	rec := call(t, "POST", srv.base+"/api/v1/recordings", adm, map[string]any{"roomId": roomID}, 201)
	id, _ := rec["recordingId"].(string)
	start := time.Now()
	time.Sleep(4 * time.Second)
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	recorded := time.Since(start)
	_ = srv.cmd.Wait()

	srv2 := startProcess(t, bin, dir, addr)
	login = call(t, "POST", srv2.base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)
	adm, _ = login["accessToken"].(string)
	got := call(t, "GET", srv2.base+"/api/v1/recordings/"+id, adm, nil, 200)
	if got["status"] != "complete" {
		t.Fatalf("after the kill and a restart the recording is %v: %v\n%s", got["status"], got, srv2.out)
	}
	d, _ := got["duration"].(float64)
	if dur := time.Duration(d * float64(time.Second)); dur < recorded-1500*time.Millisecond || dur > recorded+500*time.Millisecond {
		t.Fatalf("repaired recording lasts %v; %v were recorded before the kill", dur, recorded)
	}
	streams, _ := got["streams"].([]any)
	if len(streams) != 1 {
		t.Fatalf("streams %v", got["streams"])
	}
	file, _ := streams[0].(map[string]any)["file"].(string)
	path := filepath.Join(dir, "recordings", roomID, strings.TrimPrefix(id, roomID+"--"), file)
	if out := conclavetest.Run(t, "ffmpeg", "-v", "error", "-i", path, "-f", "null", "-"); len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("the repaired file does not decode cleanly:\n%s", out)
	}
	var p struct {
		Format struct{ Duration string } `json:"format"`
	}
	if err := json.Unmarshal(conclavetest.Run(t, "ffprobe", "-v", "error", "-show_format", "-of", "json", path), &p); err != nil {
		t.Fatal(err)
	}
	if fd, _ := strconv.ParseFloat(p.Format.Duration, 64); fd <= 0 {
		t.Fatalf("ffprobe finds no duration: %+v", p)
	}
	// The media is served again from the repaired file.
	req, _ := http.NewRequest("GET", srv2.base+"/api/v1/recordings/"+id+"/media", nil)
	req.Header.Set("Authorization", "Bearer "+adm)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("media after repair: %d", resp.StatusCode)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatal(err)
	}
}
