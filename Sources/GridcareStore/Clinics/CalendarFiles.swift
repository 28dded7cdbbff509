import Foundation
import GridcareCore

extension HolidayCalendar {
    /// Reads every `*.yaml` of `directory` (one file per year, Config/holidays by default).
    public static func load(directory: String) throws -> HolidayCalendar {
        var calendar = HolidayCalendar()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let text = try String(contentsOfFile: directory + "/" + name, encoding: .utf8)
            try calendar.add(yaml: text, file: name)
        }
        return calendar
    }
}
