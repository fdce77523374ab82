import Foundation
import LoopbackHTTP
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Sends raw bytes over one TCP connection and reads until the server closes it or `until` matches.
func rawExchange(port: Int, _ payload: String, until: (String) -> Bool) throws -> String {
    #if canImport(Glibc)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
        let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else { throw ServerTestError() }
    let sent = payload.withCString { send(fd, $0, strlen($0), 0) }
    guard sent == payload.utf8.count else { throw ServerTestError() }
    var received = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while !until(String(decoding: received, as: UTF8.self)) {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, 4096, 0) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { break }
        received += buffer[0..<n]
    }
    return String(decoding: received, as: UTF8.self)
}

struct ServerTestError: Error {}

@Suite(.timeLimit(.minutes(2))) struct LoopbackServerTests {
    @Test func answersJSONOverRealHTTPWithKeepAlive() async throws {
        let server = try LoopbackServer { request in
            .json(
                #"{"method":"\#(request.method)","path":"\#(request.path)","bytes":\#(request.body.count),"auth":"\#(request.headers["authorization"] ?? "")"}"#
            )
        }
        defer { server.stop() }
        #expect(server.port > 0)
        let session = URLSession(configuration: .ephemeral)
        for i in 0..<3 {
            var request = URLRequest(url: URL(string: "\(server.baseURL)/v1/images/generations?n=\(i)")!)
            request.httpMethod = "POST"
            request.httpBody = Data(#"{"prompt":"cube"}"#.utf8)
            request.setValue("Bearer test", forHTTPHeaderField: "Authorization")
            let (data, response) = try await session.data(for: request)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(
                String(decoding: data, as: UTF8.self)
                    == #"{"method":"POST","path":"/v1/images/generations","bytes":17,"auth":"Bearer test"}"#)
        }
        #expect(server.requestsServed == 3)
        #expect(server.connectionsAccepted < 3, "keep-alive: connections were reused")
    }

    @Test func readsChunkedRequestsAndSendsChunkedReplies() throws {
        let server = try LoopbackServer { request in
            ServerReply(
                status: 201, body: Data("got \(String(decoding: request.body, as: UTF8.self)) chunked=\(request.wasChunked)".utf8),
                chunked: true)
        }
        defer { server.stop() }
        let payload =
            "POST /x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
        let reply = try rawExchange(port: server.port, payload) { $0.hasSuffix("0\r\n\r\n") }
        #expect(reply.hasPrefix("HTTP/1.1 201 Created"))
        #expect(reply.contains("Transfer-Encoding: chunked"))
        let body = reply.components(separatedBy: "\r\n\r\n").dropFirst().joined(separator: "\r\n\r\n")
        let decoded = body.components(separatedBy: "\r\n").enumerated().filter { $0.offset % 2 == 1 }.map(\.element).joined()
        #expect(decoded == "got hello world chunked=true")
    }

    @Test func injectedFaultsReachTheClientAsErrors() async throws {
        let server = try LoopbackServer { request in
            request.path == "/reset"
                ? ServerReply(fault: .closeWithoutAnswer)
                : ServerReply(status: 200, body: Data(repeating: 7, count: 1000), fault: .truncateBody(after: 100))
        }
        defer { server.stop() }
        let session = URLSession(configuration: .ephemeral)
        await #expect(throws: (any Error).self) { _ = try await session.data(from: URL(string: "\(server.baseURL)/reset")!) }
        await #expect(throws: (any Error).self) { _ = try await session.data(from: URL(string: "\(server.baseURL)/short")!) }
    }

    @Test func rejectsMalformedRequests() throws {
        let server = try LoopbackServer { _ in .json("{}") }
        defer { server.stop() }
        let reply = try rawExchange(port: server.port, "NONSENSE\r\n\r\n") { $0.contains("\r\n\r\n") }
        #expect(reply.hasPrefix("HTTP/1.1 400"))
        #expect(server.requestsServed == 0)
    }

    @Test func parsesMultipartFormData() throws {
        let boundary = "XyZ123"
        var body = Data()
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nnano-banana\r\n".utf8))
        body.append(
            Data(
                "--\(boundary)\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
                    .utf8))
        body.append(Data([0x89, 0x50, 0x0D, 0x0A, 0x00, 0xFF]))
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        #expect(MultipartParser.boundary(fromContentType: "multipart/form-data; boundary=\(boundary)") == boundary)
        let parts = try #require(MultipartParser.parse(body, boundary: boundary))
        #expect(parts.count == 2)
        #expect(parts[0] == FormPart(name: "model", filename: nil, contentType: nil, data: Data("nano-banana".utf8)))
        #expect(parts[1].filename == "a.png" && parts[1].contentType == "image/png")
        #expect(parts[1].data == Data([0x89, 0x50, 0x0D, 0x0A, 0x00, 0xFF]))
        #expect(MultipartParser.parse(Data("--\(boundary)\r\nno end".utf8), boundary: boundary) == nil)
    }
}
