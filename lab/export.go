package lab

// ZoneFiles maps the origin of each zone of the scenario to the base name of
// the file it was read from, so that the very same files can be handed to
// another server: the e2e suite serves them with BIND. A zone with several
// copies maps to the first, by file name.
func (s *Scenario) ZoneFiles() map[string]string {
	out := make(map[string]string, len(s.zones))
	for _, z := range s.zones {
		if _, ok := out[z.origin]; !ok {
			out[z.origin] = z.file
		}
	}
	return out
}
