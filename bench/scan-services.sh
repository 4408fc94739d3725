#!/usr/bin/env bash
# Starts or stops the loopback services the scanner benchmarks scan: real
# daemons from Debian's packages, each with its configuration, keys, logs and
# pid file in DIR, listening on standard ports of 127.0.2.1 and (TCP) ::1.
# No systemd; it installs missing packages with apt-get and must run as root.
#
#   tcp 21   FTP      vsftpd             127.0.2.1, ::1 (two instances)
#   tcp 22   SSH      OpenSSH sshd       127.0.2.1, ::1 (own host keys)
#   tcp 23   telnet   BusyBox telnetd    127.0.2.1, ::1 (/bin/login prompt)
#   tcp 53   DNS      dnsmasq            127.0.2.1 (also udp 53)
#   tcp 80   HTTP     lighttpd           127.0.2.1, ::1
#   tcp 443  HTTPS    nginx              127.0.2.1, ::1 (self-signed cert)
#   tcp 5000 UPnP     bench/scan-ssdp    127.0.2.1, ::1 (description XML)
#   tcp 6379 Redis    redis-server       127.0.2.1, ::1 (not in nmap's top 100)
#   tcp 8080 HTTP     Apache httpd       127.0.2.1, ::1
#   udp 123  NTP      chronyd            127.0.2.1 (local clock, no upstream)
#   udp 161  SNMP     snmpd              127.0.2.1 (community public)
#   udp 1900 SSDP     bench/scan-ssdp    127.0.2.1, ::1 (MiniUPnPd-style)
#
# The SSDP responder is ours (bench/scan-ssdp): Debian's miniupnpd rewrites
# the host's firewall and multicasts NOTIFYs, minissdpd multicasts a search
# when it starts; this benchmark sends no multicast.
#
# usage: bench/scan-services.sh start|stop|status [DIR]   (DIR: /tmp/homesoc-scan-services)
# `start` is idempotent (running services are kept); `stop` kills exactly the
# processes whose pid files start wrote in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin:/usr/sbin:/sbin"

cmd=${1:?usage: bench/scan-services.sh start|stop|status [DIR]}
dir=${2:-/tmp/homesoc-scan-services}
V4=${SCAN_V4:-127.0.2.1}
V6=::1

# started PID prints when the process PID started (clock ticks since boot),
# which tells it from a later process that got the same pid.
started() { awk '{ sub(/.*\) /, ""); print $20 }' "/proc/$1/stat" 2> /dev/null; }

# alive NAME succeeds when the process of NAME's pid file, "PID START", is
# still the one that start launched.
alive() {
	local pid start
	read -r pid start 2> /dev/null < "$dir/pids/$1.pid" || return 1
	[ -n "$start" ] && [ "$(started "$pid")" = "$start" ]
}

# launch NAME CMD... runs CMD in the foreground of a new session, its output
# in DIR/log/NAME.log, and records its pid; a NAME still alive is kept.
launch() {
	local name=$1
	shift
	if alive "$name"; then
		echo "$name: already running (pid $(cut -d' ' -f1 "$dir/pids/$name.pid"))"
		return
	fi
	setsid "$@" > "$dir/log/$name.log" 2>&1 < /dev/null &
	echo "$! $(started $!)" > "$dir/pids/$name.pid"
}

install_packages() {
	local missing=() p
	for p in vsftpd openssh-server lighttpd apache2 nginx redis-server dnsmasq chrony snmpd openssl; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return
	echo "installing ${missing[*]}"
	# Debian's policy-rc.d in containers keeps the packages' own services
	# from starting on 0.0.0.0; without it, stop them before benchmarking.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" > "$dir/log/apt.log" 2>&1 ||
		{ apt-get update -q >> "$dir/log/apt.log" 2>&1 &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >> "$dir/log/apt.log" 2>&1; } ||
		{ echo "apt-get install ${missing[*]} failed, see $dir/log/apt.log" >&2; exit 1; }
}

# check_free fails when something we did not start listens on a port we need.
check_free() {
	local busy
	busy=$(ss -Hlntu | awk -v v4="$V4" '{ print $5 }' |
		grep -E "^($V4|\[::1\]):(21|22|23|53|80|123|161|443|1900|5000|6379|8080)$" || true)
	if [ -n "$busy" ]; then
		echo "in use already, stop what listens there (or run stop first): $busy" >&2
		exit 1
	fi
}

