package intel_test

import "github.com/homesoc/homesoc/internal/intel"

// goodValues are the indicator values of a format's goodLines.
func goodValues(format string) []string {
	if format == intel.FormatURLhaus {
		return []string{"http://192.0.2.1/x", "http://192.0.2.2/x"}
	}
	return []string{"192.0.2.1", "192.0.2.2"}
}
