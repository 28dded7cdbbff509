/// One CSV record and the line of the file it starts on (the header is line 1).
public struct CSVRecord: Sendable {
    public var line: Int
    public var fields: [String]
}

/// A problem in an input file, tied to the line a person can open in an editor.
public struct LineError: Error, Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    public var reason: String

    public init(line: Int, reason: String) {
        self.line = line
        self.reason = reason
    }

    public var description: String { "line \(line): \(reason)" }
}

/// RFC 4180 CSV over UTF-8 bytes: quoted fields, doubled quotes, CRLF or LF, newlines inside quotes,
/// and a leading byte-order mark.
public enum CSVReader {
    public static func parse(_ bytes: [UInt8]) throws(LineError) -> [CSVRecord] {
        var records: [CSVRecord] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var line = 1
        var recordLine = 1
        var i = 0
        var inQuotes = false
        var fieldWasQuoted = false
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }

        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldWasQuoted = false
        }

        while i < bytes.count {
            let b = bytes[i]
            if inQuotes {
                if b == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(b)
                        i += 2
                        continue
                    }
                    inQuotes = false
                } else {
                    if b == UInt8(ascii: "\n") { line += 1 }
                    field.append(b)
                }
                i += 1
                continue
            }
            switch b {
            case UInt8(ascii: "\""):
                guard field.isEmpty, !fieldWasQuoted else {
                    throw LineError(line: line, reason: "a quote inside an unquoted field")
                }
                inQuotes = true
                fieldWasQuoted = true
            case UInt8(ascii: ","):
                endField()
            case UInt8(ascii: "\r"):
                break
            case UInt8(ascii: "\n"):
                endField()
                if !(fields.count == 1 && fields[0].isEmpty) {
                    records.append(CSVRecord(line: recordLine, fields: fields))
                }
                fields.removeAll(keepingCapacity: true)
                line += 1
                recordLine = line
            default:
                if fieldWasQuoted { throw LineError(line: line, reason: "text after a closing quote") }
                field.append(b)
            }
            i += 1
        }
        if inQuotes { throw LineError(line: recordLine, reason: "a quoted field is never closed") }
        if !field.isEmpty || !fields.isEmpty || fieldWasQuoted {
            endField()
            records.append(CSVRecord(line: recordLine, fields: fields))
        }
        return records
    }
}

/// A CSV file with a header row, read by column name.
public struct CSVTable: Sendable {
    public var columns: [String: Int]
    public var records: [CSVRecord]

    /// Splits off the header and checks that `required` columns are present; unknown columns are refused
    /// so that a misspelt optional column is not silently ignored.
    public init(_ bytes: [UInt8], required: [String], optional: [String]) throws(LineError) {
        var all = try CSVReader.parse(bytes)
        guard !all.isEmpty else { throw LineError(line: 1, reason: "the file is empty; expected a header row") }
        let header = all.removeFirst()
        var columns: [String: Int] = [:]
        for (index, rawName) in header.fields.enumerated() {
            let name = rawName.trimmed.lowercased()
            guard required.contains(name) || optional.contains(name) else {
                throw LineError(line: 1, reason: "unknown column \"\(name)\"; expected \((required + optional).joined(separator: ", "))")
            }
            guard columns[name] == nil else { throw LineError(line: 1, reason: "column \"\(name)\" appears twice") }
            columns[name] = index
        }
        for name in required where columns[name] == nil {
            throw LineError(line: 1, reason: "missing column \"\(name)\"")
        }
        self.columns = columns
        self.records = all
    }

    /// The trimmed value of `column` in `record`, nil when the column is absent or the cell empty.
    public func value(_ record: CSVRecord, _ column: String) -> String? {
        guard let index = columns[column], index < record.fields.count else { return nil }
        let v = record.fields[index].trimmed
        return v.isEmpty ? nil : v
    }
}

extension String {
    /// The string without leading and trailing whitespace.
    public var trimmed: String {
        // Fast path: most cells have no surrounding space.
        if let f = utf8.first, let l = utf8.last, f > 32, l > 32, f < 128, l < 128 { return self }
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
