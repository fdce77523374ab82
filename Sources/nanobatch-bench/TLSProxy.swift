import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// nginx as a TLS reverse proxy on 127.0.0.1 in front of a loopback provider server: Foundation on Linux
/// has no TLS server. HTTP/1.1 on both sides, kept-alive connections to the server, one worker per core,
/// so the proxy is not what limits the run. Its CPU time is read from /proc and reported.
final class TLSProxy {
    let port: Int
    private let pid: pid_t
    private let folder: URL
    private var stopped = false

    var baseURL: String { "https://127.0.0.1:\(port)" }

    /// Starts nginx with the certificate and key in `tlsFolder` (from `test-ca.sh make`) and waits until it listens.
    init(upstreamPort: Int, tlsFolder: String, http2: Bool = false, nginx: String = "/usr/sbin/nginx") throws {
        guard FileManager.default.isExecutableFile(atPath: nginx) else {
            throw BenchError("\(nginx) missing (apt-get install nginx-light)")
        }
        folder = try temporaryFolder("nginx")
        port = try TLSProxy.freePort()
        let config = TLSProxy.configuration(listen: port, upstream: upstreamPort, tls: tlsFolder, prefix: folder.path, http2: http2)
        let path = folder.appendingPathComponent("nginx.conf").path
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        pid = try spawn(nginx, ["-p", folder.path, "-c", path, "-e", folder.appendingPathComponent("error.log").path])
        for _ in 0..<500 {
            if TLSProxy.accepts(port) { return }
            usleep(10_000)
        }
        stop()
        throw BenchError("nginx did not start listening on \(port): \(errorLog)")
    }

    var errorLog: String { (try? String(contentsOf: folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? "" }

    /// User + system CPU seconds of the master and its workers so far.
    var cpuSeconds: Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        return ([pid] + childProcesses(of: pid)).reduce(0) { $0 + Double(cpuTicks($1)) / ticks }
    }

    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGTERM)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// After `stop`: requests served, the TLS connections they came on, and their protocols.
    func connectionsUsed() -> String {
        let log = (try? String(contentsOf: folder.appendingPathComponent("access.log"), encoding: .utf8)) ?? ""
        let lines = log.split(separator: "\n")
        let connections = Set(lines.compactMap { $0.split(separator: " ").first })
        let protocols = Set(lines.compactMap { $0.split(separator: " ").dropFirst().first }).sorted().joined(separator: ", ")
        return "\(lines.count) requests on \(connections.count) TLS connections (\(protocols))"
    }

    static func configuration(listen: Int, upstream: Int, tls: String, prefix: String, http2: Bool) -> String {
        """
        daemon off;
        worker_processes \(max(1, ProcessInfo.processInfo.activeProcessorCount));
        pid \(prefix)/nginx.pid;
        events { worker_connections 4096; multi_accept on; }
        http {
            log_format connections '$connection $server_protocol';
            access_log \(prefix)/access.log connections buffer=256k;
            client_body_temp_path \(prefix)/body;
            proxy_temp_path \(prefix)/proxy;
            client_max_body_size 64m;
            client_body_buffer_size 1m;
            keepalive_requests 100000;
            upstream provider { server 127.0.0.1:\(upstream); keepalive 256; keepalive_requests 100000; }
            server {
                listen 127.0.0.1:\(listen) ssl\(http2 ? " http2" : "");
                ssl_certificate \(tls)/server.crt;
                ssl_certificate_key \(tls)/server.key;
                ssl_session_cache shared:TLS:10m;
                location / {
                    proxy_pass http://provider;
                    proxy_http_version 1.1;
                    proxy_set_header Connection "";
                    proxy_set_header Host $http_host;
                    proxy_set_header X-Forwarded-Proto https;
                    proxy_buffer_size 64k;
                    proxy_buffers 16 64k;
                }
            }
        }

        """
    }

    /// A port nothing listens on now (the kernel's pick for a socket bound to port 0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let found = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard found else { throw BenchError("no free port on 127.0.0.1") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func accepts(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = loopback(port: port)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }
}

/// Starts a program without waiting for it; its output goes to /dev/null.
func spawn(_ path: String, _ arguments: [String]) throws -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid: pid_t = 0
    let spawned = posix_spawn(&pid, path, &actions, nil, argv, environ)
    guard spawned == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(spawned)))") }
    return pid
}

/// Fields after the command name in /proc/PID/stat (the name may hold spaces and parentheses).
private func statFields(_ pid: pid_t) -> [Substring] {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let end = stat.lastIndex(of: ")")
    else { return [] }
    return stat[stat.index(after: end)...].split(separator: " ")
}

/// utime + stime in clock ticks (fields 14 and 15 of /proc/PID/stat; 12 and 13 after the name).
func cpuTicks(_ pid: pid_t) -> Int {
    let fields = statFields(pid)
    guard fields.count > 12 else { return 0 }
    return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
}

func childProcesses(of parent: pid_t) -> [pid_t] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { pid_t($0) }.filter { statFields($0).dropFirst().first.flatMap { pid_t($0) } == parent }
}
