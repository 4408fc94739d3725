package upnptest

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"text/template"
)

// rootDesc follows MiniUPnPd's generated rootDesc.xml for an IGD:2
// (miniupnpd upnpdescgen.c): the root device holds Layer3Forwarding, a
// WANDevice with WANCommonInterfaceConfig, and in it a
// WANConnectionDevice with the connection service.
var rootDesc = template.Must(template.New("rootDesc").Parse(`<?xml version="1.0"?>
<root xmlns="urn:schemas-upnp-org:device-1-0" configId="1337"><specVersion><major>1</major><minor>1</minor></specVersion><device><deviceType>urn:schemas-upnp-org:device:InternetGatewayDevice:2</deviceType><friendlyName>{{.FriendlyName}}</friendlyName><manufacturer>{{.Manufacturer}}</manufacturer><manufacturerURL>https://openwrt.org/</manufacturerURL><modelDescription>{{.FriendlyName}}</modelDescription><modelName>{{.ModelName}}</modelName><modelNumber>{{.ModelNumber}}</modelNumber><modelURL>https://openwrt.org/</modelURL><serialNumber>00000000</serialNumber><UDN>{{.UUID}}</UDN><serviceList><service><serviceType>urn:schemas-upnp-org:service:Layer3Forwarding:1</serviceType><serviceId>urn:upnp-org:serviceId:L3Forwarding1</serviceId><SCPDURL>/L3F.xml</SCPDURL><controlURL>/ctl/L3F</controlURL><eventSubURL>/evt/L3F</eventSubURL></service></serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANDevice:2</deviceType><friendlyName>WANDevice</friendlyName><manufacturer>MiniUPnP</manufacturer><manufacturerURL>http://miniupnp.free.fr/</manufacturerURL><modelDescription>WAN Device</modelDescription><modelName>WAN Device</modelName><modelNumber>20240321</modelNumber><modelURL>http://miniupnp.free.fr/</modelURL><serialNumber>00000000</serialNumber><UDN>{{.UUID}}-wan</UDN><UPC>000000000000</UPC><serviceList><service><serviceType>urn:schemas-upnp-org:service:WANCommonInterfaceConfig:1</serviceType><serviceId>urn:upnp-org:serviceId:WANCommonIFC1</serviceId><SCPDURL>/WANCfg.xml</SCPDURL><controlURL>/ctl/CmnIfCfg</controlURL><eventSubURL>/evt/CmnIfCfg</eventSubURL></service></serviceList><deviceList><device><deviceType>urn:schemas-upnp-org:device:WANConnectionDevice:2</deviceType><friendlyName>WANConnectionDevice</friendlyName><manufacturer>MiniUPnP</manufacturer><manufacturerURL>http://miniupnp.free.fr/</manufacturerURL><modelDescription>MiniUPnP daemon</modelDescription><modelName>MiniUPnPd</modelName><modelNumber>20240321</modelNumber><modelURL>http://miniupnp.free.fr/</modelURL><serialNumber>00000000</serialNumber><UDN>{{.UUID}}-conn</UDN><UPC>000000000000</UPC>{{if .Service}}<serviceList><service><serviceType>{{.Service}}</serviceType><serviceId>{{.ServiceID}}</serviceId><SCPDURL>{{.SCPD}}</SCPDURL><controlURL>{{.Control}}</controlURL><eventSubURL>{{.Event}}</eventSubURL></service></serviceList>{{end}}</device></deviceList></device></deviceList><presentationURL>http://192.168.1.1/</presentationURL></device></root>
`))

func (g *IGD) serveDescription(w http.ResponseWriter, r *http.Request) {
	data := map[string]string{
		"FriendlyName": xmlText(g.cfg.FriendlyName), "Manufacturer": xmlText(g.cfg.Manufacturer),
		"ModelName": xmlText(g.cfg.ModelName), "ModelNumber": xmlText(g.cfg.ModelNumber), "UUID": DefaultUUID,
	}
	switch {
	case g.cfg.NoWAN:
	case g.cfg.PPP:
		data["Service"], data["ServiceID"] = g.ServiceType, "urn:upnp-org:serviceId:WANPPPConn1"
		data["SCPD"], data["Control"], data["Event"] = "/WANPPPCn.xml", "/ctl/PPPConn", "/evt/PPPConn"
	default:
		data["Service"], data["ServiceID"] = g.ServiceType, "urn:upnp-org:serviceId:WANIPConn1"
		data["SCPD"], data["Control"], data["Event"] = "/WANIPCn.xml", "/ctl/IPConn", "/evt/IPConn"
	}
	w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
	w.Header().Set("Server", g.cfg.Server)
	_ = rootDesc.Execute(w, data)
}

// soapRequest is the part of a SOAP request the control endpoint reads.
type soapRequest struct {
	Body struct {
		Action struct {
			XMLName xml.Name
			Index   string `xml:"NewPortMappingIndex"`
		} `xml:",any"`
	} `xml:"Body"`
}

