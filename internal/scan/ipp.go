package scan

import (
	"bufio"
	"context"
	"encoding/binary"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// IPP value tags used in a request (RFC 8010 3.5.2).
const (
	ippOperationAttrs = 0x01
	ippEndOfAttrs     = 0x03
	ippKeyword        = 0x44
	ippURI            = 0x45
	ippCharset        = 0x47
	ippLanguage       = 0x48
)

// ippAttrs are the printer attributes the probe asks for and reports.
var ippAttrs = []string{"printer-make-and-model", "printer-info", "printer-firmware-string-version"}

// ippRequest encodes an IPP/1.1 Get-Printer-Attributes request for uri.
func ippRequest(uri string) []byte {
	b := []byte{1, 1, 0x00, 0x0b, 0, 0, 0, 1, ippOperationAttrs}
	attr := func(tag byte, name, value string) {
		b = append(b, tag)
		b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
		b = append(b, name...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(value)))
		b = append(b, value...)
	}
	attr(ippCharset, "attributes-charset", "utf-8")
	attr(ippLanguage, "attributes-natural-language", "en")
	attr(ippURI, "printer-uri", uri)
	for i, a := range ippAttrs {
		name := "requested-attributes"
		if i > 0 {
			name = "" // an additional value of the same attribute
		}
		attr(ippKeyword, name, a)
	}
	return append(b, ippEndOfAttrs)
}

// parseIPP reads the attributes of an IPP response whose names are in
// want; nil when b is not a successful IPP response.
func parseIPP(b []byte, want []string) map[string]string {
	if len(b) < 9 || b[0] < 1 || b[0] > 2 || binary.BigEndian.Uint16(b[2:]) > 0xff {
		return nil
	}
	out := map[string]string{}
	name := ""
	for i := 8; i < len(b); {
		tag := b[i]
		i++
		if tag == ippEndOfAttrs {
			return out
		}
		if tag < 0x10 { // a delimiter: the next group begins
			continue
		}
		if i+2 > len(b) {
			return nil
		}
		nl := int(binary.BigEndian.Uint16(b[i:]))
		i += 2
		if i+nl+2 > len(b) {
			return nil
		}
		if nl > 0 {
			name = string(b[i : i+nl])
		}
		i += nl
		vl := int(binary.BigEndian.Uint16(b[i:]))
		i += 2
		if i+vl > len(b) {
			return nil
		}
		for _, w := range want {
			if name == w && out[w] == "" {
				out[w] = string(b[i : i+vl])
			}
		}
		i += vl
	}
	return nil
}

// ippPrinter asks an IPP server Get-Printer-Attributes at /ipp/print (the
// IPP Everywhere path; CUPS answers on any path) and returns the attributes
// found, nil when the answer is not IPP.
func ippPrinter(ctx context.Context, pr *prober) map[string]string {
	c, err := pr.dial(ctx)
	if err != nil {
		return nil
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.SetDeadline(time.Now()) })
	defer stop()
	c.SetDeadline(time.Now().Add(pr.wait))
	body := ippRequest("ipp://" + pr.hostHeader() + "/ipp/print")
	req := "POST /ipp/print HTTP/1.1\r\nHost: " + pr.hostHeader() + "\r\nContent-Type: application/ipp\r\nContent-Length: " +
		strconv.Itoa(len(body)) + "\r\nConnection: close\r\n\r\n"
	if _, err := c.Write(append([]byte(req), body...)); err != nil {
		return nil
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/ipp" {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return parseIPP(b, ippAttrs)
}

// ippEnrich adds what Get-Printer-Attributes tells to an ipp match: the
// printer's make and model become the product when the Server header named
// none, or only CUPS.
func ippEnrich(ctx context.Context, pr *prober, m *match) {
	attrs := ippPrinter(ctx, pr)
	if len(attrs) == 0 {
		return
	}
	m.Service = "ipp"
	if m.Evidence.Fields == nil {
		m.Evidence.Fields = map[string]string{}
	}
	for k, v := range attrs {
		if v = strings.TrimSpace(v); v != "" {
			m.Evidence.Fields["ipp_"+k] = v
		}
	}
	// CUPS stays the product of a CUPS server (the model is its queue's);
	// a printer's own IPP server is named by its make and model.
	mm := m.Evidence.Fields["ipp_printer-make-and-model"]
	if mm != "" && !strings.HasPrefix(m.Evidence.HTTP.Server, "CUPS") {
		m.Product, m.Version, m.Info = mm, m.Evidence.Fields["ipp_printer-firmware-string-version"], ""
	}
}
