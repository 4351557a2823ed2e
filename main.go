// Command conclave is a self-hosted video meeting server with a terminal control room.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	if errors.Is(err, errHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "conclave:", err)
		os.Exit(1)
	}
}

var errHelp = errors.New("help shown")

const usage = `Usage:
  conclave [flags]              start every server and open the control room in this terminal
  conclave serve [flags]        run headless, for a service manager
  conclave backup FILE [flags]  write a consistent copy of the database while the server runs
  conclave --version            print the version, commit and Go version of this binary

Every flag has a CONCLAVE_* environment variable; the flag wins.

Flags:
`

// run is main without the process: it parses args and environment and runs a command.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		fmt.Fprintln(stdout, versionLine(debug.ReadBuildInfo()))
		return nil
	}
	cmd := ""
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "":
		cfg, _, err := parseConfig("", args, getenv, stderr)
		if err != nil {
			return err
		}
		return local(ctx, cfg, getenv, stdout)
	case "serve":
		cfg, _, err := parseConfig("serve", args, getenv, stderr)
		if err != nil {
			return err
		}
		return serve(ctx, cfg, stdout, nil)
	case "backup":
		cfg, rest, err := parseConfig("backup", args, getenv, stderr)
		if err != nil {
			return err
		}
		if len(rest) != 1 {
			return fmt.Errorf("backup needs one argument: the file to write")
		}
		return backup(ctx, cfg, rest[0], stdout)
	case "help":
		_, _, err := parseConfig("serve", []string{"-h"}, getenv, stdout)
		return err
	}
	return fmt.Errorf("unknown command %q (try conclave --help)", cmd)
}
