import GridcareCore
import Testing

@Suite struct CSVReaderTests {
    @Test func readsQuotesNewlinesCRLFAndBOM() throws {
        let text = "\u{FEFF}a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\r\n\"two\nlines\",z\n\n"
        let records = try CSVReader.parse(Array(text.utf8))
        #expect(records.map(\.fields) == [["a", "b"], ["x, y", "say \"hi\""], ["two\nlines", "z"]])
        #expect(records.map(\.line) == [1, 2, 3])
    }

    @Test func reportsTheLineOfAnUnclosedQuote() {
        #expect(throws: LineError(line: 3, reason: "a quoted field is never closed")) {
            try CSVReader.parse(Array("a\nb\n\"c,d\n".utf8))
        }
    }

    @Test func refusesUnknownAndMissingColumns() {
        #expect(throws: LineError.self) { try CSVTable(Array("ref,colour\n".utf8), required: ["ref"], optional: []) }
        #expect(throws: LineError(line: 1, reason: "missing column \"address\"")) {
            try CSVTable(Array("ref\n".utf8), required: ["ref", "address"], optional: [])
        }
    }
}

@Suite struct RegistryImportTests {
    let today = SimpleDate(year: 2026, month: 11, day: 26)!

    func id(_ n: Int, male: Bool = false) -> String {
        IDCardNumber.make(region: 510104, birth: SimpleDate(year: 1950, month: 3, day: 9)!, sequence: n * 2 + (male ? 1 : 0)).value
    }

    @Test func goodFilesParse() throws {
        let households = "ref,micro_grid_id,address,latitude,longitude\nH1,5,人民路1号,30.66,104.06\n"
        let residents = "household_ref,name,sex,birth_date,id_number,conditions\nH1,陈阿婆,female,1950-03-09,\(id(1)),hypertension;type2_diabetes\n"
        let result = try RegistryImport.parse(
            households: ("h.csv", Array(households.utf8)),
            residents: ("r.csv", Array(residents.utf8)),
            today: today
        ).get()
        #expect(result.households.count == 1)
        #expect(result.residents[0].value.conditions == [.hypertension, .type2Diabetes])
        #expect(result.residents[0].line == 2)
    }

    @Test func everyBadRowIsReportedWithItsLine() {
        let households = "ref,micro_grid_id,address,latitude,longitude\nH1,5,人民路1号,30.66,104.06\nH1,x,,91,104\n"
        let residents = """
            household_ref,name,sex,birth_date,id_number
            H1,陈阿婆,female,1950-03-09,\(id(1))
            H1,王大爷,male,1950-03-09,110105194912310021
            H1,李四,female,1950-03-10,\(id(2))
            H1,赵五,female,1950-03-09,\(id(1))
            ,钱六,female,1950-03-09,\(id(3))
            """
        guard
            case .failure(let failure) = RegistryImport.parse(
                households: ("h.csv", Array(households.utf8)),
                residents: ("r.csv", Array(residents.utf8)),
                today: today
            )
        else {
            Issue.record("expected a failure")
            return
        }
        let lines = failure.items.map { "\($0.file):\($0.line)" }
        #expect(lines.contains("h.csv:3"))
        #expect(!lines.contains("h.csv:2"))
        #expect(failure.items.contains { $0.file == "r.csv" && $0.line == 3 && $0.reason.contains("check digit") })
        #expect(failure.items.contains { $0.line == 4 && $0.reason.hasPrefix("birth_date") })
        #expect(failure.items.contains { $0.line == 5 && $0.reason.contains("duplicates the ID-card number on line 2") })
        #expect(failure.items.contains { $0.line == 6 && $0.reason.hasPrefix("household_ref") })
        #expect(!lines.contains("r.csv:2"))
    }
}
