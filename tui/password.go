package tui

import (
	"context"
	"errors"

	tea "charm.land/bubbletea/v2"

	"conclave/core"
)

// passwordChangedMsg tells the app that the user's password changed, so it resolves the
// principal again (a forced change lifts the restriction).
type passwordChangedMsg struct{}

// newPasswordForm is the change-password form: current, new, repeat. forced is the
// screen a user who must change its password sees first, which cannot be cancelled.
func newPasswordForm(c *common, forced bool) *form {
	title := "Change your password"
	if forced {
		title = "You must change your password before you continue"
	}
	f := newForm(c, title, "Change password", []*field{
		secretField("currentPassword", "Current password"),
		secretField("newPassword", "New password"),
		secretField("repeat", "Repeat new password"),
	})
	f.forced = forced
	f.validate = func(v formValues) map[string]string {
		errs := map[string]string{}
		if v.str("currentPassword") == "" {
			errs["currentPassword"] = "Required"
		}
		if v.str("newPassword") != v.str("repeat") {
			errs["repeat"] = "does not match the new password"
		}
		return errs
	}
	f.build = func(v formValues) submitFunc {
		cur, next := v.str("currentPassword"), v.str("newPassword")
		return func(ctx context.Context, backend Backend, p *core.Principal) (string, error) {
			if _, err := backend.ChangePassword(ctx, p, cur, next); err != nil {
				return "", err
			}
			return "Password changed", nil
		}
	}
	// core answers a wrong current password with a 400 without details.
	f.errField = func(err error) string {
		var ce *core.Error
		if errors.As(err, &ce) && ce.Kind == core.KindBadRequest {
			return "currentPassword"
		}
		return ""
	}
	f.onSuccess = func() tea.Cmd { return func() tea.Msg { return passwordChangedMsg{} } }
	return f
}
