// Command sshload measures the SSH control room: memory per open PTY session (Go heap,
// goroutine stacks and RSS of the server process, before and with the sessions open) and
// the key-press-to-frame latency over SSH on loopback (p50/p99).
//
// By default it starts the real stack in-process (SQLite on a temporary directory, core,
// sshd on 127.0.0.1:0) and runs the SSH clients in a child process, so that the memory
// measured is the server's alone. -addr targets a running server instead; then only the
// latency is measured.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"conclave/core"
	"conclave/db"
	sshd "conclave/ssh"
)

type config struct {
	addr      string
	user      string
	password  string
	sessions  int
	presses   int
	keys      []string
	keysSpec  string
	cols      int
	rows      int
	timeout   time.Duration
	child     bool
	bcryptCst int
	memprof   string
}

func main() {
	var c config
	flag.StringVar(&c.addr, "addr", "", "address of a running server (host:port); empty: start one in-process")
	flag.StringVar(&c.user, "user", "admin", "user to sign in as (password authentication)")
	flag.StringVar(&c.password, "password", "admin", "that user's password")
	flag.IntVar(&c.sessions, "sessions", 50, "concurrent PTY sessions to open and hold")
	flag.IntVar(&c.presses, "presses", 200, "key presses for the latency measurement")
	flag.StringVar(&c.keysSpec, "keys", "2,1", "comma-separated keys pressed in turn; each must change the frame "+
		"(names: tab, enter, esc, up, down, left, right; anything else is sent as typed)")
	flag.IntVar(&c.cols, "cols", 120, "terminal columns")
	flag.IntVar(&c.rows, "rows", 40, "terminal rows")
	flag.DurationVar(&c.timeout, "timeout", 2*time.Second, "how long to wait for a frame after a key press")
	flag.IntVar(&c.bcryptCst, "bcrypt-cost", 0, "bcrypt cost of the in-process server (0: core's default)")
	flag.StringVar(&c.memprof, "memprofile", "", "write a heap profile of the server with the sessions open to this file")
	flag.BoolVar(&c.child, "child", false, "internal: run the clients for an in-process parent")
	flag.Parse()
	for _, k := range strings.Split(c.keysSpec, ",") {
		c.keys = append(c.keys, keyBytes(strings.TrimSpace(k)))
	}
	var err error
	switch {
	case c.child:
		err = runChild(c)
	case c.addr != "":
		err = runRemote(c)
	default:
		err = runInProcess(c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sshload:", err)
		os.Exit(1)
	}
}

// keyBytes turns a key name into what a terminal sends for it.
func keyBytes(name string) string {
	switch name {
	case "tab":
		return "\t"
	case "enter":
		return "\r"
	case "esc":
		return "\x1b"
	case "up":
		return "\x1b[A"
	case "down":
		return "\x1b[B"
	case "right":
		return "\x1b[C"
	case "left":
		return "\x1b[D"
	}
	return name
}

// runRemote measures latency against a running server.
func runRemote(c config) error {
	cl, err := openSessions(c)
	if err != nil {
		return err
	}
	defer cl.close()
	fmt.Printf("%d PTY sessions open on %s as %s\n", len(cl.sessions), c.addr, c.user)
	return printLatency(cl.latency(c))
}

// runChild opens the sessions, says READY, waits for the parent's go-ahead, measures the
// latency and reports it on stdout.
func runChild(c config) error {
	cl, err := openSessions(c)
	if err != nil {
		return err
	}
	defer cl.close()
	fmt.Println("READY")
	if _, err := bufio.NewReader(os.Stdin).ReadString('\n'); err != nil {
		return fmt.Errorf("waiting for the parent: %w", err)
	}
	err = printLatency(cl.latency(c))
	fmt.Println("DONE")
	return err
}

func printLatency(r latencyResult, err error) error {
	if err != nil {
		return err
	}
	fmt.Printf("key-press-to-frame latency over %d presses of %q: p50 %s, p99 %s, max %s, no frame within the timeout: %d\n",
		r.n, r.keys, r.p50, r.p99, r.max, r.timeouts)
	return nil
}

// runInProcess starts the stack, measures it idle, has a child open the sessions,
// measures again and relays the child's latency figures.
func runInProcess(c config) error {
	dir, err := os.MkdirTemp("", "sshload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := db.Open(filepath.Join(dir, "conclave.db"))
	if err != nil {
		return err
	}
	defer store.Close()
	svc, err := core.New(store, core.Config{Logger: quiet, BcryptCost: c.bcryptCst})
	if err != nil {
		return err
	}
	if _, err := svc.Bootstrap(context.Background(), false, ""); err != nil {
		return err
	}
	srv, err := sshd.New(svc, sshd.Options{HostKeyPath: filepath.Join(dir, "ssh_host_ed25519_key"),
		MaxSessions: c.sessions + 1, Logger: quiet})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}()

	before := measure()
	self, err := os.Executable()
	if err != nil {
		return err
	}
	child := exec.Command(self, "-child", "-addr", ln.Addr().String(), "-user", c.user, "-password", c.password,
		"-sessions", strconv.Itoa(c.sessions), "-presses", strconv.Itoa(c.presses), "-keys", c.keysSpec,
		"-cols", strconv.Itoa(c.cols), "-rows", strconv.Itoa(c.rows), "-timeout", c.timeout.String())
	child.Stderr = os.Stderr
	toChild, err := child.StdinPipe()
	if err != nil {
		return err
	}
	fromChild, err := child.StdoutPipe()
	if err != nil {
		return err
	}
	began := time.Now()
	if err := child.Start(); err != nil {
		return err
	}
	lines := bufio.NewScanner(fromChild)
	if !lines.Scan() || lines.Text() != "READY" {
		_ = child.Wait()
		return fmt.Errorf("the client process did not open its sessions")
	}
	opened := time.Since(began)
	// Let the control rooms settle (first frames, initial loads) before measuring.
	time.Sleep(time.Second)
	with := measure()
	if c.memprof != "" {
		if err := writeHeapProfile(c.memprof); err != nil {
			return err
		}
	}
	fmt.Printf("in-process server, %d PTY sessions of %dx%d as %s (opened in %s)\n", c.sessions, c.cols, c.rows, c.user, opened.Round(time.Millisecond))
	report(before, with, c.sessions)

	fmt.Fprintln(toChild, "GO")
	for lines.Scan() {
		if lines.Text() == "DONE" {
			break
		}
		fmt.Println(lines.Text())
	}
	toChild.Close()
	if err := child.Wait(); err != nil {
		return fmt.Errorf("client process: %w", err)
	}
	time.Sleep(time.Second)
	after := measure()
	fmt.Printf("after the sessions closed: heap %s, goroutines %d (idle server had %d)\n",
		mib(after.heap), after.goroutines, before.goroutines)
	return nil
}

// sample is the server process's memory at one moment.
type sample struct {
	heap, stacks, rss uint64
	goroutines        int
}

func measure() sample {
	runtime.GC()
	debug.FreeOSMemory()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return sample{heap: m.HeapAlloc, stacks: m.StackInuse, rss: vmRSS(), goroutines: runtime.NumGoroutine()}
}

// vmRSS reads the resident set size from /proc/self/status (0 where there is none).
func vmRSS() uint64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func report(before, with sample, n int) {
	per := func(a, b uint64) string {
		if b < a {
			return "0"
		}
		return mib((b - a) / uint64(n))
	}
	fmt.Printf("%-22s %12s %12s %14s\n", "", "idle", fmt.Sprintf("%d sessions", n), "per session")
	fmt.Printf("%-22s %12s %12s %14s\n", "Go heap (live)", mib(before.heap), mib(with.heap), per(before.heap, with.heap))
	fmt.Printf("%-22s %12s %12s %14s\n", "goroutine stacks", mib(before.stacks), mib(with.stacks), per(before.stacks, with.stacks))
	fmt.Printf("%-22s %12s %12s %14s\n", "heap + stacks", mib(before.heap+before.stacks), mib(with.heap+with.stacks),
		per(before.heap+before.stacks, with.heap+with.stacks))
	fmt.Printf("%-22s %12s %12s %14s\n", "RSS (VmRSS)", mib(before.rss), mib(with.rss), per(before.rss, with.rss))
	fmt.Printf("%-22s %12d %12d %14.1f\n", "goroutines", before.goroutines, with.goroutines,
		float64(with.goroutines-before.goroutines)/float64(n))
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func mib(b uint64) string { return fmt.Sprintf("%.2f MiB", float64(b)/(1<<20)) }
