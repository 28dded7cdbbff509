import Foundation

/// `transform` over `items` on every core, results in order.
func parallelMap<T: Sendable, R: Sendable>(_ items: [T], _ transform: @Sendable (T) -> R) -> [R] {
    let chunks = max(1, min(ProcessInfo.processInfo.activeProcessorCount, items.count / 10_000))
    guard chunks > 1 else { return items.map(transform) }
    let size = (items.count + chunks - 1) / chunks
    let parts = UnsafeMutableBufferPointer<[R]>.allocate(capacity: chunks)
    parts.initialize(repeating: [])
    defer { parts.deallocate() }
    nonisolated(unsafe) let out = parts
    DispatchQueue.concurrentPerform(iterations: chunks) { c in
        let range = (c * size)..<min((c + 1) * size, items.count)
        out[c] = items[range].map(transform)
    }
    return Array(parts.joined())
}

/// A row of an import file after validation, with the line it came from.
public struct Lined<Value: Sendable>: Sendable {
    public var line: Int
    public var value: Value
    public init(line: Int, value: Value) {
        self.line = line
        self.value = value
    }
}

/// Both files of an import, validated together, or every bad row with its line and reason.
public struct RegistryImport: Sendable {
    public var households: [Lined<HouseholdDraft>]
    public var residents: [Lined<ResidentDraft>]

    public static let householdColumns = (required: ["ref", "micro_grid_id", "address", "latitude", "longitude"], optional: [String]())
    public static let residentColumns = (
        required: ["name", "sex", "birth_date", "id_number"],
        optional: ["household_ref", "household_id", "phone", "conditions", "circumstances"]
    )

    /// Parses and checks everything that can be checked without the database. Errors name the file.
    public static func parse(
        households: (name: String, bytes: [UInt8])?,
        residents: (name: String, bytes: [UInt8])?,
        today: SimpleDate
    ) -> Result<RegistryImport, ImportFailure> {
        let houses = households.map { Self.households($0) } ?? Parsed()
        let people = residents.map { Self.residents($0, today: today) } ?? Parsed()
        let errors = houses.errors + people.errors
        if !errors.isEmpty { return .failure(ImportFailure(items: errors)) }
        return .success(RegistryImport(households: houses.rows, residents: people.rows))
    }

    /// One file's good rows and its bad rows: the two files are checked apart, so the import can start
    /// loading households while the residents file is still being read.
    public struct Parsed<Row: Sendable>: Sendable {
        public var rows: [Lined<Row>] = []
        public var errors: [ImportFailure.Item] = []
        public init(rows: [Lined<Row>] = [], errors: [ImportFailure.Item] = []) {
            self.rows = rows
            self.errors = errors
        }
    }

    /// The households file, checked without the database.
    public static func households(_ file: (name: String, bytes: [UInt8])) -> Parsed<HouseholdDraft> {
        var out = Parsed<HouseholdDraft>()
        let name = file.name
        do {
            let table = try CSVTable(file.bytes, required: householdColumns.required, optional: householdColumns.optional)
            var refs = [String: Int]()
            for record in table.records {
                var c = FieldChecker()
                let ref = table.value(record, "ref")
                if let ref {
                    if let first = refs[ref] { c.add(FieldError("ref", "duplicates the ref on line \(first)")) } else { refs[ref] = record.line }
                } else {
                    c.add(FieldError("ref", "is required"))
                }
                let mg = table.value(record, "micro_grid_id").flatMap(Int64.init)
                c.require(mg != nil, "micro_grid_id", "must be a whole number")
                let lat = table.value(record, "latitude").flatMap(Double.init)
                let lon = table.value(record, "longitude").flatMap(Double.init)
                c.require(lat != nil, "latitude", "must be a number")
                c.require(lon != nil, "longitude", "must be a number")
                let address = table.value(record, "address")
                if c.errors.isEmpty {
                    let draft = HouseholdDraft(microGridId: mg!, externalRef: ref, address: address ?? "", latitude: lat!, longitude: lon!)
                    do { try draft.validate() } catch { for e in error.errors { c.add(e) } }
                    if c.errors.isEmpty { out.rows.append(Lined(line: record.line, value: draft)) }
                }
                out.errors += c.errors.map { .init(file: name, line: record.line, reason: "\($0.field): \($0.reason)") }
            }
        } catch {
            out.errors.append(.init(file: name, line: error.line, reason: error.reason))
        }
        return out
    }

