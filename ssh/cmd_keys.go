package sshd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"conclave/core"
)

// maxKeyInput is core's limit on an authorized_keys line plus one byte, to tell "too long"
// from "just fits".
const maxKeyInput = 16*1024 + 1

// keyJSON is a key in `keys ls --json`.
type keyJSON struct {
	ID          string `json:"id"`
	Fingerprint string `json:"fingerprint"`
	Type        string `json:"type"`
	Comment     string `json:"comment"`
	Added       int64  `json:"added"`
	LastUsed    int64  `json:"lastUsed,omitempty"`
}

// keysAdd adds one public key to the user's own keys, from the arguments or stdin.
func keysAdd(e *cmdEnv, p *core.Principal, args []string) error {
	pos, err := parseFlags(args, nil)
	if err != nil {
		return err
	}
	line := strings.Join(pos, " ")
	if line == "" {
		if line, err = e.readKeyLine(); err != nil {
			return err
		}
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return usagef("keys add needs one authorized_keys line, e.g. ssh -p %s USER@HOST keys add < ~/.ssh/id_ed25519.pub", e.portOr())
	}
	k, err := e.svc.AddSSHKey(e.ctx, p, p.User.UserID, line)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Added %s key %s (id %s)\n", k.Type, k.Fingerprint, k.ID)
	return nil
}

func (e *cmdEnv) portOr() string {
	if e.port == "" {
		return "PORT"
	}
	return e.port
}

// readKeyLine reads the key from stdin: to the end for a pipe; to Enter or ctrl-D on a
// terminal, where keystrokes arrive one by one and nothing else would end the input.
func (e *cmdEnv) readKeyLine() (string, error) {
	if e.pty {
		fmt.Fprint(e.out, "Paste one public key (a line of ~/.ssh/id_*.pub) and press Enter:\n")
	}
	var buf []byte
	chunk := make([]byte, 4096)
	for len(buf) < maxKeyInput {
		n, err := e.in.Read(chunk)
		got := chunk[:n]
		if e.pty {
			// The server's terminal does not echo: show what was pasted, cleaned of
			// anything that could steer the user's terminal.
			end := bytes.IndexAny(got, "\r\n\x04\x03")
			if end < 0 {
				fmt.Fprint(e.out, clean(string(got)))
			} else {
				fmt.Fprint(e.out, clean(string(got[:end]))+"\n")
				if got[end] == 0x03 {
					return "", plainf("cancelled")
				}
				buf = append(buf, got[:end]...)
				break
			}
		}
		buf = append(buf, got...)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
	}
	// An idle timeout closes the channel, which also looks like the end of input: a key
	// cut short must not be added.
	if err := e.ctx.Err(); err != nil {
		return "", err
	}
	if len(buf) >= maxKeyInput {
		return "", usagef("that is not one public key: more than %d bytes", maxKeyInput-1)
	}
	return string(buf), nil
}

func keysList(e *cmdEnv, p *core.Principal, args []string) error {
	var asJSON bool
	pos, err := parseFlags(args, &asJSON)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("keys ls takes no arguments")
	}
	keys, err := e.svc.ListSSHKeys(e.ctx, p, p.User.UserID)
	if err != nil {
		return err
	}
	if asJSON {
		out := make([]keyJSON, 0, len(keys))
		for _, k := range keys {
			out = append(out, keyJSON{k.ID, k.Fingerprint, k.Type, k.Comment, k.Added, k.LastUsed})
		}
		return e.writeJSON(out)
	}
	if len(keys) == 0 {
		fmt.Fprintln(e.out, "No SSH keys: add one with `keys add`.")
		return nil
	}
	rows := make([][]string, 0, len(keys))
	for _, k := range keys {
		rows = append(rows, []string{k.ID, k.Type, k.Fingerprint, k.Comment, date(k.Added), date(k.LastUsed)})
	}
	return e.table([]string{"ID", "TYPE", "FINGERPRINT", "COMMENT", "ADDED (UTC)", "LAST USED"}, rows)
}

func keysRemove(e *cmdEnv, p *core.Principal, args []string) error {
	pos, err := parseFlags(args, nil)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usagef("usage: keys rm ID|FINGERPRINT")
	}
	if err := e.svc.DeleteSSHKey(e.ctx, p, p.User.UserID, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "Removed key %s\n", clean(pos[0]))
	return nil
}
