package chtest

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"text/template"
)

// identifier is what cluster names and macro names may be: they become XML
// element names in the server's config.
var identifier = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// serverConfig is everything config.xml says about one server.
type serverConfig struct {
	Dir                                string // absolute, no trailing slash
	HTTPPort, TCPPort, InterserverPort int
	Clusters                           []clusterConfig
	ZooKeeper                          []hostPort
	Macros                             []macro
}

type clusterConfig struct {
	Name   string
	Shards []hostPort
}

type hostPort struct {
	Host string
	Port int
}

type macro struct{ Name, Value string }

// newServerConfig checks what Options say about a server's config and puts
// it in the order config.xml lists it.
func newServerConfig(dir string, o Options) (serverConfig, error) {
	c := serverConfig{Dir: dir, HTTPPort: o.HTTPPort, TCPPort: o.TCPPort, InterserverPort: o.InterserverPort}
	names := make([]string, 0, len(o.Clusters))
	for name := range o.Clusters {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		if !identifier.MatchString(name) {
			return serverConfig{}, fmt.Errorf("cluster name %q: want letters, digits and _", name)
		}
		shards := o.Clusters[name]
		if len(shards) == 0 {
			return serverConfig{}, fmt.Errorf("cluster %q has no shards", name)
		}
		cc := clusterConfig{Name: name}
		for _, addr := range shards {
			hp, err := parseHostPort(addr)
			if err != nil {
				return serverConfig{}, fmt.Errorf("cluster %q: %w", name, err)
			}
			cc.Shards = append(cc.Shards, hp)
		}
		c.Clusters = append(c.Clusters, cc)
	}
	for _, addr := range o.ZooKeeper {
		hp, err := parseHostPort(addr)
		if err != nil {
			return serverConfig{}, fmt.Errorf("zookeeper: %w", err)
		}
		c.ZooKeeper = append(c.ZooKeeper, hp)
	}
	macroNames := make([]string, 0, len(o.Macros))
	for name := range o.Macros {
		macroNames = append(macroNames, name)
	}
	sort.Strings(macroNames)
	for _, name := range macroNames {
		if !identifier.MatchString(name) {
			return serverConfig{}, fmt.Errorf("macro name %q: want letters, digits and _", name)
		}
		c.Macros = append(c.Macros, macro{name, o.Macros[name]})
	}
	return c, nil
}

