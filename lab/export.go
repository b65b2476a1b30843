package lab

// ZoneFiles maps the origin of each zone of the scenario to the base name of
// the file it was read from, so that the very same files can be handed to
// another server: the e2e suite serves them with BIND.
func (s *Scenario) ZoneFiles() map[string]string {
	out := make(map[string]string, len(s.zones))
	for _, z := range s.zones {
		out[z.origin] = z.file
	}
	return out
}
