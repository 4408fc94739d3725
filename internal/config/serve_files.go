package config

// FileSource is a set of files homesoc serve tails.
type FileSource struct {
	// Paths are file names or globs ("/var/log/ulogd/*.log").
	Paths []string `yaml:"paths" json:"paths"`
	// Format is the parser of their lines, or "auto" (the default) to detect it per file.
	Format string `yaml:"format" json:"format"`
}

// checkFileSource adds the errors of file source i.
func (p *parser) checkFileSource(i int, f *FileSource) {}
