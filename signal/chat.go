package signal

import (
	"strings"
	"time"
	"unicode/utf8"
)

// chat relays a chat message to everyone in the room who may read chat, the sender
// included. Its rate is limited with every other frame's (limits.go).
func (c *conn) chat(text string) {
	c.mu.Lock()
	perms := c.perms
	c.mu.Unlock()
	switch {
	case !perms.ChatWrite:
		c.send(errorFrame(codeChatForbidden, "You may not write in this meeting's chat"))
		return
	case strings.TrimSpace(text) == "":
		c.send(errorFrame(codeChatEmpty, "A chat message needs text"))
		return
	case utf8.RuneCountInString(text) > maxChatRunes:
		c.send(errorFrame(codeChatTooLong, "A chat message is at most 2000 characters"))
		return
	}
	f := outFrame{Type: outChat, From: c.identity, Name: c.name, Text: text, Time: time.Now().UnixMilli()}
	for _, o := range c.s.conns(c.roomID) {
		o.mu.Lock()
		read := o.perms.ChatRead
		o.mu.Unlock()
		if read {
			o.send(f)
		}
	}
}
