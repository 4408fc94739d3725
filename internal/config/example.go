package config

import _ "embed"

//go:embed example.yaml
var example string

// Example returns a commented config file that holds every key, as
// homesoc config example prints it.
func Example() string { return example }

// ExampleEnv returns the environment variables Example refers to, with
// values for checking it.
func ExampleEnv() map[string]string {
	return map[string]string{
		"PAGERDUTY_ROUTING_KEY": "R0UT1NGKEY0123456789",
		"SLACK_WEBHOOK_URL":     "https://hooks.slack.example/services/T0/B0/XXXXSECRET",
		"WEBHOOK_URL":           "https://hooks.example.org/homesoc?token=WEBHOOKTOKEN",
		"WEBHOOK_HMAC_SECRET":   "hmac-secret-value",
		"WEBHOOK_TOKEN":         "bearer-token-value",
		"SMTP_PASSWORD":         "smtp-password-value",
		"ABUSECH_AUTH_KEY":      "abusech-auth-key-value",
	}
}
