package upnp

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// maxSOAPResponse caps the bytes read of one SOAP answer.
const maxSOAPResponse = 1 << 20

// UPnP error codes a port mapping listing meets (UPnP-gw-WANIPConnection-v2
// section 2.4.14 and UPnP Device Architecture 3.2.2).
const (
	ErrInvalidAction              = 401 // no such action for this service type
	ErrInvalidArgs                = 402 // some routers end the table with this
	ErrActionFailed               = 501 // ... or with this
	ErrSpecifiedArrayIndexInvalid = 713 // past the last mapping: the normal end
)

// Fault is a SOAP fault a UPnP service answered with.
type Fault struct {
	Action      string
	Code        int    // the UPnPError errorCode, 0 when absent
	Description string // the UPnPError errorDescription
	FaultString string // SOAP faultstring, usually "UPnPError"
	HTTPStatus  int
}

func (f *Fault) Error() string {
	if f.Code != 0 {
		return fmt.Sprintf("upnp: %s: fault %d %s", f.Action, f.Code, f.Description)
	}
	return fmt.Sprintf("upnp: %s: fault %q (HTTP %d)", f.Action, f.FaultString, f.HTTPStatus)
}

// FaultCode returns the UPnP error code of err's Fault, or 0.
func FaultCode(err error) int {
	var f *Fault
	if errors.As(err, &f) {
		return f.Code
	}
	return 0
}

// Arg is one named argument of a SOAP action, in the order the service's
// SCPD declares them (some routers insist on that order).
type Arg struct {
	Name, Value string
}

// envelope is the answer of a SOAP call: the action's response element or
// a fault.
type envelope struct {
	Body struct {
		Fault *struct {
			FaultString string `xml:"faultstring"`
			Detail      struct {
				UPnPError struct {
					ErrorCode        int    `xml:"errorCode"`
					ErrorDescription string `xml:"errorDescription"`
				} `xml:"UPnPError"`
			} `xml:"detail"`
		} `xml:"Fault"`
		Response struct {
			XMLName xml.Name
			Args    []struct {
				XMLName xml.Name
				Value   string `xml:",chardata"`
			} `xml:",any"`
		} `xml:",any"`
	} `xml:"Body"`
}

// Call invokes action of serviceType at controlURL and returns the
// response's output arguments by name.
func Call(ctx context.Context, client *http.Client, controlURL, serviceType, action string, args []Arg) (map[string]string, error) {
	var body bytes.Buffer
	body.WriteString(`<?xml version="1.0"?>` + "\r\n" +
		`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body>`)
	fmt.Fprintf(&body, `<u:%s xmlns:u="%s">`, action, xmlEscape(serviceType))
	for _, a := range args {
		fmt.Fprintf(&body, "<%s>%s</%s>", a.Name, xmlEscape(a.Value), a.Name)
	}
	fmt.Fprintf(&body, `</u:%s></s:Body></s:Envelope>`+"\r\n", action)

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, controlURL, &body)
	if err != nil {
		return nil, fmt.Errorf("upnp: %s: %w", action, err)
	}
	req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
	req.Header.Set("SOAPAction", `"`+serviceType+"#"+action+`"`)
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("upnp: %s: %w", action, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxSOAPResponse))
	if err != nil {
		return nil, fmt.Errorf("upnp: %s: reading the answer: %w", action, err)
	}
	var env envelope
	dec := xml.NewDecoder(bytes.NewReader(raw))
	dec.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	xerr := dec.Decode(&env)
	if xerr == nil && env.Body.Fault != nil {
		f := env.Body.Fault
		return nil, &Fault{Action: action, Code: f.Detail.UPnPError.ErrorCode,
			Description: strings.TrimSpace(f.Detail.UPnPError.ErrorDescription),
			FaultString: strings.TrimSpace(f.FaultString), HTTPStatus: resp.StatusCode}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("upnp: %s at %s: HTTP %s, not a SOAP answer", action, controlURL, resp.Status)
	}
	if xerr != nil {
		return nil, fmt.Errorf("upnp: %s at %s: not a SOAP envelope: %w", action, controlURL, xerr)
	}
	if env.Body.Response.XMLName.Local != action+"Response" {
		return nil, fmt.Errorf("upnp: %s at %s: answer is <%s>, want <%sResponse>", action, controlURL, env.Body.Response.XMLName.Local, action)
	}
	out := make(map[string]string, len(env.Body.Response.Args))
	for _, a := range env.Body.Response.Args {
		out[a.XMLName.Local] = strings.TrimSpace(a.Value)
	}
	return out, nil
}

func xmlEscape(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
