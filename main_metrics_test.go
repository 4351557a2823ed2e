package main

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestMetricsAndRetentionFlags(t *testing.T) {
	none := func(string) string { return "" }
	cfg, _, err := parseConfig("serve", nil, none, io.Discard)
	if err != nil || cfg.Metrics != "on" || cfg.AuditRetention != 0 {
		t.Fatalf("defaults: metrics %q, audit retention %v, %v", cfg.Metrics, cfg.AuditRetention, err)
	}
	for args, want := range map[string]time.Duration{"365d": 365 * 24 * time.Hour, "8760h": 8760 * time.Hour, "off": 0, "forever": 0} {
		cfg, _, err := parseConfig("serve", []string{"--audit-retention", args}, none, io.Discard)
		if err != nil || cfg.AuditRetention != want {
			t.Errorf("--audit-retention %s: %v, %v; want %v", args, cfg.AuditRetention, err, want)
		}
	}
	env := map[string]string{"CONCLAVE_METRICS": "127.0.0.1:9090", "CONCLAVE_AUDIT_RETENTION": "30d"}
	if cfg, _, err := parseConfig("serve", nil, func(k string) string { return env[k] }, io.Discard); err != nil || cfg.Metrics != "127.0.0.1:9090" || cfg.AuditRetention != 30*24*time.Hour {
		t.Errorf("from the environment: %q %v %v", cfg.Metrics, cfg.AuditRetention, err)
	}
	for _, args := range [][]string{
		{"--metrics", "maybe"}, {"--metrics", "127.0.0.1:99999"}, {"--metrics", "/metrics"},
		{"--audit-retention", "1h"}, {"--audit-retention", "soon"}, {"--audit-retention", "-5d"},
		{"--audit-retention", "99999999d"},
	} {
		if _, _, err := parseConfig("serve", args, none, io.Discard); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func get(t *testing.T, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestMetricsWhereTheFlagSays serves /metrics on the HTTP port for admins (the default),
// alone on an address of its own without credentials, or not at all.
func TestMetricsWhereTheFlagSays(t *testing.T) {
	base, _ := startServer(t, testConfig(t, t.TempDir()))
	root := strings.TrimSuffix(base, "/meet")
	tok, _ := call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)["accessToken"].(string)
	if code, _ := get(t, root+"/metrics", ""); code != http.StatusUnauthorized {
		t.Errorf("/metrics without credentials: %d", code)
	}
	code, body := get(t, root+"/metrics", tok)
	for _, want := range []string{"conclave_meetings 0", "conclave_ssh_sessions", "conclave_recording_written_bytes_total",
		"conclave_media_forwarded_bytes_total", `conclave_http_requests_total{code="200",method="POST",route="/internal-api/v1/auth/login"} 1`,
		`conclave_webhook_deliveries_total{outcome="delivered"} 0`} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("/metrics (%d) lacks %q", code, want)
		}
	}

	cfg := testConfig(t, t.TempDir())
	cfg.Metrics = "127.0.0.1:0"
	base, _, out := startServerOut(t, cfg)
	m := regexp.MustCompile(`metrics=(http://127\.0\.0\.1:\d+/metrics)`).FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("the start-up log does not say where the metrics are:\n%s", out.String())
	}
	if code, body := get(t, m[1], ""); code != http.StatusOK || !strings.Contains(body, "conclave_participants 0") {
		t.Errorf("%s: %d %.200s", m[1], code, body)
	}
	tok, _ = call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)["accessToken"].(string)
	if code, _ := get(t, strings.TrimSuffix(base, "/meet")+"/metrics", tok); code != http.StatusNotFound {
		t.Errorf("/metrics also on the HTTP port: %d", code)
	}

	cfg = testConfig(t, t.TempDir())
	cfg.Metrics = "off"
	base, _ = startServer(t, cfg)
	tok, _ = call(t, "POST", base+"/internal-api/v1/auth/login", "", map[string]string{"userId": "admin", "password": "admin"}, 200)["accessToken"].(string)
	if code, _ := get(t, strings.TrimSuffix(base, "/meet")+"/metrics", tok); code != http.StatusNotFound {
		t.Errorf("--metrics off still serves /metrics: %d", code)
	}
}
