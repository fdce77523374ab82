import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real nginx on 127.0.0.1 serving a remote store (WebDAV `PUT`, as the README shows), for tests:
/// a temporary prefix with a generated configuration, one foreground process, stopped by `stop()` or
/// when the value goes away. `NginxStore.executable` is nil when nginx is not installed (CI installs it).
final class NginxStore: @unchecked Sendable {
    /// What a location allows.
    enum Access {
        case readWrite
        /// `limit_except GET HEAD { deny all; }`: every write is refused with 403.
        case readOnly
    }

    static let executable: String? = ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }
    static let missingMessage =
        "nginx is not installed (CI installs it: apt-get install nginx-light); remote-store tests against nginx skipped"

    let prefix: URL
    let port: Int
    private let process: Process

    /// The store's URL (under `/cache`, so a base path is exercised).
    var url: String { "http://127.0.0.1:\(port)/cache" }
    /// Where nginx keeps the store's files: `<dataRoot>/cas/<sha256>`, `<dataRoot>/ac/<key>`.
    var dataRoot: URL { prefix.appendingPathComponent("html/cache") }

    init(access: Access = .readWrite) throws {
        guard let executable = NginxStore.executable else { throw NginxError(NginxStore.missingMessage) }
        prefix = FileManager.default.temporaryDirectory.appendingPathComponent("nanobatch-nginx-\(UUID().uuidString.prefix(8))")
        for folder in ["html/cache", "logs", "temp"] {
            try FileManager.default.createDirectory(at: prefix.appendingPathComponent(folder), withIntermediateDirectories: true)
        }
        var lastError = ""
        for _ in 0..<5 {
            let port = try NginxStore.freePort()
            let config = prefix.appendingPathComponent("nginx.conf")
            try Data(NginxStore.configuration(prefix: prefix.path, port: port, access: access).utf8).write(to: config)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["-p", prefix.path, "-c", config.path, "-e", prefix.appendingPathComponent("logs/error.log").path]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            if NginxStore.waitUntilListening(port: port, process: process) {
                self.port = port
                self.process = process
                return
            }
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            process.waitUntilExit()
            lastError = (try? String(contentsOf: prefix.appendingPathComponent("logs/error.log"), encoding: .utf8)) ?? ""
        }
        try? FileManager.default.removeItem(at: prefix)
        throw NginxError("nginx did not start: \(lastError.suffix(500))")
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: prefix)
    }

    /// Stops nginx and waits for it to exit. SIGKILL: a child started by Foundation's `Process` inherits
    /// the test process's blocked signals, and nginx without a master process leaves SIGTERM blocked.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// The requests nginx logged: `METHOD path status`, one per line.
    var accessLog: [String] {
        let text = (try? String(contentsOf: prefix.appendingPathComponent("logs/access.log"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Writes a file straight into the store's folder (a corrupt blob, a foreign record).
    func plant(_ relative: String, _ bytes: Data) throws {
        let file = dataRoot.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try bytes.write(to: file)
    }

    /// The names of the files in `cas` or `ac`.
    func names(in area: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dataRoot.appendingPathComponent(area).path)) ?? []).sorted()
    }

    static func configuration(prefix: String, port: Int, access: Access) -> String {
        let limit = access == .readOnly ? "limit_except GET HEAD { deny all; }" : ""
        return """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(prefix)/nginx.pid;
            error_log \(prefix)/logs/error.log warn;
            events { worker_connections 256; }
            http {
                log_format store '$request_method $uri $status';
                access_log \(prefix)/logs/access.log store;
                client_body_temp_path \(prefix)/temp/body;
                proxy_temp_path \(prefix)/temp/proxy;
                fastcgi_temp_path \(prefix)/temp/fastcgi;
                uwsgi_temp_path \(prefix)/temp/uwsgi;
                scgi_temp_path \(prefix)/temp/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    root \(prefix)/html;
                    location /cache/ {
                        dav_methods PUT;
                        create_full_put_path on;
                        dav_access user:rw group:r all:r;
                        client_max_body_size 64m;
                        \(limit)
                    }
                }
            }

            """
    }

    /// A port nothing listens on now (the OS picks it; nginx binds it a moment later).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NginxError("socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw NginxError("bind() failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether a connection to the port succeeds within 10 s while the process runs.
    static func waitUntilListening(port: Int, process: Process) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, process.isRunning {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
            }
            close(fd)
            if connected { return true }
            usleep(20_000)
        }
        return false
    }
}

struct NginxError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
