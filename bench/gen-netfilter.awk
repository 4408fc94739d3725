# Writes N realistic netfilter LOG lines (seeds/001 shape, UFW and plain
# prefixes, IPv4 and some IPv6, TCP/UDP/ICMP), one second apart per ~10 lines.
# usage: awk -v n=2000000 -v seed=1 -f bench/gen-netfilter.awk > fw.log
BEGIN {
	srand(seed)
	split("1900 23 445 3389 80 5353 1433 22 8080 58742 443 53 123 161", ports, " ")
	split("DROP |[UFW BLOCK] |REJECT |ACCEPT ", prefixes, "|")
	t0 = 1775491200  # 2026-04-06T16:00:00Z
	for (i = 0; i < n; i++) {
		t = t0 + int(i / 10)
		stamp = strftime("%Y-%m-%dT%H:%M:%S", t, 1)
		p = prefixes[1 + int(rand() * 4)]
		dpt = ports[1 + int(rand() * 14)]
		r = rand()
		if (r < 0.05) {
			printf "%s router kernel: [%d.%06d] %sIN=ppp0 OUT= MAC= SRC=2001:db8:%x::%x DST=2001:db8:ffff::7 LEN=80 TC=0 HOPLIMIT=%d FLOWLBL=0 PROTO=TCP SPT=%d DPT=%s WINDOW=64240 RES=0x00 SYN URGP=0\n", stamp, i, i % 1000000, p, int(rand() * 65535), int(rand() * 65535), 40 + int(rand() * 200), 1024 + int(rand() * 64000), dpt
		} else if (r < 0.55) {
			printf "%s router kernel: %sIN=ppp0 OUT= MAC= SRC=%d.%d.%d.%d DST=203.0.113.7 LEN=118 TOS=0x00 PREC=0x00 TTL=%d ID=%d PROTO=UDP SPT=%d DPT=%s LEN=98\n", stamp, p, 1 + int(rand() * 222), int(rand() * 256), int(rand() * 256), 1 + int(rand() * 254), 40 + int(rand() * 200), int(rand() * 65536), 1024 + int(rand() * 64000), dpt
		} else if (r < 0.97) {
			printf "%s router kernel: %sIN=ppp0 OUT= MAC=00:11:22:33:44:55:66:77:88:99:aa:bb:08:00 SRC=%d.%d.%d.%d DST=203.0.113.7 LEN=60 TOS=0x00 PREC=0x00 TTL=%d ID=%d DF PROTO=TCP SPT=%d DPT=%s WINDOW=64240 RES=0x00 SYN URGP=0\n", stamp, p, 1 + int(rand() * 222), int(rand() * 256), int(rand() * 256), 1 + int(rand() * 254), 40 + int(rand() * 200), int(rand() * 65536), 1024 + int(rand() * 64000), dpt
		} else {
			printf "%s router kernel: %sIN=ppp0 OUT= MAC= SRC=%d.%d.%d.%d DST=203.0.113.7 LEN=84 TOS=0x00 PREC=0x00 TTL=%d ID=%d PROTO=ICMP TYPE=8 CODE=0 ID=%d SEQ=%d\n", stamp, p, 1 + int(rand() * 222), int(rand() * 256), int(rand() * 256), 1 + int(rand() * 254), 40 + int(rand() * 200), int(rand() * 65536), int(rand() * 65536), i % 65536
		}
	}
}
