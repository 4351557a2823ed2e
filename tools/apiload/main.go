// Command apiload measures the REST API on loopback: requests per second and p50/p99
// latency of GET /rooms/{id}, POST /rooms and paging through every room, with a number of
// concurrent clients. By default it starts the real stack in-process on a temporary data
// directory; -url points it at a running server instead (then -api-key is needed).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"conclave/core"
	"conclave/db"
	"conclave/web"
)

func main() {
	var (
		target   = flag.String("url", "", "base URL of a running server (e.g. http://127.0.0.1:8080/meet); empty: start one in-process")
		apiKey   = flag.String("api-key", "", "API key for -url")
		clients  = flag.Int("clients", 8, "concurrent clients")
		rooms    = flag.Int("rooms", 10000, "rooms to create (POST phase) and page through")
		rate     = flag.Int("rate", 1000, "target requests/s of the paced GET phase")
		duration = flag.Duration("duration", 10*time.Second, "length of each GET phase")
		profile  = flag.String("cpuprofile", "", "write a CPU profile of the whole run (server and clients) to this file")
	)
	flag.Parse()
	if *profile != "" {
		f, err := os.Create(*profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "apiload:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "apiload:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*target, *apiKey, *clients, *rooms, *rate, *duration); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
}

func run(target, apiKey string, clients, rooms, rate int, duration time.Duration) error {
	if target == "" {
		stop, url, key, err := startInProcess()
		if err != nil {
			return err
		}
		defer stop()
		target, apiKey = url, key
	}
	if apiKey == "" {
		return fmt.Errorf("-api-key is required with -url")
	}
	tr := &http.Transport{MaxIdleConnsPerHost: clients * 2, MaxConnsPerHost: clients * 2}
	c := &client{base: target + "/api/v1", key: apiKey, http: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	fmt.Printf("Conclave REST API on loopback, %d clients, GOMAXPROCS=%d\n\n", clients, runtime.GOMAXPROCS(0))
	fmt.Printf("%-34s %10s %10s %10s %10s %8s\n", "phase", "requests", "req/s", "p50", "p99", "errors")

	// POST /rooms: create every room the later phases read.
	ids := make([]string, rooms)
	var next atomic.Int64
	res := measure(clients, func(int) (bool, time.Duration, error) {
		i := int(next.Add(1)) - 1
		if i >= rooms {
			return false, 0, nil
		}
		return timed(func() error {
			var out struct {
				RoomID string `json:"roomId"`
			}
			err := c.do("POST", "/rooms", map[string]any{"roomName": fmt.Sprintf("Load room %d", i)}, 201, &out)
			ids[i] = out.RoomID
			return err
		})
	})
	res.print("POST /rooms")

	// GET /rooms/{id}, as fast as the clients go.
	deadline := time.Now().Add(duration)
	var n atomic.Int64
	res = measure(clients, func(int) (bool, time.Duration, error) {
		if time.Now().After(deadline) {
			return false, 0, nil
		}
		id := ids[int(n.Add(1))%len(ids)]
		return timed(func() error { return c.do("GET", "/rooms/"+id, nil, 200, nil) })
	})
	res.print("GET /rooms/{id} (unpaced)")

	// GET /rooms/{id} paced at rate: the latency a user sees at that load.
	interval := time.Duration(float64(time.Second) * float64(clients) / float64(rate))
	deadline = time.Now().Add(duration)
	res = measure(clients, func(int) (bool, time.Duration, error) {
		return paced(interval, deadline, func() error {
			id := ids[int(n.Add(1))%len(ids)]
			return c.do("GET", "/rooms/"+id, nil, 200, nil)
		})
	})
	res.print(fmt.Sprintf("GET /rooms/{id} at %d/s", rate))

	// Paging: each client walks every room 100 at a time.
	var seen atomic.Int64
	tokens := make([]string, clients)
	done := make([]bool, clients)
	res = measure(clients, func(w int) (bool, time.Duration, error) {
		if done[w] {
			return false, 0, nil
		}
		path := "/rooms?maxItems=100"
		if tokens[w] != "" {
			path += "&nextPageToken=" + tokens[w]
		}
		var out struct {
			Rooms      []json.RawMessage `json:"rooms"`
			Pagination struct {
				NextPageToken *string `json:"nextPageToken"`
			} `json:"pagination"`
		}
		more, d, err := timed(func() error { return c.do("GET", path, nil, 200, &out) })
		if err != nil {
			done[w] = true
			return more, d, err
		}
		seen.Add(int64(len(out.Rooms)))
		if out.Pagination.NextPageToken == nil || *out.Pagination.NextPageToken == "" {
			done[w] = true
		} else {
			tokens[w] = *out.Pagination.NextPageToken
		}
		return more, d, nil
	})
	res.print("GET /rooms?maxItems=100 (paging)")
	fmt.Printf("\npaging: %d rooms seen by %d clients (%d each expected at least)\n", seen.Load(), clients, rooms)
	return nil
}

// paced runs fn at most once per interval per client until deadline; only fn is timed,
// not the wait that paces it.
func paced(interval time.Duration, deadline time.Time, fn func() error) (bool, time.Duration, error) {
	start := time.Now()
	if start.After(deadline) {
		return false, 0, nil
	}
	err := fn()
	lat := time.Since(start)
	if rest := interval - lat; rest > 0 {
		time.Sleep(rest)
	}
	return true, lat, err
}

// timed runs fn and says how long it took.
func timed(fn func() error) (bool, time.Duration, error) {
	start := time.Now()
	err := fn()
	return true, time.Since(start), err
}

type result struct {
	lat     []time.Duration
	errors  int
	elapsed time.Duration
}

// measure runs work on n clients until each says it is done; work reports each call's
// latency.
func measure(n int, work func(client int) (more bool, lat time.Duration, err error)) result {
	var mu sync.Mutex
	var all result
	var wg sync.WaitGroup
	start := time.Now()
	for w := range n {
		wg.Go(func() {
			var lat []time.Duration
			errs := 0
			for {
				more, d, err := work(w)
				if !more {
					break
				}
				lat = append(lat, d)
				if err != nil {
					errs++
					if errs <= 3 {
						fmt.Fprintln(os.Stderr, "error:", err)
					}
				}
			}
			mu.Lock()
			all.lat = append(all.lat, lat...)
			all.errors += errs
			mu.Unlock()
		})
	}
	wg.Wait()
	all.elapsed = time.Since(start)
	return all
}

func (r result) print(name string) {
	slices.Sort(r.lat)
	q := func(p float64) time.Duration {
		if len(r.lat) == 0 {
			return 0
		}
		return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))]
	}
	rps := float64(len(r.lat)) / r.elapsed.Seconds()
	fmt.Printf("%-34s %10d %10.0f %10s %10s %8d\n", name, len(r.lat), rps, q(0.50).Round(time.Microsecond), q(0.99).Round(time.Microsecond), r.errors)
}

