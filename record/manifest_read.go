package record

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Manifest returns the manifest.json of the recording in dir as written, refusing one
// larger than limit bytes; fs.ErrNotExist when there is none.
func (e *Engine) Manifest(dir string, limit int64) ([]byte, error) {
	path, err := e.dirOf(dir)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(path, manifestName))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("record: read manifest of %s: %w", dir, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("record: manifest of %s is larger than %d bytes", dir, limit)
	}
	return b, nil
}
