import Foundation
import Logging
import NIOCore
import PostgresNIO

/// Builds rows in COPY's text format: tab-separated, `\N` for NULL, backslash escapes.
struct CopyLine {
    var buffer: ByteBuffer
    private var first = true

    init(capacity: Int) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }

    private mutating func separator() {
        if !first { buffer.writeInteger(UInt8(ascii: "\t")) }
        first = false
    }

    mutating func add(_ value: Int64?) {
        separator()
        if let value { buffer.writeString(String(value)) } else { buffer.writeStaticString("\\N") }
    }

    mutating func add(_ value: Double?) {
        separator()
        if let value { buffer.writeString(String(value)) } else { buffer.writeStaticString("\\N") }
    }

    mutating func add(_ value: String?) {
        separator()
        guard let value else {
            buffer.writeStaticString("\\N")
            return
        }
        writeEscaped(value)
    }

    /// A bytea value, as COPY's text format spells it: `\\x` and hex.
    mutating func add(bytes: Data) {
        separator()
        buffer.writeStaticString("\\\\x")
        for byte in bytes {
            buffer.writeInteger(Self.hexDigits[Int(byte >> 4)])
            buffer.writeInteger(Self.hexDigits[Int(byte & 0x0f)])
        }
    }
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A text[] value; elements are simple words (enum-like values), so they need no quoting.
    mutating func add(array: [String]) {
        separator()
        buffer.writeInteger(UInt8(ascii: "{"))
        for (i, v) in array.enumerated() {
            if i > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
            writeEscaped(v)
        }
        buffer.writeInteger(UInt8(ascii: "}"))
    }

    private mutating func writeEscaped(_ value: String) {
        // Most values need no escaping: write them in one go.
        if !value.utf8.contains(where: {
            $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r")
        }) {
            buffer.writeString(value)
            return
        }
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        first = true
    }
}

extension PostgresConnection {
    /// Streams `count` rows into `table` with COPY, sending about a megabyte at a time.
    func copyRows(
        table: String,
        columns: [String],
        count: Int,
        logger: Logger,
        row: (Int, inout CopyLine) -> Void
    ) async throws {
        guard count > 0 else { return }
        try await copyFrom(table: table, columns: columns, logger: logger) { writer in
            var line = CopyLine(capacity: 1 << 20)
            for i in 0..<count {
                row(i, &line)
                line.endRow()
                if line.buffer.readableBytes >= 1 << 20 {
                    try await writer.write(line.buffer)
                    line.buffer.clear()
                }
            }
            if line.buffer.readableBytes > 0 { try await writer.write(line.buffer) }
        }
    }

    /// Reserves `count` ids from a table's identity sequence, so rows can refer to each other before COPY.
    func reserveIds(table: String, count: Int, logger: Logger) async throws -> [Int64] {
        guard count > 0 else { return [] }
        // The sequence is looked up once: pg_get_serial_sequence per row made this 10× slower.
        let rows = try await query(
            """
            SELECT array_agg(nextval(s.seq) ORDER BY g)
            FROM (SELECT pg_get_serial_sequence(\(table), 'id')::regclass AS seq) s, generate_series(1, \(count)) g
            """,
            logger: logger
        )
        for try await ids in rows.decode([Int64].self) { return ids }
        return []
    }
}