    /// The residents file checked on threads of its own, starting now: the check keeps both cores busy for
    /// seconds, so it runs off Swift's cooperative pool while the households go into the database.
    public static func residentsInBackground(_ file: (name: String, bytes: [UInt8])?, today: SimpleDate) -> Task<Parsed<ResidentDraft>, Never> {
        Task {
            await withCheckedContinuation { done in
                DispatchQueue.global(qos: .userInitiated).async {
                    done.resume(returning: file.map { residents($0, today: today) } ?? Parsed())
                }
            }
        }
    }

    /// The residents file, checked without the database.
    public static func residents(_ file: (name: String, bytes: [UInt8]), today: SimpleDate) -> Parsed<ResidentDraft> {
        var out = Parsed<ResidentDraft>()
        let name = file.name
        do {
            let table = try CSVTable(file.bytes, required: residentColumns.required, optional: residentColumns.optional)
            // Rows are checked independently, so they are checked in parallel; duplicates across rows
            // are found afterwards, in file order.
            let checked = parallelMap(table.records) { record in Self.resident(record, table: table, today: today) }
            var idLines = [String: Int]()
            for (record, outcome) in zip(table.records, checked) {
                var pre: [FieldError]
                switch outcome {
                case .success(let draft):
                    pre = []
                    if let first = idLines[draft.idNumber.value] {
                        pre.append(FieldError("id_number", "duplicates the ID-card number on line \(first)"))
                    } else {
                        idLines[draft.idNumber.value] = record.line
                        out.rows.append(Lined(line: record.line, value: draft))
                    }
                case .failure(let failure):
                    pre = failure.errors
                }
                out.errors += pre.map { .init(file: name, line: record.line, reason: "\($0.field): \($0.reason)") }
            }
        } catch {
            out.errors.append(.init(file: name, line: error.line, reason: error.reason))
        }
        return out
    }

    /// One residents row, checked on its own (field names in CSV spelling).
    static func resident(_ record: CSVRecord, table: CSVTable, today: SimpleDate) -> Result<ResidentDraft, ValidationFailure> {
        var link: HouseholdLink?
        var pre: [FieldError] = []
        if let ref = table.value(record, "household_ref") {
            // A ref that is not in this file may name a household imported earlier: the store resolves it.
            link = .ref(ref)
        } else if let raw = table.value(record, "household_id") {
            if let id = Int64(raw) { link = .id(id) } else { pre.append(FieldError("household_id", "must be a whole number")) }
        } else {
            pre.append(FieldError("household_ref", "either household_ref or household_id is required"))
        }
        let list: (String) -> [String] = { col in
            table.value(record, col)?.split(separator: ";").map { String($0).trimmed }.filter { !$0.isEmpty } ?? []
        }
        do {
            let draft = try ResidentDraft.make(
                household: link ?? .id(0),
                name: table.value(record, "name"),
                sex: table.value(record, "sex"),
                birthDate: table.value(record, "birth_date"),
                idNumber: table.value(record, "id_number"),
                phone: table.value(record, "phone"),
                conditions: list("conditions"),
                circumstances: list("circumstances"),
                today: today
            )
            return pre.isEmpty ? .success(draft) : .failure(ValidationFailure(pre))
        } catch {
            return .failure(ValidationFailure(pre + error.errors.map { FieldError(csvName($0.field), $0.reason) }))
        }
    }

    /// API field names in CSV spelling (birthDate → birth_date).
    static func csvName(_ field: String) -> String {
        var out = ""
        for ch in field {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}

/// Every problem an import found; nothing of the import is kept when there is one.
public struct ImportFailure: Error, Sendable, Equatable {
    public struct Item: Sendable, Equatable, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var reason: String
        public init(file: String, line: Int, reason: String) {
            self.file = file
            self.line = line
            self.reason = reason
        }
        public var description: String { "\(file):\(line): \(reason)" }
    }

    public var items: [Item]
    public init(items: [Item]) { self.items = items }
}