func (g *IGD) serveControl(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", g.cfg.Server)
	soapAction := strings.Trim(r.Header.Get("SOAPAction"), `"`)
	st, action, _ := strings.Cut(soapAction, "#")
	var req soapRequest
	if err := xml.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&req); err != nil {
		fault(w, 402, "Invalid Args")
		return
	}
	if st != g.ServiceType || req.Body.Action.XMLName.Local != action {
		fault(w, 401, "Invalid Action")
		return
	}
	if g.cfg.FailAll != 0 {
		fault(w, g.cfg.FailAll, errorText[g.cfg.FailAll])
		return
	}
	switch action {
	case "GetStatusInfo":
		respond(w, st, action, [][2]string{{"NewConnectionStatus", "Connected"}, {"NewLastConnectionError", "ERROR_NONE"}, {"NewUptime", "86400"}})
	case "GetExternalIPAddress":
		respond(w, st, action, [][2]string{{"NewExternalIPAddress", g.cfg.ExternalIP}})
	case "GetGenericPortMappingEntry":
		i, err := strconv.Atoi(req.Body.Action.Index)
		if err != nil || i < 0 {
			fault(w, 402, "Invalid Args")
			return
		}
		if i >= len(g.cfg.Mappings) {
			fault(w, g.cfg.EndFault, errorText[g.cfg.EndFault])
			return
		}
		m := g.cfg.Mappings[i]
		enabled := "0"
		if m.Enabled {
			enabled = "1"
		}
		respond(w, st, action, [][2]string{
			{"NewRemoteHost", m.RemoteHost},
			{"NewExternalPort", strconv.Itoa(int(m.ExternalPort))},
			{"NewProtocol", strings.ToUpper(m.Proto)},
			{"NewInternalPort", strconv.Itoa(int(m.InternalPort))},
			{"NewInternalClient", m.InternalClient},
			{"NewEnabled", enabled},
			{"NewPortMappingDescription", m.Description},
			{"NewLeaseDuration", strconv.Itoa(int(m.Lease.Seconds()))},
		})
	default:
		fault(w, 401, "Invalid Action")
	}
}

func respond(w http.ResponseWriter, st, action string, args [][2]string) {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0"?>`+"\r\n"+`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><u:%sResponse xmlns:u="%s">`, action, st)
	for _, a := range args {
		fmt.Fprintf(&b, "<%s>%s</%s>", a[0], xmlText(a[1]), a[0])
	}
	fmt.Fprintf(&b, "</u:%sResponse></s:Body></s:Envelope>\r\n", action)
	w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
	_, _ = w.Write(b.Bytes())
}

// errorText is the errorDescription of the UPnP errors the fake answers
// (UDA 3.2.2, WANIPConnection:2 section 2.4).
var errorText = map[int]string{
	401: "Invalid Action", 402: "Invalid Args", 501: "Action Failed", 606: "Action not authorized",
	713: "SpecifiedArrayIndexInvalid", 714: "NoSuchEntryInArray",
}

// fault answers a UPnP error the way UDA 3.2.2 shows it.
func fault(w http.ResponseWriter, code int, desc string) {
	w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
	w.WriteHeader(http.StatusInternalServerError)
	fmt.Fprintf(w, `<?xml version="1.0"?>`+"\r\n"+`<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" s:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/"><s:Body><s:Fault><faultcode>s:Client</faultcode><faultstring>UPnPError</faultstring><detail><UPnPError xmlns="urn:schemas-upnp-org:control-1-0"><errorCode>%d</errorCode><errorDescription>%s</errorDescription></UPnPError></detail></s:Fault></s:Body></s:Envelope>`+"\r\n", code, xmlText(desc))
}

// serveSSDP answers unicast M-SEARCH datagrams as MiniUPnPd does
// (minissdp.c SendSSDPResponse): for upnp:rootdevice, ssdp:all, the IGD
// device type and the root UUID.
func (g *IGD) serveSSDP() {
	defer close(g.done)
	buf := make([]byte, 2048)
	for {
		n, from, err := g.ssdp.ReadFrom(buf)
		if err != nil {
			return
		}
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(buf[:n])))
		if err != nil || req.Method != "M-SEARCH" || req.Header.Get("MAN") != `"ssdp:discover"` {
			continue
		}
		st := req.Header.Get("ST")
		switch st {
		case "ssdp:all", "upnp:rootdevice", DefaultUUID,
			"urn:schemas-upnp-org:device:InternetGatewayDevice:1", "urn:schemas-upnp-org:device:InternetGatewayDevice:2":
		default:
			continue
		}
		if st == "ssdp:all" {
			st = "upnp:rootdevice"
		}
		usn := DefaultUUID
		if st != DefaultUUID {
			usn += "::" + st
		}
		resp := "HTTP/1.1 200 OK\r\n" +
			"CACHE-CONTROL: max-age=120\r\n" +
			"ST: " + st + "\r\n" +
			"USN: " + usn + "\r\n" +
			"EXT:\r\n" +
			"SERVER: " + g.cfg.Server + "\r\n" +
			"LOCATION: " + g.URL + "\r\n" +
			"OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n" +
			"01-NLS: 1\r\n" +
			"BOOTID.UPNP.ORG: 1\r\n" +
			"CONFIGID.UPNP.ORG: 1337\r\n\r\n"
		_, _ = g.ssdp.WriteTo([]byte(resp), from)
	}
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
