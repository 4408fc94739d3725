package email

import (
	"html/template"
	"strings"
)

// page is the text/html part: a plain table layout with inline styles,
// which every mail client renders. html/template escapes every value, and
// drops a console URL that is not http(s).
var page = template.Must(template.New("mail").Funcs(template.FuncMap{
	"lines": func(s string) []string { return strings.Split(s, "\n") },
}).Parse(`<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>{{.Title}}</title></head>
<body style="font-family: sans-serif; font-size: 14px; color: #222;">
<h2 style="margin: 0 0 8px 0;">{{.Title}}</h2>
{{- if .Test}}
<p><strong>This is a test message from "homesoc notify test": the receiver works.</strong></p>
{{- end}}
<p>{{.Summary}}</p>
{{- range .Alerts}}
<hr>
<h3 style="margin: 8px 0;">{{.N}}. {{if .URL}}<a href="{{.URL}}">{{.Title}}</a>{{else}}{{.Title}}{{end}}</h3>
<table cellpadding="3" style="border-collapse: collapse;">
<tr><th align="left">Rule</th><td>{{.Rule}}</td></tr>
<tr><th align="left">Severity</th><td>{{.Severity}}</td></tr>
<tr><th align="left">State</th><td>{{.State}}</td></tr>
{{- if .Who}}
<tr><th align="left">Who</th><td>{{.Who}}</td></tr>
{{- end}}
<tr><th align="left">Seen</th><td>{{.Seen}}</td></tr>
{{- if .Last}}
<tr><th align="left">Last change</th><td>{{.Last}}</td></tr>
{{- end}}
</table>
{{- if .Description}}
<p>{{.Description}}</p>
{{- end}}
{{- if .Ticket}}
<h4 style="margin: 8px 0 4px 0;">Ticket</h4>
<table cellpadding="3" style="border-collapse: collapse;">
{{- range .Ticket}}
<tr><th align="left">{{.Name}}</th><td>{{.Value}}</td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Evidence}}
<h4 style="margin: 8px 0 4px 0;">Evidence</h4>
<table cellpadding="3" style="border-collapse: collapse;">
{{- range .Evidence}}
<tr><th align="left"><code>{{.Name}}</code></th><td><code>{{.Value}}</code></td></tr>
{{- end}}
</table>
{{- end}}
{{- if .Rescan}}
<p>Rescan: <code>{{.Rescan}}</code></p>
{{- end}}
{{- if .Runbook}}
<h4 style="margin: 8px 0 4px 0;">Runbook</h4>
<p>{{range $i, $l := lines .Runbook}}{{if $i}}<br>
{{end}}{{$l}}{{end}}</p>
{{- end}}
{{- if .URL}}
<p><a href="{{.URL}}">Open in the console</a></p>
{{- end}}
{{- end}}
<hr>
<p style="color: #666; font-size: 12px;">Sent by homesoc. Delivery {{.Delivery}}</p>
</body>
</html>
`))

func renderHTML(v view) (string, error) {
	var b strings.Builder
	if err := page.Execute(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}
