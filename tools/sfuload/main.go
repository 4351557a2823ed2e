// Command sfuload measures how many subscribers the media SFU can feed from one publisher on
// loopback: an in-process SFU on 127.0.0.1, one Pion publisher sending a synthetic
// ~1.5 Mbit/s VP8-like stream plus 50 packets/s of Opus-like audio, and N Pion subscribers
// that count packets, sequence gaps and latency. For comparison it runs a plain UDP relay of
// the same stream to N sockets, once with sendmmsg batches and once with one write per
// packet.
//
// It sends real UDP, so run it only inside a private network namespace:
//
//	go mod download
//	unshare -n sh -c 'ip link set lo up && go run ./tools/sfuload -subs 1,5,10'
//
// CPU figures are for the whole process: publisher, subscribers and SFU (or relay, sender and
// receivers) all run in it, and Go offers no per-goroutine CPU accounting, so they are an
// upper bound for the server alone, comparable only between rows of the same table.
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// Stream shape. The payloads are synthetic: the SFU never decodes media, so only sizes and
// rates matter. Every payload starts with its send time (8 bytes, UnixNano, big-endian) so
// receivers can measure latency.
const (
	videoPayload = 1200
	videoPPS     = 156 // 156 × 1200 B × 8 ≈ 1.5 Mbit/s
	audioPayload = 160
	audioPPS     = 50 // one Opus frame every 20 ms
)

func main() {
	subsFlag := flag.String("subs", "1,5,10,20,40", "comma-separated subscriber counts to sweep")
	duration := flag.Duration("duration", 5*time.Second, "measurement window per run")
	skipRelay := flag.Bool("norelay", false, "skip the plain UDP relay baseline")
	flag.Parse()

	var counts []int
	for _, s := range strings.Split(*subsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bad -subs value %q\n", s)
			os.Exit(2)
		}
		counts = append(counts, n)
	}

	// Pion and the SFU log connection churn at Warn; keep the table readable.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	var rows []result
	for _, n := range counts {
		r, err := runSFU(n, *duration, quiet)
		if err != nil {
			fmt.Fprintf(os.Stderr, "sfu N=%d: %v\n", n, err)
			os.Exit(1)
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "done sfu N=%d\n", n)
	}
	if !*skipRelay {
		for _, batch := range []bool{true, false} {
			for _, n := range counts {
				r, err := runRelay(n, *duration, batch)
				if err != nil {
					fmt.Fprintf(os.Stderr, "relay N=%d: %v\n", n, err)
					os.Exit(1)
				}
				rows = append(rows, r)
			}
		}
	}
	printTable(rows, *duration)
}

// result is one row of the table.
type result struct {
	mode      string
	n         int
	egressPPS float64 // packets per second received, summed over subscribers
	lossPct   float64 // sequence gaps / expected, over all subscriber tracks
	recvRatio float64 // received / (sent × N): catches loss that gaps cannot see (a dead track)
	p50, p99  time.Duration
	cpuPer1k  time.Duration // whole-process CPU per second, per 1,000 egress packets/s
}

func printTable(rows []result, d time.Duration) {
	fmt.Printf("sfuload: window %v per run; stream %d×%dB video + %d×%dB audio per second; loopback only\n",
		d, videoPPS, videoPayload, audioPPS, audioPayload)
	fmt.Println("CPU = whole-process user+sys (clients, senders and receivers included), ms of CPU per second per 1,000 egress pkt/s")
	fmt.Println("loss % = sequence gaps seen by receivers; recv/sent < 0.99 means packets still queued at the window's end (overload)")
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "mode\tN\tegress pkt/s\tloss %\trecv/sent\tp50\tp99\tCPU ms/s per 1k pkt/s\t")
	best := map[string]int{}
	for _, r := range rows {
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%.3f\t%.4f\t%v\t%v\t%.2f\t\n", r.mode, r.n, r.egressPPS, r.lossPct,
			r.recvRatio, r.p50.Round(time.Microsecond), r.p99.Round(time.Microsecond),
			float64(r.cpuPer1k)/float64(time.Millisecond))
		if r.lossPct < 1 && r.recvRatio > 0.99 && r.n > best[r.mode] {
			best[r.mode] = r.n
		}
	}
	_ = w.Flush()
	modes := slices.Sorted(func(yield func(string) bool) {
		for m := range best {
			if !yield(m) {
				return
			}
		}
	})
	for _, m := range modes {
		fmt.Printf("largest N with <1%% loss (%s): %d\n", m, best[m])
	}
	if _, ok := best["sfu"]; !ok {
		fmt.Println("largest N with <1% loss (sfu): none")
	}
}

// cpuTime is the process's user+system CPU so far. getrusage gives the same utime+stime as
// /proc/self/stat, but in microseconds rather than 10 ms clock ticks, which matters for
// 5-second windows.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// cpuPer1k normalises CPU used over a window to "CPU seconds per second, per 1,000 egress
// packets per second", so runs of different N compare directly.
func cpuPer1k(cpu, window time.Duration, egressPPS float64) time.Duration {
	if egressPPS == 0 {
		return 0
	}
	perSec := float64(cpu) / window.Seconds()
	return time.Duration(perSec / (egressPPS / 1000))
}

// percentile returns the p-th percentile (0..1) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(p * float64(len(sorted)-1))
	return sorted[i]
}
