// Package config reads homesoc.yaml: strict YAML (an unknown key is an
// error at its line), ${ENV} expansion for secrets, and meaning checks
// whose messages name the thing. The route and receivers sections follow
// Prometheus Alertmanager's layout and key names.
package config

import "time"

// Default values of the route's timers, Alertmanager's.
const (
	DefaultGroupWait      = Duration(30 * time.Second)
	DefaultGroupInterval  = Duration(5 * time.Minute)
	DefaultRepeatInterval = Duration(4 * time.Hour)
	// DefaultPagerDutyURL is the Events API v2 endpoint.
	DefaultPagerDutyURL = URL("https://events.pagerduty.com/v2/enqueue")
)

// Config is a parsed homesoc.yaml. A section left out keeps its zero value,
// which means "the default" (flags and built-in defaults apply).
type Config struct {
	Store     Store      `yaml:"store" json:"store"`
	Rules     Rules      `yaml:"rules" json:"rules"`
	GeoIP     GeoIP      `yaml:"geoip" json:"geoip"`
	VPN       VPN        `yaml:"vpn" json:"vpn"`
	Scan      Scan       `yaml:"scan" json:"scan"`
	Exposure  Exposure   `yaml:"exposure" json:"exposure"`
	Console   Console    `yaml:"console" json:"console"`
	Route     *Route     `yaml:"route" json:"route"`
	Receivers []Receiver `yaml:"receivers" json:"receivers"`
	Serve     Serve      `yaml:"serve" json:"serve"`         // homesoc serve (serve.go)
	Feeds     []Feed     `yaml:"feeds" json:"feeds"`         // intel feeds fetched on a schedule (feeds.go)
	Retention Retention  `yaml:"retention" json:"retention"` // how long rows are kept (retention.go)

	file string // the name errors and messages give the file
}

// Store is where events are kept (as --store).
type Store struct {
	URL StoreURL `yaml:"url" json:"url"`
}

// Rules says where detection rules beyond the built-in ones live.
type Rules struct {
	Dirs []string `yaml:"dirs" json:"dirs"`
}

// GeoIP names the MaxMind-format databases (as --geoip-db).
type GeoIP struct {
	Databases []string `yaml:"databases" json:"databases"`
}

// VPN holds the identity settings of VPN sessions.
type VPN struct {
	MaxSession Duration `yaml:"max_session" json:"max_session_s"` // as --vpn-max-session
}

// Scan holds the scanner's defaults (as homesoc scan's flags).
type Scan struct {
	Allow           []Prefix `yaml:"allow" json:"allow"` // ranges allowed although not global unicast
	Rate            float64  `yaml:"rate" json:"rate"`   // attempts per second; 0: the built-in default
	Concurrency     int      `yaml:"concurrency" json:"concurrency"`
	HostConcurrency int      `yaml:"host_concurrency" json:"host_concurrency"`
}

// Exposure holds the defaults of intended (allowed) open ports.
type Exposure struct {
	Author  string   `yaml:"author" json:"author"`     // exposure allow add --author
	Expires Duration `yaml:"expires" json:"expires_s"` // exposure allow add --expires; 0: until removed
	Since   Duration `yaml:"since" json:"since_s"`     // exposure run --since
}

// Console is the operator console, for links in notifications.
type Console struct {
	URL URL `yaml:"url" json:"url"`
}

// Route is a node of the routing tree, as Alertmanager's route: an alert
// goes down the first child whose matchers it meets (and on to the next
// when that child has continue), and is sent to the receiver of the
// deepest route it reaches. Timers and group_by a child leaves out are its
// parent's; the top route's default to Alertmanager's.
type Route struct {
	Receiver       string    `yaml:"receiver" json:"receiver"`
	GroupBy        []string  `yaml:"group_by" json:"group_by"`
	GroupWait      Duration  `yaml:"group_wait" json:"group_wait_s"`
	GroupInterval  Duration  `yaml:"group_interval" json:"group_interval_s"`
	RepeatInterval Duration  `yaml:"repeat_interval" json:"repeat_interval_s"`
	Matchers       []Matcher `yaml:"matchers" json:"matchers"`
	Continue       bool      `yaml:"continue" json:"continue"`
	Routes         []*Route  `yaml:"routes" json:"routes"`

	line int             // of the route's first key, for messages
	keys map[string]bool // the keys the file gave it (Sets)
}

