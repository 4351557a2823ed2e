// Command sfuload measures the media SFU's fan-out on loopback. The server process (this one)
// runs the SFU on 127.0.0.1; a child process (this binary again, with the hidden -role clients)
// runs the Pion clients, talking to the SFU's peers over a pipe as the WebSocket signalling
// layer would and sending media over UDP. So the CPU figures, from getrusage of this process
// only, are the server's own.
//
// Phases:
//   - fan-out: one publisher (a synthetic ~1.5 Mbit/s VP8-sized stream plus 50 packets/s of
//     Opus-sized audio) to N subscribers, for each N of -subs, with egress batching and
//     (with -compare) without it (media.Config.NoBatch);
//   - meetings: -rooms rooms of -size participants, everyone publishing that stream (with
//     -record also with every room recorded to disk, alternating recorded and not, for
//     the cost of recording side by side);
//   - relay: a plain UDP relay (no WebRTC) to -relayn sockets, offered -relayrate datagrams/s
//     (far more than it can send), with one sendto per datagram and with sendmmsg batches of
//     64, for its ceiling.
//
// It sends real UDP, so run it only inside a private network namespace:
//
//	go mod download
//	unshare -n sh -c 'ip link set lo up && go run ./tools/sfuload'
package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
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
	subsFlag := flag.String("subs", "10,40,80,160,240,320", "comma-separated subscriber counts to sweep (empty: none)")
	duration := flag.Duration("duration", 5*time.Second, "measurement window per run")
	compare := flag.Bool("compare", true, "also run each fan-out N with batching off (media.Config.NoBatch)")
	rooms := flag.Int("rooms", 10, "meetings phase: rooms (0: skip)")
	recordFlag := flag.Bool("record", false, "meetings phase: also run it with every room recorded to disk, for the cost of recording")
	size := flag.Int("size", 4, "meetings phase: participants per room, all publishing")
	relayN := flag.Int("relayn", 64, "relay phase: receiving sockets (0: skip)")
	relayRate := flag.Int("relayrate", 20000, "relay phase: datagrams/s offered to the relay's ingress")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the server during the largest batched fan-out run (without -subs, one of each meetings run, to PATH.N.MODE)")
	// The clients process's flags; not for people.
	role := flag.String("role", "server", "internal")
	sc := scenario{}
	flag.StringVar(&sc.kind, "scenario", "", "internal")
	flag.IntVar(&sc.n, "n", 0, "internal")
	flag.StringVar(&sc.to, "to", "", "internal")
	flag.IntVar(&sc.rate, "rate", 0, "internal")
	flag.Parse()

	// Pion and the SFU log connection churn at Warn; keep the output readable.
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if *role == "clients" {
		sc.rooms, sc.size = *rooms, *size
		if err := runClients(sc); err != nil {
			fmt.Fprintf(os.Stderr, "sfuload clients: %v\n", err)
			os.Exit(1)
		}
		return
	}

	var counts []int
	for _, s := range strings.Split(*subsFlag, ",") {
		if strings.TrimSpace(s) == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "bad -subs value %q\n", s)
			os.Exit(2)
		}
		counts = append(counts, n)
	}
	fail := func(what string, err error) {
		fmt.Fprintf(os.Stderr, "sfuload: %s: %v\n", what, err)
		os.Exit(1)
	}

	var sfuRows []sfuRun
	for i, n := range counts {
		modes := []bool{false}
		if *compare {
			modes = append(modes, true)
		}
		for _, noBatch := range modes {
			mode := "sfu"
			if noBatch {
				mode = "sfu-nobatch"
			}
			var prof io.Writer
			if *cpuProfile != "" && !noBatch && i == len(counts)-1 {
				f, err := os.Create(*cpuProfile)
				if err != nil {
					fail("profile", err)
				}
				defer f.Close()
				prof = f
			}
			r, err := runSFU(scenario{kind: "sfu", n: n}, mode, *duration, noBatch, false, quiet, prof)
			if err != nil {
				// An overloaded machine may not get every subscriber going: say so, keep going.
				fmt.Fprintf(os.Stderr, "sfuload: %s N=%d failed: %v\n", mode, n, err)
				r = sfuRun{mode: mode, n: n, failed: err}
			}
			sfuRows = append(sfuRows, r)
			fmt.Fprintf(os.Stderr, "done %s N=%d\n", mode, n)
		}
	}
	var meetings []sfuRun
	if *rooms > 0 && *size > 1 {
		type variant struct {
			mode         string
			noBatch, rec bool
		}
		variants := []variant{{"meetings", false, false}}
		if *compare {
			variants = append(variants, variant{"meetings-nobatch", true, false})
		}
		if *recordFlag {
			variants = append(variants, variant{"meetings-recorded", false, true}, variant{"meetings", false, false}, variant{"meetings-recorded", false, true})
		}
		for i, v := range variants {
			mode, noBatch := v.mode, v.noBatch
			var prof io.Writer
			if *cpuProfile != "" && len(counts) == 0 {
				// Without a fan-out sweep, each meetings run has its profile, PATH.N.MODE,
				// so that recorded and unrecorded runs can be compared (pprof -diff_base).
				f, err := os.Create(fmt.Sprintf("%s.%d.%s", *cpuProfile, i, mode))
				if err != nil {
					fail("profile", err)
				}
				defer f.Close()
				prof = f
			}
			r, err := runSFU(scenario{kind: "meetings", rooms: *rooms, size: *size}, mode, *duration, noBatch, v.rec, quiet, prof)
			if err != nil {
				fmt.Fprintf(os.Stderr, "sfuload: %s failed: %v\n", mode, err)
				r = sfuRun{mode: mode, n: *rooms * *size, failed: err}
			}
			meetings = append(meetings, r)
			fmt.Fprintf(os.Stderr, "done %s\n", mode)
		}
	}
	var relays []relayRun
	if *relayN > 0 {
		for _, batch := range []bool{false, true} {
			r, err := runRelay(*relayN, *relayRate, *duration, batch)
			if err != nil {
				fail("relay", err)
			}
			relays = append(relays, r)
			fmt.Fprintf(os.Stderr, "done %s\n", r.mode)
		}
	}
	printSFU(sfuRows, meetings, *duration)
	printRelay(relays)
}

