package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/term"

	"conclave/core"
	"conclave/tui"
)

// local starts every server and opens the control room in this terminal as the root
// admin. While the control room owns the terminal, logs go to <data>/conclave.log only.
// Without a terminal (a service manager, a pipe) it runs headless, as serve does.
func local(ctx context.Context, cfg config, getenv func(string) string, stdout io.Writer) error {
	if !term.IsTerminal(os.Stdin.Fd()) || !term.IsTerminal(os.Stdout.Fd()) {
		fmt.Fprintln(stdout, "conclave: no terminal for the control room; running headless (as `conclave serve`)")
		return serve(ctx, cfg, stdout, nil)
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	logPath := filepath.Join(cfg.Data, "conclave.log")
	logFile, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}
	defer logFile.Close()
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: cfg.LogLevel}))
	// Libraries that log through the default logger (the SSH server's) must not write
	// over the control room either.
	slog.SetDefault(log)
	st, err := startStack(cfg, log, stdout)
	if err != nil {
		return err
	}
	opts := st.tuiOptions()
	opts.NoColor = getenv("NO_COLOR") != ""
	opts.InitialPasswordFile = st.initialPassword
	opts.Term, opts.Tmux = getenv("TERM"), getenv("TMUX") != ""
	if opts.Tmux {
		opts.TmuxClipboard = tmuxClipboard(ctx)
	}
	opts.DarkBackground = lipgloss.HasDarkBackground(os.Stdin, os.Stdout)
	id := tui.Identity{UserID: core.RootAdminID, Meta: core.RequestMeta{Source: "local", Device: "terminal", Via: "local"}}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	opts.Context = pctx
	// The local control room is a session like those over SSH: audited and, unless
	// policy says otherwise, its output recorded (the terminal stays the program's, so
	// raw mode and resizes work as before).
	w, h, _ := term.GetSize(os.Stdout.Fd())
	rec, err := st.svc.StartTermSession(pctx, core.TermSessionStart{UserID: core.RootAdminID, Meta: id.Meta,
		Width: w, Height: h, Term: getenv("TERM")})
	if err != nil {
		_ = st.shutdown()
		return err
	}
	popts := []tea.ProgramOption{tea.WithContext(pctx)}
	if rec.Recorded {
		popts = append(popts, tea.WithOutput(recordedTerminal{File: os.Stdout, rec: rec}),
			tea.WithFilter(func(_ tea.Model, msg tea.Msg) tea.Msg {
				if m, ok := msg.(tea.WindowSizeMsg); ok {
					rec.Resize(m.Width, m.Height)
				}
				return msg
			}))
	}
	prog := tea.NewProgram(tui.New(st.svc, id, opts), popts...)
	go func() {
		// A server that stops on its own ends the control room too.
		if err := <-st.errc; err != nil {
			log.Error("server stopped", "err", err)
			cancel()
		}
	}()
	_, err = prog.Run()
	rec.End(ctx)
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		err = nil // SIGINT/SIGTERM: a normal way to stop
	}
	serr := st.shutdown()
	fmt.Fprintf(stdout, "conclave stopped; the log is in %s\n", logPath)
	return errors.Join(err, serr)
}

// tmuxClipboard asks the tmux this terminal runs in for its set-clipboard option ("on"
// lets programs set the clipboard through OSC 52); "" when it cannot be asked.
func tmuxClipboard(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "tmux", "show-options", "-gv", "set-clipboard").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// recordedTerminal is the terminal with its output also recorded. It is still the
// terminal's file (Fd and Read are os.File's), so the program finds a terminal in it.
type recordedTerminal struct {
	*os.File
	rec *core.LiveTermSession
}

func (t recordedTerminal) Write(p []byte) (int, error) {
	n, err := t.File.Write(p)
	t.rec.Output(p[:n])
	return n, err
}
