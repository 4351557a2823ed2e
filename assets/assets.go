// Package assets holds the files embedded in the binary: the browser client.
package assets

import "embed"

// Client is the browser client; index.html is served for every room page.
//
//go:embed client
var Client embed.FS

// Player is the recording player; index.html is served for every recording page.
//
//go:embed player
var Player embed.FS
