// Package static holds the console's browser assets, embedded in the
// binary: htmx and Pico CSS (vendored from npm, see e2e/vendor.mjs) and
// Roster's own CSS and script. Nothing is fetched from another site.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
)

//go:embed app.css app.js vendor
var FS embed.FS

// Prefix is the path the assets are served under.
const Prefix = "/static/"

// versions maps each asset to a short hash of its content.
var versions = hashAll()

func hashAll() map[string]string {
	v := map[string]string{}
	_ = fs.WalkDir(FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		v[path] = hex.EncodeToString(sum[:6])
		return nil
	})
	return v
}

// URL is the address of an asset with its content hash, so it can be
// cached for a year and still change the moment the asset does.
func URL(name string) string {
	return Prefix + name + "?v=" + versions[name]
}
