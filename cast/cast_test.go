package cast_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"conclave/cast"
	"conclave/core"
)

func newDir(t testing.TB) (*cast.Dir, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "sessions")
	d, err := cast.NewDir(p)
	if err != nil {
		t.Fatal(err)
	}
	return d, p
}

func TestRoundTripKeepsOutputResizesAndModes(t *testing.T) {
	d, p := newDir(t)
	w, err := d.Create("s1", core.CastHeader{Width: 80, Height: 24, Timestamp: 1700000000, Title: "alice@127.0.0.1", Env: map[string]string{"USER": "alice"}})
	if err != nil {
		t.Fatal(err)
	}
	euro := []byte("price: 5 €, \"quoted\" \\ tab\t\x1b[1mbold\x1b[0m\r\n")
	i := strings.Index(string(euro), "€") + 1 // cut the euro sign between two writes
	w.Output(euro[:i])
	w.Output(euro[i:])
	w.Resize(100, 30)
	w.Output([]byte{0xff, 'x'}) // invalid UTF-8 becomes U+FFFD, never a broken file
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := d.Read("s1")
	if err != nil {
		t.Fatal(err)
	}
	if c.Damage != "" || c.Header.Width != 80 || c.Header.Height != 24 || c.Header.Env["USER"] != "alice" {
		t.Fatalf("header %+v damage %q", c.Header, c.Damage)
	}
	var out strings.Builder
	var resized bool
	for _, e := range c.Events {
		switch e.Kind {
		case 'o':
			out.WriteString(e.Data)
		case 'r':
			resized = e.Data == "100x30"
		}
	}
	if out.String() != string(euro)+"\ufffdx" || !resized {
		t.Fatalf("output %q resized %v", out.String(), resized)
	}
	for _, f := range []string{p, filepath.Join(p, "s1.cast")} {
		st, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		want := os.FileMode(0o600)
		if st.IsDir() {
			want = 0o700
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode %v, want %v", f, st.Mode().Perm(), want)
		}
	}
}

func TestWriterFlushesWithinASecond(t *testing.T) {
	d, p := newDir(t)
	w, err := d.Create("s2", core.CastHeader{Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	w.Output([]byte("on disk soon"))
	deadline := time.Now().Add(3 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(p, "s2.cast"))
		if strings.Contains(string(b), "on disk soon") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("output not flushed: %q", b)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestDamagedFilesReadUpToTheDamage(t *testing.T) {
	d, p := newDir(t)
	hdr := `{"version": 2, "width": 80, "height": 24}` + "\n"
	cases := map[string]struct {
		body   string
		events int
		damage string
	}{
		"truncated": {hdr + `[0.1, "o", "one"]` + "\n" + `[0.2, "o", "tw`, 1, "truncated"},
		"corrupted": {hdr + `[0.1, "o", "one"]` + "\n" + `[0.2, "o", "two"]` + "\n" + "\x00\x00garbage\n" + `[0.3, "o", "three"]` + "\n", 2, "damaged at line 4"},
		"backwards": {hdr + `[0.5, "o", "one"]` + "\n" + `[0.2, "o", "two"]` + "\n", 1, "backwards"},
		"whole":     {hdr + `[0.5, "o", "one"]` + "\n", 1, ""},
	}
	for name, tc := range cases {
		if err := os.WriteFile(filepath.Join(p, name+".cast"), []byte(tc.body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := d.Read(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if len(c.Events) != tc.events || (tc.damage == "") != (c.Damage == "") || !strings.Contains(c.Damage, tc.damage) {
			t.Errorf("%s: %d events, damage %q; want %d, %q", name, len(c.Events), c.Damage, tc.events, tc.damage)
		}
	}
	if err := os.WriteFile(filepath.Join(p, "nothdr.cast"), []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Read("nothdr"); err == nil {
		t.Error("a file without an asciicast header read without error")
	}
	if _, err := d.Read("../../etc/passwd"); err == nil {
		t.Error("a path for an id was read")
	}
}

func TestCheckSeesDamageCheaply(t *testing.T) {
	d, p := newDir(t)
	w, err := d.Create("ok", core.CastHeader{Width: 80, Height: 24})
	if err != nil {
		t.Fatal(err)
	}
	w.Output([]byte("hello"))
	size := w.Size()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := d.Check("ok", size); got != "" {
		t.Errorf("whole file: %q", got)
	}
	f := filepath.Join(p, "ok.cast")
	b, _ := os.ReadFile(f)
	if err := os.WriteFile(f, b[:len(b)-3], 0o600); err != nil {
		t.Fatal(err)
	}
	if got := d.Check("ok", size); got != "truncated" {
		t.Errorf("truncated file: %q", got)
	}
	if err := os.WriteFile(f, append(b, "junk\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := d.Check("ok", size); got == "" {
		t.Error("a garbage line at the end was not seen")
	}
	if got := d.Check("gone", 10); got != "file missing" {
		t.Errorf("missing file: %q", got)
	}
}

// BenchmarkWriterOutput is the recorder's own cost per frame: a 4 KiB frame of a control
// room (escape sequences, box drawing, text) encoded and buffered.
func BenchmarkWriterOutput(b *testing.B) {
	d, _ := newDir(b)
	w, err := d.Create("bench", core.CastHeader{Width: 120, Height: 36})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close()
	line := "\x1b[1;1H\x1b[7m Conclave \x1b[m │ Room 01 weekly review  quarterly_planning  admin  open  ╭──╮\r\n"
	frame := []byte(strings.Repeat(line, 4096/len(line)+1)[:4096])
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		w.Output(frame)
	}
}
