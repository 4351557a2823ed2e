package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"conclave/core"
)

// config is everything the command line and environment say.
type config struct {
	HTTP        string
	SSH         string // "off" disables the SSH control room
	RTCPort     int
	RTCIPs      []string
	RTCPublicIP string
	SSHIdle     time.Duration
	SSHMax      int
	Data        string
	PublicURL   string
	BasePath    string
	Mode        string
	LogLevel    slog.Level
	TLSCert     string
	TLSKey      string
	BehindProxy bool
	// AdminPassword comes only from CONCLAVE_ADMIN_PASSWORD: a flag would show in ps.
	AdminPassword string
	// Metrics is where GET /metrics is served: "on" (the HTTP listener, for API keys
	// and admins), "off", or a listen address of its own (no credentials asked: bind it
	// where only the scraper reaches).
	Metrics string
	// AuditRetention is how long audit entries are kept; 0 keeps them for ever.
	AuditRetention time.Duration

	// SSH limits on connections that have not signed in yet (sshd.Options).
	SSHHandshakeTimeout    time.Duration
	SSHLoginTimeout        time.Duration
	SSHMaxPreAuth          int
	SSHMaxPreAuthPerSource int
	SSHPreAuthReserved     int // 0: sshd's default, a quarter of SSHMaxPreAuth
	// HTTPBodyTimeout bounds the reading of a request body (web.Options.BodyTimeout).
	HTTPBodyTimeout time.Duration
	// WSFrameRate is the frames per second one signalling connection may send in all
	// (signal.Limits.Frames, bursts of twice that); the per-kind limits are signal's.
	WSFrameRate int
	// Recording is the server switch as given on the command line ("on", "off", or ""
	// when not given: the value admins last set, on by default).
	Recording string
	// MinFreeDisk is the free space below which recordings do not start, and running
	// ones stop as limit_reached.
	MinFreeDisk uint64
	// RecordingTrash is how long a deleted recording stays in the trash.
	RecordingTrash time.Duration
	// RecordSessions is the per-role control-room recording policy as given
	// ("admin=on,room_manager=on,room_member=off"; "" when not given).
	RecordSessions string
	// SessionRetention is how long control-room session recordings are kept.
	SessionRetention time.Duration
}

