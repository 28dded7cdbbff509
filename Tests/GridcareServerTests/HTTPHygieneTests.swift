import Crypto
import Foundation
import GridcareServer
import GridcareStore
import GridcareTestSupport
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What every answer carries besides its body, a client that trickles its request head, and a statement
/// cancelled by its timeout.
@Suite struct HTTPHygieneTests {
    @Test func personalDataIsNeverCachedAndPagesCarryAStrictPolicy() async throws {
        try await withScopedAPI { client, f, users, db in
            let p = try await Placed.make(db, f)
            let (status, _, headers) = try await client.call(.get, "/v1/residents/\(p.inside.id)")
            #expect(status == .ok)
            #expect(headers[.cacheControl] == "no-store")
            #expect(headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            // Refusals too: a problem answer is built by the innermost middleware, the headers by the outermost.
            let (missing, _, problemHeaders) = try await client.call(.get, "/v1/residents/99999999")
            #expect(missing == .notFound)
            #expect(problemHeaders[.cacheControl] == "no-store")
            #expect(problemHeaders[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let (unauthorized, _, anonymous) = try await client.call(.get, "/v1/residents", token: nil)
            #expect(unauthorized == .unauthorized && anonymous[.cacheControl] == "no-store")

            let slip = try await Slips(client: client, f: f, users: users).write(p.inside.id)
            let page = try await client.execute(
                uri: "/v1/referrals/\(slip.id)/slip",
                method: .get,
                headers: [.authorization: "Bearer \(users[.centreStaff])"]
            ) { $0 }
            #expect(page.status == .ok)
            let policy = page.headers[HTTPField.Name("Content-Security-Policy")!] ?? ""
            #expect(policy.contains("default-src 'none'") && policy.contains("script-src 'self'") && policy.contains("frame-ancestors 'none'"))
            #expect(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"))
            // The page's one inline stylesheet is admitted by its hash, and nothing else inline is there.
            let html = String(buffer: page.body)
            let style = html.components(separatedBy: "<style>")[1].components(separatedBy: "</style>")[0]
            let hash = "sha256-" + Data(SHA256.hash(data: Data(style.utf8))).base64EncodedString()
            #expect(policy.contains("'\(hash)'"))
            #expect(!html.contains("<script"))
            #expect(page.headers[.cacheControl] == "no-store")
        }
    }

    /// A raw socket sends a request head one byte at a time: the server closes it after the header timeout,
    /// long before the head is complete, and keeps answering others.
    @Test func aConnectionTricklingItsHeadersIsClosed() async throws {
        try await withTestDatabase { db, url in
            let config = testConfig(["http.headerTimeoutSeconds": .init(.int(1), isSecret: false), "http.port": .init(.int(0), isSecret: false)])
            let service = try makeServiceClient(url: url, config: config, logger: quiet)
            let app = try buildApplication(config: config, client: service, logger: quiet)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                let head = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n".utf8)
                let fd = try Self.connect(port)
                defer { close(fd) }
                var sent = 0
                var closedByServer = false
                for byte in head {
                    var b = byte
                    if send(fd, &b, 1, Int32(MSG_NOSIGNAL)) != 1 {
                        closedByServer = true
                        break
                    }
                    sent += 1
                    try await Task.sleep(for: .milliseconds(150))
                    var probe: UInt8 = 0
                    if recv(fd, &probe, 1, Int32(MSG_DONTWAIT)) == 0 {
                        closedByServer = true
                        break
                    }
                }
                #expect(closedByServer, "the server kept a trickling connection open for \(sent) bytes")
                #expect(sent < head.count)
                // A client that sends its head at once is answered (on a connection of its own: the test
                // client's own connection sat idle meanwhile, and idle connections are closed too).
                let other = try Self.connect(port)
                defer { close(other) }
                let whole = Array("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n".utf8)
                #expect(whole.withUnsafeBytes { send(other, $0.baseAddress, whole.count, Int32(MSG_NOSIGNAL)) } == whole.count)
                var answer = [UInt8](repeating: 0, count: 64)
                let n = recv(other, &answer, answer.count, 0)
                #expect(n > 0 && String(decoding: answer.prefix(max(0, n)), as: UTF8.self).hasPrefix("HTTP/1.1 200"))
            }
        }
    }

    static func connect(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard fd >= 0, connected == 0 else { throw SocketError() }
        return fd
    }
    struct SocketError: Error {}

    /// A statement the database cancels by its timeout is the database being busy: 503, never 500.
    @Test func aStatementCancelledByItsTimeoutAnswers503() async throws {
        let config = testConfig([
            "database.statementTimeoutMs": .init(.int(300), isSecret: false),
            "http.requestDeadlineMs": .init(.int(30_000), isSecret: false),
        ])
        try await withScopedAPI(config: config) { client, f, users, db in
            let p = try await Placed.make(db, f)
            // The owner holds the resident's row for as long as the request runs, whatever the machine's load.
            try await db.client.withConnection { locker in
                try await locker.query("BEGIN", logger: quiet)
                try await locker.query("SELECT 1 FROM resident WHERE id = \(p.inside.id) FOR UPDATE", logger: quiet)
                let (status, problem, _) = try await client.call(.patch, "/v1/residents/\(p.inside.id)", json: ["name": "新名字"])
                #expect(status == .serviceUnavailable, "\(problem)")
                try await locker.query("ROLLBACK", logger: quiet)
            }
        }
    }
}
