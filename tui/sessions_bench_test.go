package tui_test

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"conclave/cast"
	"conclave/conclavetest"
	"conclave/core"
	"conclave/tui"
)

// countingWriter stands for the SSH channel: it counts what the terminal is sent.
type countingWriter struct{ n atomic.Int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n.Add(int64(len(p))); return len(p), nil }

// timedTee is the recorded session's output: the terminal, then the recorder, timing
// the recorder alone (what Writer does, with a clock around the recorder's part).
type timedTee struct {
	out   io.Writer
	rec   *core.LiveTermSession
	spent atomic.Int64
}

func (t *timedTee) Write(p []byte) (int, error) {
	n, err := t.out.Write(p)
	t0 := time.Now()
	t.rec.Output(p[:n])
	t.spent.Add(int64(time.Since(t0)))
	return n, err
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkSessionRecording drives two real control rooms (real core over SQLite, real
// Bubble Tea renderer) through the same keys, tab after tab and row after row, one
// recorded and one not, in alternating rounds, and reports the process's CPU time per
// key for each, the recording's overhead, and the bytes recorded per key and per minute
// at 60 keys a minute, and the time spent in the recorder itself. Run it with -benchtime=200x (b.N keys per program).
//
//	go test -run '^$' -bench BenchmarkSessionRecording -benchtime=200x ./tui
func BenchmarkSessionRecording(b *testing.B) {
	ctx := context.Background()
	files, err := cast.NewDir(filepath.Join(b.TempDir(), "sessions"))
	if err != nil {
		b.Fatal(err)
	}
	svc, _ := conclavetest.Core(b, conclavetest.Config{PublicURL: "http://meet.test", SessionFiles: files})
	admin := conclavetest.Admin(b, svc)
	for i := range 40 {
		name := fmt.Sprintf("Room %02d weekly review", i)
		if _, err := svc.CreateRoom(ctx, admin, core.RoomOptions{RoomName: &name}); err != nil {
			b.Fatal(err)
		}
	}
	meta := core.RequestMeta{Source: "192.0.2.7", Device: "SSH-2.0-bench", Via: "ssh"}
	type prog struct {
		p   *tea.Program
		out *countingWriter
		rec *core.LiveTermSession
		tee *timedTee
		cpu time.Duration
	}
	start := func(record bool) *prog {
		pr := &prog{out: &countingWriter{}}
		var w io.Writer = pr.out
		if record {
			rec, err := svc.StartTermSession(ctx, core.TermSessionStart{UserID: core.RootAdminID, Meta: meta, Width: 120, Height: 36, MapNewlines: true})
			if err != nil || !rec.Recorded {
				b.Fatalf("recording did not start: %v", err)
			}
			pr.rec, pr.tee = rec, &timedTee{out: pr.out, rec: rec}
			w = pr.tee
		}
		in, _ := io.Pipe()
		m := tui.New(svc, tui.Identity{UserID: core.RootAdminID, Meta: meta}, tui.Options{HTTPAddr: ":8080", SSHAddr: ":2222", BaseURL: "http://meet.test/meet"})
		pr.p = tea.NewProgram(m, tea.WithInput(in), tea.WithOutput(w), tea.WithWindowSize(120, 36),
			tea.WithoutSignalHandler(), tea.WithEnvironment([]string{"TERM=xterm-256color"}))
		go pr.p.Run()
		return pr
	}
	plain, recorded := start(false), start(true)
	defer plain.p.Kill()
	defer recorded.p.Kill()
	time.Sleep(500 * time.Millisecond)
	keys := []tea.KeyPressMsg{{Code: '1'}, {Code: 'j'}, {Code: 'j'}, {Code: '2'}, {Code: '3'}, {Code: 'j'}, {Code: '4'}, {Code: '5'}, {Code: '6'}, {Code: '1'}, {Code: 'k'}}
	const rounds = 5
	per := max(b.N/rounds, 1)
	b.ResetTimer()
	var recWall time.Duration
	for round := range rounds {
		for _, pr := range []*prog{plain, recorded} {
			if round%2 == 1 { // alternate which goes first
				pr = map[*prog]*prog{plain: recorded, recorded: plain}[pr]
			}
			t0, w0 := cpuTime(), time.Now()
			for i := range per {
				pr.p.Send(keys[i%len(keys)])
				time.Sleep(20 * time.Millisecond) // a frame (60 fps) and the page's load land
			}
			pr.cpu += cpuTime() - t0
			if pr == recorded {
				recWall += time.Since(w0)
			}
		}
	}
	b.StopTimer()
	n := float64(per * rounds)
	size := recorded.rec.Size()
	recorded.rec.End(ctx)
	b.ReportMetric(float64(plain.cpu.Microseconds())/n, "cpu-µs/key-plain")
	b.ReportMetric(float64(recorded.cpu.Microseconds())/n, "cpu-µs/key-recorded")
	// The whole-process comparison includes the machine's noise (other processes share its
	// two cores); the time spent in the recorder itself is the exact part.
	b.ReportMetric(100*(float64(recorded.cpu)-float64(plain.cpu))/float64(plain.cpu), "%overhead-process")
	b.ReportMetric(float64(recorded.tee.spent.Load())/1e3/n, "recorder-µs/key")
	b.ReportMetric(100*float64(recorded.tee.spent.Load())/float64(plain.cpu), "%recorder-of-cpu")
	b.ReportMetric(float64(size)/n, "B/key")
	b.ReportMetric(float64(size)/n*60, "B/min@60keys")
	b.ReportMetric(float64(size)/recWall.Minutes(), "B/min-as-driven")
	b.Logf("terminal sent %d B (plain) and %d B (recorded); recording %d B for %d keys each", plain.out.n.Load(), recorded.out.n.Load(), size, per*rounds)
}