write_configs() {
	mkdir -p "$dir"/{pids,log,run,www,ssh,tls,redis,chrony,nginx}
	chmod 755 "$dir" "$dir/www"
	echo '<html><head><title>Home router</title></head><body>It works.</body></html>' > "$dir/www/index.html"
	mkdir -p /run/sshd /var/run/vsftpd/empty

	[ -s "$dir/ssh/ssh_host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -f "$dir/ssh/ssh_host_ed25519_key"
	[ -s "$dir/ssh/ssh_host_rsa_key" ] || ssh-keygen -q -t rsa -b 2048 -N '' -f "$dir/ssh/ssh_host_rsa_key"
	cat > "$dir/ssh/sshd_config" <<-EOF
		Port 22
		ListenAddress $V4
		ListenAddress $V6
		HostKey $dir/ssh/ssh_host_ed25519_key
		HostKey $dir/ssh/ssh_host_rsa_key
		PidFile none
		UsePAM no
		PasswordAuthentication no
		KbdInteractiveAuthentication no
		PermitRootLogin no
		AllowUsers nobody-at-all
	EOF

	for fam in 4 6; do
		{
			echo "background=NO"
			if [ $fam = 4 ]; then echo "listen=YES" "listen_ipv6=NO" "listen_address=$V4"; else echo "listen=NO" "listen_ipv6=YES" "listen_address6=$V6"; fi
			echo "listen_port=21" "anonymous_enable=NO" "local_enable=NO" "write_enable=NO"
			echo "secure_chroot_dir=/var/run/vsftpd/empty" "xferlog_enable=NO" "vsftpd_log_file=$dir/log/vsftpd$fam.xfer"
		} | tr ' ' '\n' > "$dir/vsftpd$fam.conf"
	done

	cat > "$dir/lighttpd.conf" <<-EOF
		server.document-root = "$dir/www"
		server.bind = "$V4"
		server.port = 80
		\$SERVER["socket"] == "[$V6]:80" { }
		server.username = "www-data"
		server.groupname = "www-data"
		index-file.names = ( "index.html" )
		mimetype.assign = ( ".html" => "text/html" )
	EOF

	local mods=/usr/lib/apache2/modules
	cat > "$dir/apache2.conf" <<-EOF
		ServerRoot "$dir"
		LoadModule mpm_event_module $mods/mod_mpm_event.so
		LoadModule authz_core_module $mods/mod_authz_core.so
		LoadModule dir_module $mods/mod_dir.so
		LoadModule mime_module $mods/mod_mime.so
		TypesConfig /etc/mime.types
		Listen $V4:8080
		Listen [$V6]:8080
		ServerName router.home.arpa
		User www-data
		Group www-data
		PidFile $dir/run/apache2.pid
		DefaultRuntimeDir $dir/run
		Mutex file:$dir/run default
		ErrorLog $dir/log/apache2.err
		DocumentRoot "$dir/www"
		DirectoryIndex index.html
		<Directory "$dir/www">
		  Require all granted
		</Directory>
	EOF

	[ -s "$dir/tls/cert.pem" ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		-keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" -days 365 -subj '/O=Home router/CN=router.home.arpa' \
		-addext "subjectAltName=DNS:router.home.arpa,IP:$V4,IP:$V6" 2> "$dir/log/openssl.log"
	cat > "$dir/nginx.conf" <<-EOF
		worker_processes 1;
		pid $dir/run/nginx.pid;
		error_log $dir/log/nginx.err;
		events { worker_connections 256; }
		http {
		  access_log off;
		  client_body_temp_path $dir/nginx/body;
		  proxy_temp_path $dir/nginx/proxy;
		  fastcgi_temp_path $dir/nginx/fastcgi;
		  uwsgi_temp_path $dir/nginx/uwsgi;
		  scgi_temp_path $dir/nginx/scgi;
		  server {
		    listen $V4:443 ssl;
		    listen [$V6]:443 ssl;
		    ssl_certificate $dir/tls/cert.pem;
		    ssl_certificate_key $dir/tls/key.pem;
		    root $dir/www;
		  }
		}
	EOF

	cat > "$dir/chrony.conf" <<-EOF
		bindaddress $V4
		port 123
		cmdport 0
		allow 127.0.0.0/8
		local stratum 10
		pidfile $dir/run/chronyd.pid
	EOF

	cat > "$dir/snmpd.conf" <<-EOF
		rocommunity public 127.0.0.0/8
		sysLocation home
		sysContact admin@router.home.arpa
		master no
	EOF
}

# busybox_telnetd puts a BusyBox with telnetd and login in DIR/bin: Debian's
# busybox package leaves telnetd out, busybox-static has it but conflicts
# with busybox, so its binary is taken from the package without installing.
busybox_telnetd() {
	[ -x "$dir/bin/busybox" ] && return
	local bb
	bb=$(command -v busybox || true)
	if [ -z "$bb" ] || ! "$bb" --list | grep -qx telnetd; then
		rm -rf "$dir/pkg" && mkdir -p "$dir/pkg"
		(cd "$dir/pkg" && apt-get download -q busybox-static > ../log/apt-download.log 2>&1 &&
			dpkg-deb -x busybox-static_*.deb root) ||
			{ echo "apt-get download busybox-static failed, see $dir/log/apt-download.log" >&2; exit 1; }
		bb=$dir/pkg/root/bin/busybox
	fi
	cp "$bb" "$dir/bin/busybox"
	# telnetd runs its login program without arguments: BusyBox's login
	# applet, called by its name.
	ln -sf busybox "$dir/bin/login"
}

start() {
	[ "$(id -u)" = 0 ] || { echo "run as root: the services bind ports below 1024" >&2; exit 1; }
	mkdir -p "$dir/log" "$dir/pids" "$dir/bin"
	install_packages
	local any=0 n
	for n in vsftpd4 vsftpd6 sshd telnetd4 telnetd6 lighttpd apache2 nginx redis dnsmasq chronyd snmpd ssdp; do
		alive "$n" && any=1
	done
	[ $any = 1 ] || check_free
	write_configs
	go build -o "$dir/bin/scan-ssdp" ./bench/scan-ssdp

	launch vsftpd4 /usr/sbin/vsftpd "$dir/vsftpd4.conf"
	launch vsftpd6 /usr/sbin/vsftpd "$dir/vsftpd6.conf"
	launch sshd /usr/sbin/sshd -D -e -f "$dir/ssh/sshd_config"
	busybox_telnetd
	launch telnetd4 "$dir/bin/busybox" telnetd -F -b "$V4:23" -l "$dir/bin/login"
	launch telnetd6 "$dir/bin/busybox" telnetd -F -b "[$V6]:23" -l "$dir/bin/login"
	launch lighttpd /usr/sbin/lighttpd -D -f "$dir/lighttpd.conf"
	launch apache2 /usr/sbin/apache2 -f "$dir/apache2.conf" -DFOREGROUND
	launch nginx /usr/sbin/nginx -e "$dir/log/nginx.err" -c "$dir/nginx.conf" -g 'daemon off;'
	launch redis /usr/bin/redis-server --bind "$V4 $V6" --port 6379 --daemonize no --save '' \
		--appendonly no --dir "$dir/redis" --logfile ''
	launch dnsmasq /usr/sbin/dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
		--bind-interfaces --listen-address="$V4" --port=53 --user=root \
		--address=/router.home.arpa/"$V4" --pid-file="$dir/run/dnsmasq.pid"
	launch chronyd /usr/sbin/chronyd -d -x -u root -f "$dir/chrony.conf"
	launch snmpd /usr/sbin/snmpd -f -Lo -C -I -smux -c "$dir/snmpd.conf" -p "$dir/run/snmpd.pid" "udp:$V4:161"
	launch ssdp "$dir/bin/scan-ssdp" "$V4" "$V6"

	# Wait up to 10 s for every listener.
	local want="$V4:21 [$V6]:21 $V4:22 [$V6]:22 $V4:23 [$V6]:23 $V4:53 $V4:80 [$V6]:80 $V4:443 [$V6]:443 $V4:5000 [$V6]:5000 $V4:6379 [$V6]:6379 $V4:8080 [$V6]:8080"
	local wantu="$V4:53 $V4:123 $V4:161 $V4:1900 [$V6]:1900"
	local missing
	for _ in $(seq 50); do
		missing=$(missing_listeners "$want" "$wantu")
		[ -z "$missing" ] && break
		sleep 0.2
	done
	if [ -n "$missing" ]; then
		echo "not listening after 10 s: $missing (logs in $dir/log)" >&2
		exit 1
	fi
	echo "services up in $dir: tcp 21 22 23 53 80 443 5000 6379 8080, udp 53 123 161 1900 on $V4; tcp 21 22 23 80 443 5000 6379 8080, udp 1900 on ::1"
}

# missing_listeners TCP UDP prints the addresses of both lists that nothing
# listens on.
missing_listeners() {
	local t u a
	t=$(ss -Hlnt | awk '{ print $4 }')
	u=$(ss -Hlnu | awk '{ print $4 }')
	for a in $1; do grep -qxF "$a" <<< "$t" || printf 'tcp %s ' "$a"; done
	for a in $2; do grep -qxF "$a" <<< "$u" || printf 'udp %s ' "$a"; done
}

stop() {
	local f pid name
	for f in "$dir"/pids/*.pid; do
		[ -e "$f" ] || continue
		name=$(basename "$f" .pid)
		read -r pid _ < "$f"
		if alive "$name"; then
			# setsid made it a process group leader: its workers go too.
			kill -- "-$pid" 2> /dev/null || kill "$pid"
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
			echo "$name: stopped (pid $pid)"
		fi
		rm -f "$f"
	done
}

status() {
	local f
	for f in "$dir"/pids/*.pid; do
		[ -e "$f" ] || continue
		if alive "$(basename "$f" .pid)"; then echo "$(basename "$f" .pid): running"; else echo "$(basename "$f" .pid): dead"; fi
	done
}

case $cmd in
start) start ;;
stop) stop ;;
status) status ;;
*) echo "usage: bench/scan-services.sh start|stop|status [DIR]" >&2; exit 2 ;;
esac
