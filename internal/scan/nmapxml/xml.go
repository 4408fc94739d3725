package nmapxml

// The elements of nmap -oX output that an import reads, as nmap 3.75 to 7.x
// write them (docs/nmap.dtd in nmap's sources); everything else is skipped.

type xmlHost struct {
	StartTime string         `xml:"starttime,attr"`
	EndTime   string         `xml:"endtime,attr"`
	Status    xmlStatus      `xml:"status"`
	Addresses []xmlAddress   `xml:"address"`
	Hostnames []xmlHostname  `xml:"hostnames>hostname"`
	Extra     []xmlExtraPort `xml:"ports>extraports"`
	Ports     []xmlPort      `xml:"ports>port"`
	Times     *xmlTimes      `xml:"times"`
}

type xmlStatus struct {
	State  string `xml:"state,attr"`
	Reason string `xml:"reason,attr"`
}

type xmlAddress struct {
	Addr     string `xml:"addr,attr"`
	AddrType string `xml:"addrtype,attr"`
}

type xmlHostname struct {
	Name string `xml:"name,attr"`
	Type string `xml:"type,attr"`
}

type xmlExtraPort struct {
	State   string           `xml:"state,attr"`
	Count   string           `xml:"count,attr"`
	Reasons []xmlExtraReason `xml:"extrareasons"`
}

// xmlExtraReason names the protocol of extraports from nmap 7.90 on.
type xmlExtraReason struct {
	Proto string `xml:"proto,attr"`
}

type xmlPort struct {
	Protocol string      `xml:"protocol,attr"`
	PortID   string      `xml:"portid,attr"`
	State    xmlStatus   `xml:"state"`
	Service  *xmlService `xml:"service"`
	Scripts  []xmlScript `xml:"script"`
}

type xmlService struct {
	Name      string `xml:"name,attr"`
	Product   string `xml:"product,attr"`
	Version   string `xml:"version,attr"`
	ExtraInfo string `xml:"extrainfo,attr"`
	OSType    string `xml:"ostype,attr"`
	Method    string `xml:"method,attr"`
	Conf      string `xml:"conf,attr"`
	Tunnel    string `xml:"tunnel,attr"`
}

type xmlScript struct {
	ID     string `xml:"id,attr"`
	Output string `xml:"output,attr"`
}

type xmlTimes struct {
	SRTT string `xml:"srtt,attr"` // microseconds
}