// Receiver is a named set of destinations, as Alertmanager's; jsonl_configs
// and alertmanager_configs are ours.
type Receiver struct {
	Name                string               `yaml:"name" json:"name"`
	PagerDutyConfigs    []PagerDutyConfig    `yaml:"pagerduty_configs" json:"pagerduty_configs"`
	SlackConfigs        []SlackConfig        `yaml:"slack_configs" json:"slack_configs"`
	WebhookConfigs      []WebhookConfig      `yaml:"webhook_configs" json:"webhook_configs"`
	EmailConfigs        []EmailConfig        `yaml:"email_configs" json:"email_configs"`
	JSONLConfigs        []JSONLConfig        `yaml:"jsonl_configs" json:"jsonl_configs"`
	AlertmanagerConfigs []AlertmanagerConfig `yaml:"alertmanager_configs" json:"alertmanager_configs"`

	line int
}

// PagerDutyConfig sends to PagerDuty's Events API v2.
type PagerDutyConfig struct {
	RoutingKey Secret `yaml:"routing_key" json:"routing_key"`
	URL        URL    `yaml:"url" json:"url"`           // default DefaultPagerDutyURL
	Severity   string `yaml:"severity" json:"severity"` // critical, error, warning or info; default: the alert's
}

// SlackConfig posts to a Slack incoming webhook.
type SlackConfig struct {
	APIURL  SecretURL `yaml:"api_url" json:"api_url"`
	Channel string    `yaml:"channel" json:"channel"`
}

// WebhookConfig posts our JSON body to a URL, signed with HMAC-SHA256 when
// hmac_secret is set.
type WebhookConfig struct {
	URL        SecretURL         `yaml:"url" json:"url"`
	HMACSecret Secret            `yaml:"hmac_secret" json:"hmac_secret"`
	Headers    map[string]Secret `yaml:"headers" json:"headers"`
}

// EmailConfig sends mail over SMTP, with Alertmanager's email_config keys
// and meaning: port 465 (or force_implicit_tls: true) is implicit TLS, any
// other port STARTTLS, which require_tls makes mandatory.
type EmailConfig struct {
	To           string `yaml:"to" json:"to"` // one address or a comma list
	From         string `yaml:"from" json:"from"`
	Smarthost    string `yaml:"smarthost" json:"smarthost"` // host:port
	Hello        string `yaml:"hello" json:"hello"`         // the EHLO name; default "localhost"
	AuthUsername string `yaml:"auth_username" json:"auth_username"`
	AuthPassword Secret `yaml:"auth_password" json:"auth_password"`
	AuthIdentity string `yaml:"auth_identity" json:"auth_identity"` // PLAIN's authorization identity; usually empty
	RequireTLS   *bool  `yaml:"require_tls" json:"require_tls"`     // default true
	// ForceImplicitTLS: true connects with TLS from the start, false uses
	// STARTTLS; unset, port 465 is implicit TLS and any other STARTTLS.
	ForceImplicitTLS *bool          `yaml:"force_implicit_tls" json:"force_implicit_tls"`
	TLSConfig        EmailTLSConfig `yaml:"tls_config" json:"tls_config"`
}

// EmailTLSConfig is how the SMTP server's certificate is checked, as
// Alertmanager's tls_config: home labs run relays with their own CA.
type EmailTLSConfig struct {
	CAFile             string `yaml:"ca_file" json:"ca_file"`         // PEM CA certificates to trust instead of the system's
	ServerName         string `yaml:"server_name" json:"server_name"` // the name the certificate must carry; default the smarthost's host
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify" json:"insecure_skip_verify"`
}

// JSONLConfig appends one JSON line per notification to a file.
type JSONLConfig struct {
	Path string `yaml:"path" json:"path"`
}

// AlertmanagerConfig posts alerts to an Alertmanager's /api/v2/alerts.
type AlertmanagerConfig struct {
	URL URL `yaml:"url" json:"url"`
}

// File is the name the config was read from, as its messages give it.
func (c *Config) File() string { return c.file }

// Line is the line of the route's first key (0 for a route built in code).
func (r *Route) Line() int { return r.line }

// Line is the line of the receiver's first key.
func (r *Receiver) Line() int { return r.line }

// Prefix is an address range such as 127.0.0.0/8 or ::1/128.
type Prefix string