type client struct {
	base, key string
	http      *http.Client
}

func (c *client) do(method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("X-API-KEY", c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: status %d: %s", method, path, resp.StatusCode, data)
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// startInProcess runs the real stack (SQLite file, core, REST) on a loopback port.
func startInProcess() (stop func(), url, key string, err error) {
	dir, err := os.MkdirTemp("", "conclave-apiload-")
	if err != nil {
		return nil, "", "", err
	}
	store, err := db.Open(filepath.Join(dir, "conclave.db"))
	if err != nil {
		return nil, "", "", err
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := core.New(store, core.Config{PublicURL: "http://127.0.0.1", BasePath: "/meet", Logger: quiet})
	if err != nil {
		return nil, "", "", err
	}
	ctx := context.Background()
	if _, err := svc.Bootstrap(ctx, false, ""); err != nil {
		return nil, "", "", err
	}
	k, err := svc.CreateAPIKey(ctx, core.System(), "apiload")
	if err != nil {
		return nil, "", "", err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", "", err
	}
	srv := &http.Server{Handler: web.New(svc, web.Options{BasePath: "/meet", Logger: quiet})}
	go srv.Serve(ln)
	stop = func() {
		srv.Close()
		store.Close()
		os.RemoveAll(dir)
	}
	return stop, "http://" + ln.Addr().String() + "/meet", k.Key, nil
}
