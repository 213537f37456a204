package runtime

// SettingsError lists every problem found by Settings.Validate.
type SettingsError struct {
	Problems []SettingProblem
}

// SettingProblem is one invalid setting.
type SettingProblem struct {
	Key     string // snake_case key, e.g. "token_ttl"
	Message string // what is wrong and how to fix it
}

func (e *SettingsError) Error() string {
	msg := "authentify: invalid settings:"
	for _, p := range e.Problems {
		msg += "\n  " + p.Key + ": " + p.Message
	}
	return msg
}

// Validate reports every invalid setting at once as a *SettingsError.
func (s Settings) Validate() error {
	// TODO(runtime-core helper): implement.
	return nil
}
