package tui

import (
	"context"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// newShareLinkForm makes a share link of a recording: public or private, an optional
// password, expiry and number of uses, and downloading only for a user who may download
// it (nobody hands out more than it holds). The secret link is shown once, whole, by
// open.
func newShareLinkForm(c *common, recordingID string, mayDownload bool, open func(dialog)) *form {
	password := secretField("password", "Password")
	password.hint = "empty: none"
	password.input.CharLimit = core.MaxSharePasswordBytes
	fields := []*field{
		selectField("access", "Access", []string{core.ShareAccessPublic, core.ShareAccessPrivate}, core.ShareAccessPublic),
		noteField("  public: anyone holding the link · private: signed-in users holding it"),
		password,
		textField("expiresAt", "Expires", "", "empty: never · +7d, +12h or 2025-03-01 18:00"),
		textField("maxUses", "Max uses", "", "empty: no limit"),
	}
	if mayDownload {
		fields = append(fields, checkField("allowDownload", "Allow download", false))
	} else {
		fields = append(fields, noteField("  view only: you may not download this recording, so neither may the link"))
	}
	f := newForm(c, "New share link", "Create", fields)
	type made struct{ url string }
	var out *made
	f.validate = func(v formValues) map[string]string {
		errs := map[string]string{}
		if _, err := parseWhen(v.str("expiresAt"), c.now(), c.loc); err != nil {
			errs["expiresAt"] = err.Error()
		}
		if s := strings.TrimSpace(v.str("maxUses")); s != "" {
			if _, err := strconv.ParseInt(s, 10, 64); err != nil {
				errs["maxUses"] = "a whole number of uses, or empty for no limit"
			}
		}
		return errs
	}
	f.build = func(v formValues) submitFunc {
		in := core.NewShareLink{Access: v.str("access"), AllowDownload: v.on("allowDownload")}
		if pw := v.str("password"); pw != "" {
			in.Password = &pw
		}
		if at, _ := parseWhen(v.str("expiresAt"), c.now(), c.loc); at != 0 {
			in.ExpiresAt = &at
		}
		if s := strings.TrimSpace(v.str("maxUses")); s != "" {
			n, _ := strconv.ParseInt(s, 10, 64)
			in.MaxUses = &n
		}
		res := &made{}
		out = res
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			l, secret, err := backend.CreateShareLink(ctx, p, recordingID, in)
			if err != nil {
				return "", err
			}
			res.url = backend.ShareLinkURL(l, secret)
			return "Share link created", nil
		}
	}
	f.onSuccess = func() tea.Cmd {
		if out != nil && out.url != "" {
			// Shown as the control room shows every link: whole, on lines of its own
			// for the mouse, y copies it.
			open(newLinkView(c, showLinkMsg{
				label: "share link",
				title: "Share link created",
				lines: []string{"This is the only time the link is shown: its secret is kept only as a hash. Copy it now (y)."},
				url:   out.url,
				once:  true,
			}))
		}
		return nil
	}
	return f
}
