package tui

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// An export from the Audit tab writes the log, with the tab's filter, into a new file of
// the data directory's exports/ (tui.Options.ExportDir). Only a file name is typed, never
// a path: over SSH the control room runs as the server, and an admin's typing must not
// reach the database or the host key. The file is created new (never overwritten), 0600.

// exportJob is an export under way: its rows so far, read by the progress tick.
type exportJob struct {
	log  string
	path string
	rows atomic.Int64
}

type exportTickMsg struct{ job *exportJob }

type exportDoneMsg struct {
	job  *exportJob
	rows int
	err  error
}

var exportName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$`)

// exportForm asks for the file name of an export of log (core.ExportAudit or
// core.ExportAccess), prefilled with a dated one.
func (p *auditPage) exportForm(log string) *form {
	what := "audit log"
	if log == core.ExportAccess {
		what = "recordings' access log"
	}
	def := fmt.Sprintf("%s-%s.jsonl", log, p.c.now().In(p.c.loc).Format("20060102-150405"))
	filter := "Every entry, oldest first."
	if p.queryText != "" {
		filter = "Oldest first, those of the filter " + sanitize(p.queryText) + "."
	}
	f := newForm(p.c, "Export the "+what, "Export", []*field{
		textField("name", "File", def, "a name ending in .jsonl or .csv"),
		noteField(filter),
		noteField("Into " + sanitize(p.c.opts.ExportDir) + "."),
	})
	f.validate = func(v formValues) map[string]string {
		name := strings.TrimSpace(v.str("name"))
		switch {
		case !exportName.MatchString(name):
			return map[string]string{"name": "letters, digits, . _ - only: a name, not a path"}
		case !strings.HasSuffix(name, ".jsonl") && !strings.HasSuffix(name, ".csv"):
			return map[string]string{"name": "end it in .jsonl (JSON lines) or .csv"}
		}
		return nil
	}
	var job *exportJob
	var file *os.File
	f.build = func(v formValues) submitFunc {
		name := strings.TrimSpace(v.str("name"))
		dir := p.c.opts.ExportDir
		return func(context.Context, Backend, *core.Principal) (string, error) {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return "", fmt.Errorf("create %s: %w", dir, err)
			}
			path := filepath.Join(dir, name)
			fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
			if errors.Is(err, os.ErrExist) {
				return "", &core.Error{Kind: core.KindConflict, Message: name + " exists: choose another name"}
			} else if err != nil {
				return "", err
			}
			file, job = fh, &exportJob{log: log, path: path}
			return "Exporting to " + sanitize(name), nil
		}
	}
	f.errField = func(error) string { return "name" }
	f.onSuccess = func() tea.Cmd { return p.startExport(job, file) }
	return f
}

// startExport runs the export in a command and ticks the progress while it runs.
func (p *auditPage) startExport(job *exportJob, fh *os.File) tea.Cmd {
	p.export = job
	q := core.ExportQuery{Log: job.log, Since: p.query.Since, Until: p.query.Until, Actor: p.query.Actor, Action: p.query.Action}
	if job.log == core.ExportAudit {
		q.Target = p.query.Target
	}
	if strings.HasSuffix(job.path, ".csv") {
		q.Format = core.FormatCSV
	}
	run := p.c.call(func(ctx context.Context, backend Backend, pr *core.Principal) tea.Msg {
		w := bufio.NewWriterSize(fh, 64<<10)
		n, err := backend.ExportLog(ctx, pr, q, w, func(rows int) { job.rows.Store(int64(rows)) })
		if err == nil {
			err = w.Flush()
		}
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(job.path) // a cut export must not pass for a whole one
		}
		return exportDoneMsg{job: job, rows: n, err: err}
	})
	return tea.Batch(run, exportTick(job))
}

func exportTick(job *exportJob) tea.Cmd {
	return tea.Tick(100*time.Millisecond, func(time.Time) tea.Msg { return exportTickMsg{job} })
}

// updateExport handles the export's messages; ok is false for other messages.
func (p *auditPage) updateExport(msg tea.Msg) (bool, tea.Cmd) {
	switch m := msg.(type) {
	case exportTickMsg:
		if p.export != m.job {
			return true, nil // done: the tick stops
		}
		return true, exportTick(m.job)
	case exportDoneMsg:
		if p.export == m.job {
			p.export = nil
		}
		if m.err != nil {
			return true, flash(levelError, "Export failed, nothing kept: %s", errorText(m.err))
		}
		noun := "entries"
		if m.rows == 1 {
			noun = "entry"
		}
		return true, flash(levelInfo, "Exported %d %s to %s in exports/", m.rows, noun, sanitize(filepath.Base(m.job.path)))
	}
	return false, nil
}

// exportLine is the progress shown while an export runs.
func (p *auditPage) exportLine() string {
	if p.export == nil {
		return ""
	}
	return p.c.styles.dim.Render(fmt.Sprintf("exporting to %s … %d entries so far", sanitize(filepath.Base(p.export.path)), p.export.rows.Load()))
}