func parseHostPort(addr string) (hostPort, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return hostPort{}, fmt.Errorf("address %q: %w", addr, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil || p <= 0 || p > 65535 {
		return hostPort{}, fmt.Errorf("address %q: bad port", addr)
	}
	return hostPort{host, p}, nil
}

// write puts config.xml and users.xml into the server's directory. The
// config is complete, not an override of /etc/clickhouse-server/config.xml:
// 18.16 reads include_from only from the file itself, so the Debian file's
// incl= substitutions (remote_servers, zookeeper) cannot be pointed at a
// file of ours, and a file of our own makes the server independent of how
// /etc is set up. Everything listens on and talks to 127.0.0.1 only;
// interserver_http_host is set so that replicas never advertise the
// machine's hostname.
func (c serverConfig) write() error {
	for _, f := range []struct {
		name string
		tmpl *template.Template
	}{{"config.xml", configXML}, {"users.xml", usersXML}} {
		var b bytes.Buffer
		if err := f.tmpl.Execute(&b, c); err != nil {
			return fmt.Errorf("render %s: %w", f.name, err)
		}
		if err := os.WriteFile(filepath.Join(c.Dir, f.name), b.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write server config: %w", err)
		}
	}
	return nil
}

// xmlText escapes s for XML character data.
func xmlText(s string) (string, error) {
	var b bytes.Buffer
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

var funcs = template.FuncMap{"x": xmlText}

// configXML is a server config for ClickHouse 18.16 (root element <yandex>;
// later versions accept it too). mark_cache_size has no default in 18.16.
var configXML = template.Must(template.New("config.xml").Funcs(funcs).Parse(`<?xml version="1.0"?>
<!-- Written by homesoc's internal/chtest for a test server; not for production. -->
<yandex>
    <logger>
        <level>information</level>
        <log>{{x .Dir}}/ch.log</log>
        <errorlog>{{x .Dir}}/ch.err.log</errorlog>
        <size>100M</size>
        <count>1</count>
    </logger>
    <listen_host>127.0.0.1</listen_host>
    <http_port>{{.HTTPPort}}</http_port>
    <tcp_port>{{.TCPPort}}</tcp_port>
    <interserver_http_port>{{.InterserverPort}}</interserver_http_port>
    <interserver_http_host>127.0.0.1</interserver_http_host>
    <max_connections>4096</max_connections>
    <keep_alive_timeout>3</keep_alive_timeout>
    <!-- On SIGTERM 18.16 waits this long for open connections, such as the
         pooled ones between a cluster's shards; 5s by default. -->
    <shutdown_wait_unfinished>1</shutdown_wait_unfinished>
    <max_concurrent_queries>100</max_concurrent_queries>
    <uncompressed_cache_size>268435456</uncompressed_cache_size>
    <mark_cache_size>268435456</mark_cache_size>
    <path>{{x .Dir}}/</path>
    <tmp_path>{{x .Dir}}/tmp/</tmp_path>
    <user_files_path>{{x .Dir}}/user_files/</user_files_path>
    <format_schema_path>{{x .Dir}}/format_schemas/</format_schema_path>
    <users_config>{{x .Dir}}/users.xml</users_config>
    <default_profile>default</default_profile>
    <default_database>default</default_database>
    <mlock_executable>false</mlock_executable>
    <builtin_dictionaries_reload_interval>3600</builtin_dictionaries_reload_interval>
    <max_session_timeout>3600</max_session_timeout>
    <default_session_timeout>60</default_session_timeout>
    <max_table_size_to_drop>0</max_table_size_to_drop>
    <max_partition_size_to_drop>0</max_partition_size_to_drop>
    <remote_servers>
{{- range .Clusters}}
        <{{.Name}}>
{{- range .Shards}}
            <shard>
                <replica>
                    <host>{{x .Host}}</host>
                    <port>{{.Port}}</port>
                </replica>
            </shard>
{{- end}}
        </{{.Name}}>
{{- end}}
    </remote_servers>
{{- if .ZooKeeper}}
    <zookeeper>
{{- range .ZooKeeper}}
        <node>
            <host>{{x .Host}}</host>
            <port>{{.Port}}</port>
        </node>
{{- end}}
        <session_timeout_ms>30000</session_timeout_ms>
    </zookeeper>
    <distributed_ddl>
        <path>/clickhouse/task_queue/ddl</path>
    </distributed_ddl>
{{- end}}
{{- if .Macros}}
    <macros>
{{- range .Macros}}
        <{{.Name}}>{{x .Value}}</{{.Name}}>
{{- end}}
    </macros>
{{- end}}
</yandex>
`))

// usersXML lets user default in from loopback without a password.
var usersXML = template.Must(template.New("users.xml").Funcs(funcs).Parse(`<?xml version="1.0"?>
<!-- Written by homesoc's internal/chtest for a test server; not for production. -->
<yandex>
    <profiles>
        <default>
            <max_memory_usage>10000000000</max_memory_usage>
            <load_balancing>random</load_balancing>
            <!-- ON CLUSTER statements queue one at a time; parallel tests on a
                 busy two-core machine can wait longer than the default 180 s. -->
            <distributed_ddl_task_timeout>600</distributed_ddl_task_timeout>
        </default>
        <readonly>
            <readonly>1</readonly>
        </readonly>
    </profiles>
    <users>
        <default>
            <password></password>
            <networks>
                <ip>127.0.0.1</ip>
                <ip>::1</ip>
            </networks>
            <profile>default</profile>
            <quota>default</quota>
        </default>
    </users>
    <quotas>
        <default>
            <interval>
                <duration>3600</duration>
                <queries>0</queries>
                <errors>0</errors>
                <result_rows>0</result_rows>
                <read_rows>0</read_rows>
                <execution_time>0</execution_time>
            </interval>
        </default>
    </quotas>
</yandex>
`))
