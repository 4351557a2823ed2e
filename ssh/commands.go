package sshd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"text/tabwriter"
	"time"
	"unicode"

	"conclave/core"
)

// cmdEnv is what one scriptable command runs with.
type cmdEnv struct {
	ctx  context.Context
	svc  *core.Service
	user string
	meta core.RequestMeta
	in   io.Reader
	out  io.Writer
	errw io.Writer
	pty  bool
	port string // the port the client connected to, for the help text
}

// usageError is a command used wrongly (exit status 2).
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

// errPasswordChange answers every command but help while the user must change its
// password: core refuses them too, but this says what to do about it.
var errPasswordChange = errors.New("you must change your password before doing anything else: " +
	"sign in interactively, with a terminal and without a command, to change it")

// runCommand runs one non-interactive command and returns its exit status.
func (s *Server) runCommand(ctx context.Context, sess watchedSession, user string, args []string) int {
	_, port, _ := net.SplitHostPort(sess.LocalAddr().String())
	_, _, pty := sess.Pty()
	e := &cmdEnv{ctx: ctx, svc: s.svc, user: user, meta: sessionMeta(sess), in: sess,
		out: sess, errw: sess.Stderr(), pty: pty, port: port}
	err := e.dispatch(args)
	return e.report(s, args[0], err)
}

func (e *cmdEnv) dispatch(args []string) error {
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "--help":
		e.help()
		return nil
	case "scp", "sftp", "rsync", "sftp-server":
		return plainf("Conclave offers no file transfer")
	}
	group, ok := commands[name]
	if !ok {
		return usagef("unknown command %q", truncate(name, 64))
	}
	if len(rest) == 0 {
		return usagef("%s needs a subcommand: %s", name, strings.Join(subcommandNames(group), ", "))
	}
	run, ok := group[rest[0]]
	if !ok {
		return usagef("unknown subcommand %q of %s (one of %s)", truncate(rest[0], 64), name, strings.Join(subcommandNames(group), ", "))
	}
	// The user is read again for every command: its role or password state may have
	// changed since it signed in.
	p, err := e.svc.UserPrincipal(e.ctx, e.user, e.meta)
	if err != nil {
		return err
	}
	if p.User.MustChangePassword {
		return errPasswordChange
	}
	return run(e, p, rest[1:])
}

type runFunc func(e *cmdEnv, p *core.Principal, args []string) error

// commands maps a command group and subcommand to its implementation.
var commands = map[string]map[string]runFunc{
	"rooms":      {"ls": roomsList, "show": roomsShow},
	"members":    {"ls": membersList},
	"users":      {"ls": usersList},
	"keys":       {"add": keysAdd, "ls": keysList, "rm": keysRemove},
	"recordings": {"ls": recordingsList, "show": recordingsShow, "rm": recordingsRemove},
	// Control-room sessions and their recordings (admins).
	"sessions": {"ls": sessionsList, "export": sessionsExport},
}

func subcommandNames(group map[string]runFunc) []string {
	var names []string
	for _, n := range []string{"ls", "show", "add", "rm", "export"} {
		if _, ok := group[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// report prints err the way a script and a person can both use, and returns the exit
// status.
func (e *cmdEnv) report(s *Server, name string, err error) int {
	if err == nil {
		return exitOK
	}
	var ue usageError
	var ce *core.Error
	var pe plainError
	switch {
	case errors.As(err, &ue):
		fmt.Fprintf(e.errw, "conclave: %s (try `help`)\n", ue.msg)
		return exitUsage
	case errors.As(err, &ce) && ce.Code == "password_change_required":
		fmt.Fprintf(e.errw, "conclave: %s\n", errPasswordChange)
	case errors.As(err, &ce):
		fmt.Fprintf(e.errw, "conclave: %s\n", clean(ce.Message))
		if len(ce.Details) > 1 {
			for _, d := range ce.Details {
				fmt.Fprintf(e.errw, "  %s: %s\n", clean(d.Field), clean(d.Message))
			}
		}
	case errors.Is(err, context.Canceled):
		fmt.Fprint(e.errw, "conclave: cancelled\n")
	case errors.Is(err, errPasswordChange), errors.As(err, &pe):
		fmt.Fprintf(e.errw, "conclave: %s\n", err)
	default:
		// Not a refusal core made on purpose: the details are for the server's log only.
		s.log.Error("ssh command failed", "user", e.user, "command", name, "err", err)
		fmt.Fprint(e.errw, "conclave: internal error; the server log has the details\n")
	}
	return exitError
}

// plainError is a refusal made here, fit to show as it is.
type plainError struct{ error }

func plainf(format string, args ...any) error { return plainError{fmt.Errorf(format, args...)} }

func (e *cmdEnv) help() {
	port := e.port
	if port == "" {
		port = "PORT"
	}
	fmt.Fprintf(e.out, `Conclave control room over SSH.

  ssh -p %[1]s USER@HOST             open the control room (needs a terminal)
  ssh -p %[1]s USER@HOST COMMAND     run one command and exit

Commands:
  rooms ls [--json]            the rooms you can see
  rooms show ROOM [--json]     one room; its access links if you may share them
  members ls ROOM [--json]     a room's members (its owner and admins)
  users ls [--json]            every user (admins)
  keys add [KEY]               add an SSH public key to your account: one line of an
                               authorized_keys or .pub file, as arguments or on stdin
  keys ls [--json]             your SSH keys
  keys rm ID|FINGERPRINT       remove one of your SSH keys
  recordings ls [--room ROOM] [--status STATUS] [--json]
                               the recordings you may list
  recordings show ID [--json]  one recording: streams, who was present and spoke,
                               share links (as far as you may see them)
  recordings rm ID [--force]   move a recording to the trash; --force purges it at
                               once (admins)
  sessions ls [--json]         the latest control-room sessions (admins)
  sessions export ID           a session's recording, as an asciicast v2 file on stdout
                               (admins; play it with asciinema play FILE)
  help                         this text

Exit status: 0 on success, 1 on an error, 2 on a usage error.
`, port)
}

// parseFlags takes --json out of args; any other flag is a usage error.
func parseFlags(args []string, json *bool) ([]string, error) {
	var pos []string
	for i, a := range args {
		switch {
		case a == "--":
			return append(pos, args[i+1:]...), nil
		case a == "--json" && json != nil:
			*json = true
		case strings.HasPrefix(a, "-") && a != "-":
			return nil, usagef("unknown flag %q", truncate(a, 64))
		default:
			pos = append(pos, a)
		}
	}
	return pos, nil
}

// allPages reads a cursor-paginated listing to its end.
func allPages[T any](fetch func(token string) (core.Page[T], error)) ([]T, error) {
	all := []T{}
	token := ""
	seen := map[string]bool{}
	for {
		page, err := fetch(token)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		// A token seen before would loop forever; a store that hands one out is wrong,
		// but a command must still end.
		if page.Next == "" || seen[page.Next] {
			return all, nil
		}
		seen[page.Next] = true
		token = page.Next
	}
}

func (e *cmdEnv) writeJSON(v any) error {
	enc := json.NewEncoder(e.out)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table writes aligned columns; every cell is cleaned of control characters, so that no
// stored text can move a terminal's cursor or retitle its window.
func (e *cmdEnv) table(header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(e.out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		cells := make([]string, len(r))
		for i, c := range r {
			cells[i] = clean(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	return tw.Flush()
}

// clean replaces control characters (and tabs, which would break the columns).
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

// date renders an epoch-ms time for tables; 0 means never.
func date(ms int64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04")
}