// parseConfig reads flags, with CONCLAVE_* variables as their defaults (flag wins).
func parseConfig(name string, args []string, getenv func(string) string, out io.Writer) (config, []string, error) {
	var c config
	fs := flag.NewFlagSet(strings.TrimSpace("conclave "+name), flag.ContinueOnError)
	fs.SetOutput(out)
	env := func(flagName, def string) string {
		if v := getenv("CONCLAVE_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))); v != "" {
			return v
		}
		return def
	}
	str := func(p *string, name, def, help string) {
		fs.StringVar(p, name, env(name, def), help+" (CONCLAVE_"+strings.ToUpper(strings.ReplaceAll(name, "-", "_"))+")")
	}
	str(&c.HTTP, "http", ":8080", "HTTP listen address: browser client, REST API")
	str(&c.SSH, "ssh", ":2222", `SSH listen address of the control room ("off" disables it)`)
	var rtcPort, rtcIPs string
	str(&rtcPort, "rtc-port", "7882", "the one UDP port of all WebRTC media")
	str(&rtcIPs, "rtc-ips", "", "comma list of addresses for media (default: all local addresses)")
	str(&c.RTCPublicIP, "rtc-public-ip", "", "address announced to browsers for media (NAT 1:1)")
	var idle, maxSessions string
	str(&idle, "ssh-idle-timeout", "15m", "end SSH sessions idle this long")
	str(&maxSessions, "ssh-max-sessions", "50", "SSH sessions allowed at once")
	var handshake, login, maxPreAuth, perSource, reserved string
	str(&handshake, "ssh-handshake-timeout", "10s", "close SSH connections that have not finished the key exchange by then")
	str(&login, "ssh-login-timeout", "30s", "close SSH connections that have not signed in and opened a session by then")
	str(&maxPreAuth, "ssh-max-preauth", "64", "SSH connections not signed in yet, in total")
	str(&perSource, "ssh-max-preauth-per-source", "10", "SSH connections not signed in yet, per source address (IPv6: per /64)")
	str(&reserved, "ssh-preauth-reserved", "", "of --ssh-max-preauth, slots only for addresses that signed in before (default a quarter)")
	var bodyTimeout, wsRate string
	str(&bodyTimeout, "http-body-timeout", "10s", "answer 408 to a request whose body has not arrived in full by then")
	str(&wsRate, "ws-frame-rate", "50", "signalling frames per second one connection may send in all (bursts of twice that)")
	var minFree, trash string
	str(&trash, "recording-trash", "168h", "how long a deleted recording stays in the trash, restorable, before it is purged (1m to 87600h)")
	str(&c.Recording, "recording", "", "server switch for every recording: on or off (default: as admins last set it, on)")
	var sessRetention string
	str(&c.RecordSessions, "record-sessions", "", "which roles' control-room sessions are recorded, e.g. admin=on,room_manager=on,room_member=off (default: as admins last set it, all on)")
	str(&sessRetention, "session-retention", "2160h", "how long control-room session recordings are kept (1h to 87600h)")
	str(&minFree, "min-free-disk", "1GiB", "free disk below which recordings do not start and running ones stop (e.g. 500MiB, 2GiB)")
	str(&c.Metrics, "metrics", "on", `Prometheus metrics at /metrics: "on" (the HTTP listener, API key or admin sign-in), "off", or a listen address of their own without credentials (e.g. 127.0.0.1:9090)`)
	var auditRetention string
	str(&auditRetention, "audit-retention", "0", "how long audit entries are kept before the janitor deletes them (e.g. 365d, 8760h; 0 keeps them for ever)")
	str(&c.Data, "data", "./data", "data directory: database, recordings, keys, log")
	str(&c.PublicURL, "public-url", "", "base of every URL the server hands out (default: from --http, e.g. http://localhost:8080)")
	str(&c.BasePath, "base-path", "/meet", "path prefix of the REST API and web pages")
	str(&c.Mode, "mode", "local", "local (admin/admin, HTTP allowed) or production")
	var level string
	str(&level, "log-level", "info", "debug, info, warn or error")
	str(&c.TLSCert, "tls-cert", "", "TLS certificate file (production mode needs TLS or --behind-proxy)")
	str(&c.TLSKey, "tls-key", "", "TLS private key file")
	behind := env("behind-proxy", "false")
	fs.BoolVar(&c.BehindProxy, "behind-proxy", behind == "true" || behind == "1",
		"TLS ends at a reverse proxy; trust its X-Forwarded-For (CONCLAVE_BEHIND_PROXY)")
	fs.Usage = func() {
		fmt.Fprint(out, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, nil, errHelp
		}
		return c, nil, err
	}
	c.AdminPassword = getenv("CONCLAVE_ADMIN_PASSWORD")
	var err error
	if c.SSHIdle, err = time.ParseDuration(idle); err != nil || c.SSHIdle <= 0 {
		return c, nil, fmt.Errorf("--ssh-idle-timeout %q: want a duration such as 15m", idle)
	}
	if c.SSHMax, err = strconv.Atoi(maxSessions); err != nil || c.SSHMax < 1 || c.SSHMax > 10000 {
		return c, nil, fmt.Errorf("--ssh-max-sessions %q: want a number from 1 to 10000", maxSessions)
	}
	if c.SSHHandshakeTimeout, err = positiveDuration("ssh-handshake-timeout", handshake); err != nil {
		return c, nil, err
	}
	if c.SSHLoginTimeout, err = positiveDuration("ssh-login-timeout", login); err != nil {
		return c, nil, err
	}
	if c.SSHLoginTimeout < c.SSHHandshakeTimeout {
		return c, nil, fmt.Errorf("--ssh-login-timeout %s is shorter than --ssh-handshake-timeout %s: signing in comes after the key exchange", login, handshake)
	}
	if c.SSHMaxPreAuth, err = strconv.Atoi(maxPreAuth); err != nil || c.SSHMaxPreAuth < 1 || c.SSHMaxPreAuth > 100000 {
		return c, nil, fmt.Errorf("--ssh-max-preauth %q: want a number from 1 to 100000", maxPreAuth)
	}
	if c.SSHMaxPreAuthPerSource, err = strconv.Atoi(perSource); err != nil || c.SSHMaxPreAuthPerSource < 1 || c.SSHMaxPreAuthPerSource > c.SSHMaxPreAuth {
		return c, nil, fmt.Errorf("--ssh-max-preauth-per-source %q: want a number from 1 to --ssh-max-preauth (%d)", perSource, c.SSHMaxPreAuth)
	}
	if reserved != "" {
		if c.SSHPreAuthReserved, err = strconv.Atoi(reserved); err != nil || c.SSHPreAuthReserved < 1 || c.SSHPreAuthReserved >= c.SSHMaxPreAuth {
			return c, nil, fmt.Errorf("--ssh-preauth-reserved %q: want a number from 1 to %d, below --ssh-max-preauth so that a new address can still sign in", reserved, c.SSHMaxPreAuth-1)
		}
	}
	if c.HTTPBodyTimeout, err = positiveDuration("http-body-timeout", bodyTimeout); err != nil {
		return c, nil, err
	}
	if c.WSFrameRate, err = strconv.Atoi(wsRate); err != nil || c.WSFrameRate < 1 || c.WSFrameRate > 10000 {
		return c, nil, fmt.Errorf("--ws-frame-rate %q: want a number of frames per second from 1 to 10000", wsRate)
	}
	if c.Recording != "" && c.Recording != "on" && c.Recording != "off" {
		return c, nil, fmt.Errorf("--recording %q: want on or off", c.Recording)
	}
	if c.MinFreeDisk, err = parseBytes(minFree); err != nil {
		return c, nil, fmt.Errorf("--min-free-disk %q: want a size such as 500MiB or 1GiB", minFree)
	}
	if c.AuditRetention, err = parseRetention(auditRetention); err != nil || core.CheckAuditRetention(c.AuditRetention) != nil {
		return c, nil, fmt.Errorf("--audit-retention %q: want 0 (keep for ever) or a duration from 1d to 36500d, such as 365d or 8760h", auditRetention)
	}
	if err := checkMetricsFlag(c.Metrics); err != nil {
		return c, nil, err
	}
	if c.RecordingTrash, err = time.ParseDuration(trash); err != nil || core.CheckRecordingTrash(c.RecordingTrash) != nil {
		return c, nil, fmt.Errorf("--recording-trash %q: want a duration from 1m to 87600h (3650 days), such as 168h", trash)
	}
	if _, err := core.ParseRecordSessions(c.RecordSessions); err != nil {
		return c, nil, fmt.Errorf("--%w", err)
	}
	if c.SessionRetention, err = time.ParseDuration(sessRetention); err != nil || c.SessionRetention < time.Hour || c.SessionRetention > 87600*time.Hour {
		return c, nil, fmt.Errorf("--session-retention %q: want a duration from 1h to 87600h (3650 days), such as 2160h", sessRetention)
	}
	if c.RTCPort, err = strconv.Atoi(rtcPort); err != nil || c.RTCPort < 0 || c.RTCPort > 65535 {
		return c, nil, fmt.Errorf("--rtc-port %q: want a UDP port number", rtcPort)
	}
	for _, ip := range strings.Split(rtcIPs, ",") {
		if ip = strings.TrimSpace(ip); ip == "" {
			continue
		}
		if net.ParseIP(ip) == nil {
			return c, nil, fmt.Errorf("--rtc-ips: %q is not an IP address", ip)
		}
		c.RTCIPs = append(c.RTCIPs, ip)
	}
	if c.RTCPublicIP != "" && net.ParseIP(c.RTCPublicIP) == nil {
		return c, nil, fmt.Errorf("--rtc-public-ip %q is not an IP address", c.RTCPublicIP)
	}
	if err := c.LogLevel.UnmarshalText([]byte(level)); err != nil {
		return c, nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return c, fs.Args(), c.check()
}

// parseBytes reads a size such as 1GiB, 500MiB, 64KiB or a plain number of bytes.
func parseBytes(v string) (uint64, error) {
	v = strings.TrimSpace(v)
	mult := uint64(1)
	for _, u := range []struct {
		suffix string
		m      uint64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}} {
		if strings.HasSuffix(v, u.suffix) {
			v, mult = strings.TrimSpace(strings.TrimSuffix(v, u.suffix)), u.m
			break
		}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > (1<<62)/mult {
		return 0, fmt.Errorf("bad size %q", v)
	}
	return n * mult, nil
}

// parseRetention reads a duration that may count days ("365d") as well as Go's units;
// "0", "off" and "forever" mean no limit.
func parseRetention(v string) (time.Duration, error) {
	switch v = strings.TrimSpace(v); v {
	case "0", "off", "forever":
		return 0, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 1_000_000 {
			return 0, fmt.Errorf("bad number of days %q", days)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// checkMetricsFlag accepts on, off or a listen address (host:port, host optional).
func checkMetricsFlag(v string) error {
	switch v {
	case "on", "off":
		return nil
	}
	if _, port, err := net.SplitHostPort(v); err == nil {
		if n, err := strconv.Atoi(port); err == nil && n >= 0 && n <= 65535 {
			return nil
		}
	}
	return fmt.Errorf(`--metrics %q: want on, off or a listen address such as 127.0.0.1:9090`, v)
}

// positiveDuration parses the value of flag name, which must be a duration above zero.
func positiveDuration(name, v string) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("--%s %q: want a duration such as 10s", name, v)
	}
	return d, nil
}

func (c *config) check() error {
	switch c.Mode {
	case "local", "production":
	default:
		return fmt.Errorf("--mode %q: want local or production", c.Mode)
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--public-url %q: want an absolute http(s) URL such as https://meet.example.com", c.PublicURL)
		}
	}
	if strings.ContainsAny(c.BasePath, " ?#") {
		return fmt.Errorf("--base-path %q: want a path such as /meet", c.BasePath)
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.Mode == "production" && c.TLSCert == "" && !c.BehindProxy {
		return errors.New("production mode needs TLS (--tls-cert and --tls-key) or --behind-proxy")
	}
	if c.Data == "" {
		return errors.New("--data must not be empty")
	}
	return nil
}

// publicURLFor is the public URL when --public-url is not given: the address the HTTP
// server listens on, with "localhost" for every interface (":8080", "0.0.0.0:8080").
func publicURLFor(listen string, tls bool) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	scheme, def := "http", "80"
	if tls {
		scheme, def = "https", "443"
	}
	hostport := net.JoinHostPort(host, port)
	if port == def {
		hostport = strings.TrimSuffix(hostport, ":"+port) // "[::1]:80" → "[::1]"
	}
	return scheme + "://" + hostport
}

// publicURLMismatch says why links built on publicURL would not reach a server listening
// on listen, "" when they may: a port other than the one listened on is fine only behind
// a proxy, which forwards it.
func publicURLMismatch(publicURL, listen string, behindProxy bool) string {
	if behindProxy {
		return ""
	}
	u, err := url.Parse(publicURL)
	if err != nil {
		return ""
	}
	_, lport, err := net.SplitHostPort(listen)
	if err != nil {
		return ""
	}
	pport := u.Port()
	if pport == "" {
		pport = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if pport != lport {
		return fmt.Sprintf("--public-url %s points at port %s, but HTTP listens on port %s: the links handed out will not reach this server unless a proxy forwards them (--behind-proxy)", publicURL, pport, lport)
	}
	return ""
}
