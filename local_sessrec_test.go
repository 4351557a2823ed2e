package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"conclave/cast"
	"conclave/core"
)

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLocalControlRoomIsRecorded runs `conclave` in a terminal (script(1) gives it one),
// quits the control room, and finds the local session recorded as the root admin's, with
// what the terminal showed.
func TestLocalControlRoomIsRecorded(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) (util-linux) is not installed: no terminal to run the local control room in")
	}
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
	cmd := exec.Command("script", "-q", "-f", "-e", "-c",
		"stty cols 100 rows 30 && exec "+bin+" --http "+addr+" --ssh off --rtc-port 0 --rtc-ips 127.0.0.1 --min-free-disk 1MiB --data "+dir, "/dev/null")
	cmd.Env = append(os.Environ(), "TERM=xterm-256color")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), "No rooms yet") {
		if time.Now().After(deadline) {
			t.Fatalf("the control room did not appear:\n%q", out.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := io.WriteString(in, "q"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("conclave did not stop after q:\n%q", out.String())
	}
	files, _ := filepath.Glob(filepath.Join(dir, "sessions", "*.cast"))
	if len(files) != 1 {
		t.Fatalf("recordings: %v, want one", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	c, err := cast.Parse(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if c.Damage != "" || c.Header.Width != 100 || c.Header.Height != 30 || c.Header.Env["USER"] != "admin" || c.Header.Env["CONCLAVE_VIA"] != "local" || len(c.Events) == 0 {
		t.Fatalf("header %+v, %d events, damage %q", c.Header, len(c.Events), c.Damage)
	}
	var shown strings.Builder
	for _, e := range c.Events {
		if e.Kind == 'o' {
			shown.WriteString(e.Data)
		}
	}
	if !strings.Contains(shown.String(), "No rooms yet") {
		t.Errorf("the recording lacks what the control room showed (%d bytes)", shown.Len())
	}
}

func TestSessionRecordingFlags(t *testing.T) {
	cfg, _, err := parseConfig("serve", []string{"--record-sessions", "room_member=off, user=off", "--session-retention", "720h"},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RecordSessions != "room_member=off, user=off" || cfg.SessionRetention != 720*time.Hour {
		t.Fatalf("config %q %v", cfg.RecordSessions, cfg.SessionRetention)
	}
	m, err := core.ParseRecordSessions(cfg.RecordSessions)
	if err != nil || !m[core.RoleAdmin] || m[core.RoleRoomManager] || m[core.RoleRoomMember] {
		t.Fatalf("policy %v, %v (user is the old name of room_manager)", m, err)
	}
	def, _, err := parseConfig("serve", nil, func(string) string { return "" }, io.Discard)
	if err != nil || def.SessionRetention != 90*24*time.Hour || def.RecordSessions != "" {
		t.Fatalf("defaults: %q %v %v", def.RecordSessions, def.SessionRetention, err)
	}
}