// lossPct is sequence gaps over packets expected from the sequence numbers seen.
func lossPct(r report) float64 {
	if r.Expected == 0 {
		return 0
	}
	return 100 * float64(r.Expected-r.Received) / float64(r.Expected)
}

// recvRatio is received over sent × fan-out: it also catches what gaps cannot see (a stream
// that stopped, packets still queued at the window's end).
func recvRatio(r report) float64 {
	if r.Sent == 0 || r.Fanout == 0 {
		return 0
	}
	return float64(r.Received) / float64(r.Sent*int64(r.Fanout))
}

// msPerSec is CPU per second of window, in ms.
func msPerSec(cpu, d time.Duration) float64 {
	return float64(cpu) / float64(time.Millisecond) / d.Seconds()
}

func printSFU(rows, meetings []sfuRun, d time.Duration) {
	if len(rows)+len(meetings) == 0 {
		return
	}
	fmt.Printf("sfuload: window %v per run; stream %d×%dB video + %d×%dB audio per second per publisher; loopback only\n",
		d, videoPPS, videoPayload, audioPPS, audioPayload)
	fmt.Println("server CPU = user+sys of the SFU process alone (clients run in another process)")
	fmt.Println("loss = sequence gaps at the receivers; recv/sent < 0.99 means packets dropped or still queued (overload)")
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "mode\tN\tegress pkt/s\tloss %\trecv/sent\tp50\tp99\tserver CPU ms/s\tms/s per 1k pkt/s\tpkt/s per core\tavg batch\twriter waits\tclients CPU ms/s\t")
	best := map[string]int{}
	for _, r := range append(append([]sfuRun{}, rows...), meetings...) {
		if r.failed != nil {
			fmt.Fprintf(w, "%s\t%d\tfailed: not every stream flowing within 60 s (overload)\t\t\t\t\t\t\t\t\t\t\t\n", r.mode, r.n)
			continue
		}
		pps := float64(r.rep.Received) / r.d.Seconds()
		cpuMS := msPerSec(r.cpu, r.d)
		per1k, perCore := 0.0, 0.0
		if pps > 0 && cpuMS > 0 {
			per1k, perCore = cpuMS/(pps/1000), pps/(cpuMS/1000)
		}
		batch := "-"
		if r.egress.Batches > 0 {
			batch = fmt.Sprintf("%.2f", r.egress.AvgBatch())
		}
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%.3f\t%.4f\t%v\t%v\t%.0f\t%.1f\t%.0f\t%s\t%d\t%.0f\t\n", r.mode, r.n, pps,
			lossPct(r.rep), recvRatio(r.rep), time.Duration(r.rep.P50).Round(10*time.Microsecond),
			time.Duration(r.rep.P99).Round(10*time.Microsecond), cpuMS, per1k, perCore, batch,
			r.egress.Waits, r.rep.ClientCPU*1000/r.d.Seconds())
		if (r.mode == "sfu" || r.mode == "sfu-nobatch") && lossPct(r.rep) < 1 && recvRatio(r.rep) > 0.99 && r.n > best[r.mode] {
			best[r.mode] = r.n
		}
	}
	_ = w.Flush()
	for _, r := range meetings {
		if r.recWritten > 0 && r.recIn > 0 {
			fmt.Printf("%s: the recorder wrote %.2f bytes per byte of RTP payload it was given; stop to files finished %v per room\n",
				r.mode, float64(r.recWritten)/float64(r.recIn), r.recStop.Round(time.Millisecond))
		}
	}
	for _, m := range []string{"sfu", "sfu-nobatch"} {
		if len(rows) == 0 || (m == "sfu-nobatch" && best[m] == 0 && !hasMode(rows, m)) {
			continue
		}
		if n := best[m]; n > 0 {
			fmt.Printf("largest N with <1%% loss and recv/sent > 0.99 (%s): %d\n", m, n)
		} else {
			fmt.Printf("largest N with <1%% loss and recv/sent > 0.99 (%s): none\n", m)
		}
	}
}

func hasMode(rows []sfuRun, mode string) bool {
	for _, r := range rows {
		if r.mode == mode {
			return true
		}
	}
	return false
}

func printRelay(rows []relayRun) {
	if len(rows) == 0 {
		return
	}
	fmt.Println()
	fmt.Println("plain UDP relay pushed to saturation (one goroutine, so at most one core; written = handed to the kernel)")
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "mode\tN\toffered pkt/s\twritten pkt/s\treceived pkt/s\tserver CPU ms/s\twritten pkt/s per core\tp50\t")
	for _, r := range rows {
		cpuMS := msPerSec(r.cpu, r.d)
		perCore := 0.0
		if cpuMS > 0 {
			perCore = r.written / (cpuMS / 1000)
		}
		fmt.Fprintf(w, "%s\t%d\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%v\t\n", r.mode, r.n, r.offered, r.written,
			float64(r.rep.Received)/r.d.Seconds(), cpuMS, perCore,
			time.Duration(r.rep.P50).Round(10*time.Microsecond))
	}
	_ = w.Flush()
}
